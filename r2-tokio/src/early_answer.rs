//! A TCP connection that lets hyper read an answer the server sent before
//! it closed: a server may refuse a PUT (403) before reading its body and
//! then close the socket, so that the client's next write fails with a
//! reset while the answer waits, readable, in the socket. hyper gives up on
//! the write error, and the body would go out again on a retry. Here a
//! write that fails so is taken as sent (the rest of the body is counted,
//! never sent, as `r2-http1` does after an early answer), and hyper goes
//! on to read: the answer if there is one, else the end of the connection,
//! which is the transport error it would have been.
//!
//! The connector also opens the tunnel through a proxy, when the client's
//! proxies send the endpoint through one (the core writes the `CONNECT`
//! request and reads the answer); TLS then runs inside the tunnel.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use r2_proto::error::{NetworkError, source_chain};
use r2_proto::proxy::{Proxies, Tunnel};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower_service::Service;

/// What connecting failed with: the TCP connector's error, or the
/// tunnel's [`NetworkError`].
type ConnectError = Box<dyn std::error::Error + Send + Sync>;

/// [`HttpConnector`] to the endpoint or through a tunnel to it, its
/// connections wrapped in [`AnswerFirst`].
#[derive(Debug, Clone)]
pub(crate) struct AnswerFirstConnector {
    pub(crate) http: HttpConnector,
    pub(crate) proxies: Arc<Proxies>,
}

impl Service<Uri> for AnswerFirstConnector {
    type Response = AnswerFirst;
    type Error = ConnectError;
    type Future = Pin<Box<dyn Future<Output = Result<AnswerFirst, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let host = uri.host().unwrap_or_default();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let proxy = self.proxies.for_target(https, &host).cloned();
        let to = match &proxy {
            Some(proxy) => match proxy.to_string().parse::<Uri>() {
                Ok(to) => to,
                Err(e) => return Box::pin(async move { Err(e.into()) }),
            },
            None => uri,
        };
        let connecting = self.http.call(to);
        Box::pin(async move {
            let connected = connecting.await;
            let Some(proxy) = proxy else {
                return Ok(AnswerFirst {
                    inner: connected?,
                    reset: false,
                });
            };
            let mut inner = connected.map_err(|e| proxy.failed(source_chain(&e)))?;
            open_tunnel(inner.inner_mut(), Tunnel::new(&proxy, &host, port)).await?;
            Ok(AnswerFirst {
                inner,
                reset: false,
            })
        })
    }
}

/// Writes `tunnel`'s request on `tcp` and reads the proxy's answer into
/// it until it says the tunnel is open.
async fn open_tunnel(tcp: &mut TcpStream, mut tunnel: Tunnel<'_>) -> Result<(), NetworkError> {
    tcp.write_all(tunnel.request())
        .await
        .map_err(|e| tunnel.failed(e))?;
    loop {
        match tcp.read(tunnel.room()).await {
            Ok(n) if tunnel.filled(n)? => return Ok(()),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(tunnel.failed(e)),
        }
    }
}

/// A TCP connection whose writes, once the peer reset it, are taken as
/// sent: what the server answered is still read.
#[derive(Debug)]
pub(crate) struct AnswerFirst {
    inner: TokioIo<TcpStream>,
    reset: bool,
}

/// True for the write errors of a peer that closed the connection.
fn closed_by_peer(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

impl Read for AnswerFirst {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl Write for AnswerFirst {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.reset {
            return Poll::Ready(Ok(buf.len()));
        }
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Err(error)) if closed_by_peer(&error) => {
                self.reset = true;
                Poll::Ready(Ok(buf.len()))
            }
            other => other,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let all = bufs.iter().map(|b| b.len()).sum();
        if self.reset {
            return Poll::Ready(Ok(all));
        }
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Err(error)) if closed_by_peer(&error) => {
                self.reset = true;
                Poll::Ready(Ok(all))
            }
            other => other,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.reset {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.reset {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Connection for AnswerFirst {
    fn connected(&self) -> Connected {
        self.inner.connected()
    }
}
