//! The tokio runtime under the shared driver: hyper's pooled transport,
//! tokio's timers and files, and the caller's tokio readers and writers.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use r2_async::{Reads, Runtime, Writes};
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::body::WireBody;
use crate::transport::Transport;

/// The tokio runtime: the driver of [`r2_async`] over hyper and tokio.
#[derive(Debug, Clone, Copy)]
pub struct Tokio;

impl Runtime for Tokio {
    type Transport = Transport;
    type Body = WireBody;
    type Timer = tokio::time::Sleep;

    fn transport(
        pool_size: usize,
        timeout: Duration,
        allow_http: bool,
    ) -> Result<Transport, NetworkError> {
        Transport::new(pool_size, timeout, allow_http)
    }

    async fn send(
        transport: &Transport,
        request: &Request<RequestBody>,
    ) -> Result<Response<WireBody>, NetworkError> {
        transport.send(request).await
    }

    fn poll_chunk(
        body: &mut WireBody,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, NetworkError>>> {
        body.poll_chunk(cx)
    }

    fn timer(deadline: Instant) -> Self::Timer {
        tokio::time::sleep_until(deadline.into())
    }

    fn reset(timer: Pin<&mut Self::Timer>, deadline: Instant) {
        timer.reset(deadline.into());
    }

    async fn unblock<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
        tokio::task::spawn_blocking(job)
            .await
            .map_err(io::Error::other)
    }
}

impl<T: AsyncRead + Send + Unpin> Reads<T> for Tokio {
    async fn read_into(reader: &mut T, buffer: &mut BytesMut, max: usize) -> io::Result<usize> {
        reader.take(max as u64).read_buf(buffer).await
    }
}

impl<T: AsyncWrite + Send + Unpin + ?Sized> Writes<T> for Tokio {
    async fn write_all(writer: &mut T, bytes: &[u8]) -> io::Result<()> {
        writer.write_all(bytes).await
    }

    async fn flush(writer: &mut T) -> io::Result<()> {
        writer.flush().await
    }
}
