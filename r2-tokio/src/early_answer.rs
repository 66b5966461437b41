//! A TCP connection that lets hyper read an answer the server sent before
//! it closed: a server may refuse a PUT (403) before reading its body and
//! then close the socket, so that the client's next write fails with a
//! reset while the answer waits, readable, in the socket. hyper gives up on
//! the write error, and the body would go out again on a retry. Here a
//! write that fails so is taken as sent (the rest of the body is counted,
//! never sent, as `r2-http1` does after an early answer), and hyper goes
//! on to read: the answer if there is one, else the end of the connection,
//! which is the transport error it would have been.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

/// [`HttpConnector`], its connections wrapped in [`AnswerFirst`].
#[derive(Debug, Clone)]
pub(crate) struct AnswerFirstConnector(pub(crate) HttpConnector);

impl Service<Uri> for AnswerFirstConnector {
    type Response = AnswerFirst;
    type Error = <HttpConnector as Service<Uri>>::Error;
    type Future = Pin<Box<dyn Future<Output = Result<AnswerFirst, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.0.call(uri);
        Box::pin(async move {
            Ok(AnswerFirst {
                inner: connecting.await?,
                reset: false,
            })
        })
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
