//! The smol runtime under the shared driver: the HTTP/1.1 pool over
//! async-io sockets, async-io's timers, smol's blocking pool, and the
//! caller's `futures-io` readers and writers. No tokio anywhere.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Instant;

use bytes::BytesMut;
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use r2_async::{Reads, Runtime, Writes};

use crate::transport::Transport;

/// The smol runtime (or any executor): the driver of [`r2_async`] over
/// async-io.
#[derive(Debug, Clone, Copy)]
pub struct Smol;

impl Runtime for Smol {
    type Transport = Transport;
    type Timer = smol::Timer;

    fn timer(deadline: Instant) -> Self::Timer {
        smol::Timer::at(deadline)
    }

    fn reset(timer: Pin<&mut Self::Timer>, deadline: Instant) {
        timer.get_mut().set_at(deadline);
    }

    async fn unblock<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> io::Result<T> {
        Ok(smol::unblock(job).await)
    }

    fn spawn(task: impl Future<Output = ()> + Send + 'static) -> bool {
        smol::spawn(task).detach();
        true
    }
}

impl<T: AsyncRead + Send + Unpin> Reads<T> for Smol {
    async fn read_into(reader: &mut T, buffer: &mut BytesMut, max: usize) -> io::Result<usize> {
        let filled = buffer.len();
        buffer.resize(filled + max, 0);
        let read = reader
            .read(buffer.get_mut(filled..).unwrap_or_default())
            .await;
        buffer.truncate(filled + *read.as_ref().unwrap_or(&0));
        read
    }
}

impl<T: AsyncWrite + Send + Unpin + ?Sized> Writes<T> for Smol {
    async fn write_all(writer: &mut T, bytes: &[u8]) -> io::Result<()> {
        writer.write_all(bytes).await
    }

    async fn flush(writer: &mut T) -> io::Result<()> {
        writer.flush().await
    }
}
