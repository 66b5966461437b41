//! One connection to an endpoint: TCP, or rustls over TCP, on smol's
//! reactor (async-io), so it runs under any executor.

use std::io;
use std::sync::Arc;

use futures_rustls::TlsConnector;
use futures_rustls::client::TlsStream;
use futures_util::future::Either;
use r2_http1::Origin;
use r2_proto::error::NetworkError;
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

/// Opens a connection to `origin`, with TLS for https (the caller bounds
/// the time it takes).
pub(crate) async fn connect(
    origin: &Origin,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Connection, NetworkError> {
    let tcp = TcpStream::connect((origin.host(), origin.port()))
        .await
        .map_err(|e| {
            NetworkError::ConnectionFailed(format!("{}:{}: {e}", origin.host(), origin.port()))
        })?;
    tcp.set_nodelay(true)
        .map_err(|e| NetworkError::ConnectionFailed(e.to_string()))?;
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
