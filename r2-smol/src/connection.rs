//! One connection to an endpoint: TCP, or rustls over TCP, on smol's
//! reactor (async-io), so it runs under any executor.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_lite::{AsyncRead, AsyncWrite};
use futures_rustls::TlsConnector;
use futures_rustls::client::TlsStream;
use http::Uri;
use r2_proto::error::NetworkError;
use rustls::pki_types::ServerName;
use smol::net::TcpStream;

use crate::timeout::within;

/// Where a connection goes: scheme, host and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of `uri`; plain http only when `allow_http`.
    pub(crate) fn of(uri: &Uri, allow_http: bool) -> Result<Self, NetworkError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") if allow_http => false,
            Some("http") => {
                return Err(NetworkError::ConnectionFailed(
                    "plain http is refused (the configuration did not allow it)".into(),
                ));
            }
            other => {
                return Err(NetworkError::ConnectionFailed(format!(
                    "unsupported scheme {other:?} in {uri}"
                )));
            }
        };
        let host = uri
            .host()
            .ok_or_else(|| NetworkError::ConnectionFailed(format!("no host in {uri}")))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Self { https, host, port })
    }
}

/// An open connection, with the read buffer it keeps between requests
/// (so that a reused connection needs no new, zeroed buffer).
pub(crate) struct Connection {
    stream: Stream,
    /// Bytes read off the socket; lent to one exchange at a time.
    pub(crate) buffer: Vec<u8>,
}

/// The byte stream under a connection.
enum Stream {
    /// Plain TCP (loopback test servers only).
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Connection {
    /// A plain TCP connection.
    pub(crate) fn plain(tcp: TcpStream) -> Self {
        Self {
            stream: Stream::Plain(tcp),
            buffer: Vec::new(),
        }
    }

    fn tls(stream: TlsStream<TcpStream>) -> Self {
        Self {
            stream: Stream::Tls(Box::new(stream)),
            buffer: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.stream {
            Stream::Plain(_) => "Connection::Plain",
            Stream::Tls(_) => "Connection::Tls",
        })
    }
}

/// Opens a connection to `origin` within `timeout`, with TLS for https.
pub(crate) async fn connect(
    origin: &Origin,
    tls: &Arc<rustls::ClientConfig>,
    timeout: Duration,
) -> Result<Connection, NetworkError> {
    within(timeout, async {
        let tcp = TcpStream::connect((origin.host.as_str(), origin.port))
            .await
            .map_err(|e| {
                NetworkError::ConnectionFailed(format!("{}:{}: {e}", origin.host, origin.port))
            })?;
        tcp.set_nodelay(true)
            .map_err(|e| NetworkError::ConnectionFailed(e.to_string()))?;
        if !origin.https {
            return Ok(Connection::plain(tcp));
        }
        let name = ServerName::try_from(origin.host.clone())
            .map_err(|e| NetworkError::Tls(format!("{}: {e}", origin.host)))?;
        let stream = TlsConnector::from(Arc::clone(tls))
            .connect(name, tcp)
            .await
            .map_err(|e| handshake_error(&e))?;
        Ok(Connection::tls(stream))
    })
    .await
}

/// A failed handshake: a TLS failure when rustls says so, else the
/// connection broke.
fn handshake_error(error: &io::Error) -> NetworkError {
    NetworkError::connecting::<rustls::Error>(error)
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.get_mut().stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().stream {
            Stream::Plain(tcp) => Pin::new(tcp).poll_close(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_close(cx),
        }
    }
}
