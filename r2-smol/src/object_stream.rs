//! A GET body as a stream of verified chunks.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_lite::{AsyncWrite, AsyncWriteExt, StreamExt};
use r2_proto::error::{NetworkError, R2Error};
use r2_proto::model::{BodyCheck, ObjectMetadata};
use smol::Timer;
use smol::lock::SemaphoreGuardArc;

use crate::body::ResponseBody;

/// An object's body on its way in. Every chunk is counted and hashed: the
/// stream ends with an error, never silently, if the body is shorter than
/// `Content-Length` ([`TransferError::IncompleteBody`]) or, for a whole
/// single-part object, if its MD5 or full-object checksum differs
/// ([`TransferError::ChecksumMismatch`]). A body that stalls longer than
/// the client's timeout ends with [`NetworkError::Timeout`].
///
/// [`TransferError::IncompleteBody`]: r2_proto::error::TransferError::IncompleteBody
/// [`TransferError::ChecksumMismatch`]: r2_proto::error::TransferError::ChecksumMismatch
#[derive(Debug)]
pub struct ObjectStream {
    metadata: ObjectMetadata,
    body: ResponseBody,
    check: Option<BodyCheck>,
    idle: Timer,
    timeout: Duration,
    span: tracing::Span,
    _slot: SemaphoreGuardArc,
}

impl ObjectStream {
    pub(crate) fn new(
        metadata: ObjectMetadata,
        body: ResponseBody,
        check: BodyCheck,
        slot: SemaphoreGuardArc,
        span: tracing::Span,
        timeout: Duration,
    ) -> Self {
        Self {
            metadata,
            body,
            check: Some(check),
            idle: Timer::after(timeout),
            timeout,
            span,
            _slot: slot,
        }
    }

    /// The object's metadata, from the response headers.
    pub fn metadata(&self) -> &ObjectMetadata {
        &self.metadata
    }

    /// Reads the rest of the body into memory.
    pub async fn collect(mut self) -> Result<Bytes, R2Error> {
        let mut all = BytesMut::new();
        while let Some(chunk) = self.next().await {
            all.extend_from_slice(&chunk?);
        }
        Ok(all.freeze())
    }

    /// Writes the rest of the body to `sink` and returns the bytes written.
    /// On error the sink holds a prefix of the body: the caller discards it.
    pub async fn write_to<W: AsyncWrite + Unpin>(mut self, sink: &mut W) -> Result<u64, R2Error> {
        let mut written = 0u64;
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            sink.write_all(&chunk)
                .await
                .map_err(|e| sink_failed(written, &e))?;
            written += chunk.len() as u64;
        }
        sink.flush().await.map_err(|e| sink_failed(written, &e))?;
        Ok(written)
    }

    fn end(&mut self) -> Option<Result<Bytes, R2Error>> {
        let check = self.check.take()?;
        let _entered = self.span.enter();
        check.finish().err().map(|error| Err(error.into()))
    }
}

pub(crate) fn sink_failed(offset: u64, error: &std::io::Error) -> R2Error {
    r2_proto::error::TransferError::SinkFailed {
        offset,
        message: error.to_string(),
    }
    .into()
}

impl Stream for ObjectStream {
    type Item = Result<Bytes, R2Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.check.is_none() {
            return Poll::Ready(None);
        }
        match this.body.poll_chunk(cx) {
            Poll::Ready(Some(Ok(data))) => {
                if let Some(check) = this.check.as_mut() {
                    check.update(&data);
                }
                this.idle.set_after(this.timeout);
                Poll::Ready(Some(Ok(data)))
            }
            Poll::Ready(Some(Err(error))) => {
                let error = match this.check.take() {
                    Some(check) => check.broken(error),
                    None => error.into(),
                };
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(None) => Poll::Ready(this.end()),
            Poll::Pending => {
                if Pin::new(&mut this.idle).poll(cx).is_ready() {
                    this.check = None;
                    let error = NetworkError::Timeout(this.timeout);
                    return Poll::Ready(Some(Err(error.into())));
                }
                Poll::Pending
            }
        }
    }
}
