//! The tokio runtime under the shared driver: hyper's pooled transport,
//! tokio's timers and blocking pool, and the caller's tokio readers and writers.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Instant;

use bytes::BytesMut;
use r2_async::{Reads, Runtime, Writes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::transport::Transport;

/// The tokio runtime: the driver of [`r2_async`] over hyper and tokio.
#[derive(Debug, Clone, Copy)]
pub struct Tokio;

impl Runtime for Tokio {
    type Transport = Transport;
    type Timer = tokio::time::Sleep;

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

    fn spawn(task: impl Future<Output = ()> + Send + 'static) -> bool {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(task);
                true
            }
            Err(_) => false,
        }
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
