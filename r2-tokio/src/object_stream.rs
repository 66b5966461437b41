//! A GET body as a stream of verified chunks.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http_body::Body;
use r2_proto::error::{NetworkError, R2Error};
use r2_proto::model::{BodyCheck, ObjectMetadata};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::Sleep;

use crate::body::ResponseBody;
use crate::transport::error_chain;

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
    idle: Pin<Box<Sleep>>,
    timeout: Duration,
    span: tracing::Span,
}

impl ObjectStream {
    pub(crate) fn new(
        metadata: ObjectMetadata,
        body: ResponseBody,
        check: BodyCheck,
        span: tracing::Span,
        timeout: Duration,
    ) -> Self {
        Self {
            metadata,
            body,
            check: Some(check),
            idle: Box::pin(tokio::time::sleep(timeout)),
            timeout,
            span,
        }
    }

    /// The object's metadata, from the response headers.
    pub fn metadata(&self) -> &ObjectMetadata {
        &self.metadata
    }

    /// Reads the rest of the body into memory.
    pub async fn collect(mut self) -> Result<Bytes, R2Error> {
        let mut all = BytesMut::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut self).await {
            all.extend_from_slice(&chunk?);
        }
        Ok(all.freeze())
    }

    /// Writes the rest of the body to `sink` and returns the bytes written.
    /// On error the sink holds a prefix of the body: the caller discards it.
    pub async fn write_to<W: AsyncWrite + Unpin>(mut self, sink: &mut W) -> Result<u64, R2Error> {
        let mut written = 0u64;
        while let Some(chunk) = futures_util::StreamExt::next(&mut self).await {
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
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    if let Some(check) = this.check.as_mut() {
                        check.update(&data);
                    }
                    let deadline = tokio::time::Instant::now() + this.timeout;
                    this.idle.as_mut().reset(deadline);
                    return Poll::Ready(Some(Ok(data)));
                }
                Poll::Ready(Some(Err(error))) => {
                    let error = NetworkError::StreamInterrupted(error_chain(&error));
                    let error = match this.check.take() {
                        Some(check) => check.broken(error),
                        None => error.into(),
                    };
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(None) => return Poll::Ready(this.end()),
                Poll::Pending => {
                    if this.idle.as_mut().poll(cx).is_ready() {
                        this.check = None;
                        let error = NetworkError::Timeout(this.timeout);
                        return Poll::Ready(Some(Err(error.into())));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}
