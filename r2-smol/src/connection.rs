//! One connection to an endpoint: TCP (to the endpoint, or a tunnel
//! through a proxy), or rustls over it, on smol's reactor (async-io), so
//! it runs under any executor.

use std::io;
use std::sync::Arc;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use futures_rustls::TlsConnector;
use futures_rustls::client::TlsStream;
use futures_util::future::Either;
use r2_http1::Origin;
use r2_proto::error::NetworkError;
use r2_proto::proxy::{Proxy, Tunnel};
use rustls::pki_types::ServerName;
use smol::net::TcpStream;

/// An open connection, with the read buffer it keeps between requests
/// (so that a reused connection needs no new, zeroed buffer).
pub(crate) struct Connection {
    /// Plain TCP (loopback test servers only), or TLS over TCP.
    pub(crate) stream: Either<TcpStream, Box<TlsStream<TcpStream>>>,
    /// Bytes read off the socket; lent to one exchange at a time.
    pub(crate) buffer: Vec<u8>,
}

impl std::fmt::Debug for Connection {
    /// Plain or TLS, nothing of the session.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.stream {
            Either::Left(_) => "Connection::Plain",
            Either::Right(_) => "Connection::Tls",
        })
    }
}

impl Connection {
    /// A connection over `stream`, with no buffer yet.
    pub(crate) fn over(stream: Either<TcpStream, Box<TlsStream<TcpStream>>>) -> Self {
        Self {
            stream,
            buffer: Vec::new(),
        }
    }
}

/// Opens a connection to `origin`, or through a tunnel `proxy` opens to
/// it, with TLS for https (the caller bounds the time it takes).
pub(crate) async fn connect(
    origin: &Origin,
    proxy: Option<&Proxy>,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Connection, NetworkError> {
    let (host, port) = proxy.map_or((origin.host(), origin.port()), |p| (p.host(), p.port()));
    let failed = |e: &io::Error| match proxy {
        Some(proxy) => proxy.failed(e),
        None => NetworkError::ConnectionFailed(format!("{host}:{port}: {e}")),
    };
    let mut tcp = TcpStream::connect((host, port))
        .await
        .map_err(|e| failed(&e))?;
    tcp.set_nodelay(true).map_err(|e| failed(&e))?;
    if let Some(proxy) = proxy {
        let mut tunnel = Tunnel::new(proxy, origin.host(), origin.port());
        tcp.write_all(tunnel.request())
            .await
            .map_err(|e| failed(&e))?;
        loop {
            match tcp.read(tunnel.room()).await {
                Ok(n) if tunnel.filled(n)? => break,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(failed(&e)),
            }
        }
    }
    if !origin.https() {
        return Ok(Connection::over(Either::Left(tcp)));
    }
    let name = ServerName::try_from(origin.host().to_owned())
        .map_err(|e| NetworkError::Tls(format!("{}: {e}", origin.host())))?;
    let stream = TlsConnector::from(Arc::clone(tls))
        .connect(name, tcp)
        .await
        .map_err(|e| handshake_error(&e))?;
    Ok(Connection::over(Either::Right(Box::new(stream))))
}

/// A failed handshake: a TLS failure when rustls says so, else the
/// connection broke.
fn handshake_error(error: &io::Error) -> NetworkError {
    NetworkError::connecting::<rustls::Error>(error)
}
