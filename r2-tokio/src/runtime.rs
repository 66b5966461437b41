//! The tokio runtime under the shared driver: hyper's pooled transport,
//! tokio's timers and files, and the caller's tokio readers and writers.

use std::io::{self, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use r2_async::{Reads, Runtime, Writes};
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, AsyncWrite, AsyncWriteExt};

use crate::body::WireBody;
use crate::transport::Transport;

/// The tokio runtime: the driver of [`r2_async`] over hyper and tokio.
#[derive(Debug, Clone, Copy)]
pub struct Tokio;

impl Runtime for Tokio {
    type Transport = Transport;
    type Body = WireBody;
    type Timer = tokio::time::Sleep;
    type File = tokio::fs::File;

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

    async fn file_len(path: &Path) -> io::Result<u64> {
        Ok(tokio::fs::metadata(path).await?.len())
    }

    async fn read_at(path: &Path, offset: u64, len: u64) -> io::Result<Bytes> {
        let mut file = tokio::fs::File::open(path).await?;
        file.seek(SeekFrom::Start(offset)).await?;
        let want = usize::try_from(len).map_err(io::Error::other)?;
        let mut buffer = BytesMut::zeroed(want);
        file.read_exact(&mut buffer).await?;
        Ok(buffer.freeze())
    }

    async fn create(path: &Path) -> io::Result<()> {
        tokio::fs::File::create(path).await.map(drop)
    }

    async fn open_at(path: &Path, offset: u64) -> io::Result<Self::File> {
        let mut file = tokio::fs::OpenOptions::new().write(true).open(path).await?;
        file.seek(SeekFrom::Start(offset)).await?;
        Ok(file)
    }

    async fn write_file(file: &mut Self::File, bytes: &[u8]) -> io::Result<()> {
        file.write_all(bytes).await
    }

    async fn flush_file(file: &mut Self::File) -> io::Result<()> {
        file.flush().await
    }

    async fn rename(from: &Path, to: &Path) -> io::Result<()> {
        tokio::fs::rename(from, to).await
    }

    async fn remove_file(path: &Path) -> io::Result<()> {
        tokio::fs::remove_file(path).await
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
