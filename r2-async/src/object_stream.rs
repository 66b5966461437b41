//! A GET body as a stream of verified chunks.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_util::StreamExt;
use r2_proto::error::{R2Error, TransferError};
use r2_proto::model::ObjectMetadata;
use r2_proto::{ReadLimits, StreamCheck};

use crate::runtime::{Runtime, Writes};
use crate::wire::{Body, Opened};

/// An object's body on its way in. Every chunk is counted and hashed: the
/// stream ends with an error, never silently, if the body is shorter than
/// `Content-Length` ([`TransferError::IncompleteBody`]) or, for a whole
/// single-part object, if its MD5 or full-object checksum differs
/// ([`TransferError::ChecksumMismatch`]). A body that stalls (nothing for
/// the client's timeout, or slower than its low-speed limit, counting only
/// the time the stream waits for the server) ends with
/// [`NetworkError::Timeout`](r2_proto::error::NetworkError::Timeout).
pub struct ObjectStream<R: Runtime> {
    metadata: ObjectMetadata,
    body: Body<R>,
    check: StreamCheck,
    deadline: Pin<Box<R::Timer>>,
    span: tracing::Span,
}

impl<R: Runtime> std::fmt::Debug for ObjectStream<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectStream")
            .field("metadata", &self.metadata)
            .field("body", &self.body)
            .field("check", &self.check)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> ObjectStream<R> {
    pub(crate) fn new(metadata: ObjectMetadata, opened: Opened<R>, limits: &ReadLimits) -> Self {
        let (status, headers) = (opened.response.status(), opened.response.headers());
        let check = StreamCheck::for_response(limits, status, headers, Instant::now());
        Self {
            metadata,
            deadline: Box::pin(R::timer(check.deadline())),
            body: opened.response.into_body(),
            check,
            span: opened.trace.span().clone(),
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
    pub async fn write_to<W: ?Sized>(mut self, sink: &mut W) -> Result<u64, R2Error>
    where
        R: Writes<W>,
    {
        let mut written = 0u64;
        while let Some(chunk) = self.next().await {
            let chunk = chunk?;
            R::write_all(sink, &chunk)
                .await
                .map_err(|e| TransferError::sink_failed(written, &e))?;
            written += chunk.len() as u64;
        }
        R::flush(sink)
            .await
            .map_err(|e| TransferError::sink_failed(written, &e))?;
        Ok(written)
    }

    fn end(&mut self) -> Option<Result<Bytes, R2Error>> {
        let _entered = self.span.enter();
        self.check.ended().err().map(Err)
    }
}

impl<R: Runtime> Stream for ObjectStream<R> {
    type Item = Result<Bytes, R2Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.check.is_over() {
            return Poll::Ready(None);
        }
        this.check.resumed(Instant::now());
        loop {
            match this.body.poll_chunk(cx) {
                Poll::Ready(Some(Ok(data))) => {
                    if let Err(error) = this.check.passed(&data, Instant::now()) {
                        return Poll::Ready(Some(Err(error)));
                    }
                    R::reset(this.deadline.as_mut(), this.check.deadline());
                    return Poll::Ready(Some(Ok(data)));
                }
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(this.check.broke(error))));
                }
                Poll::Ready(None) => return Poll::Ready(this.end()),
                Poll::Pending => {}
            }
            R::reset(this.deadline.as_mut(), this.check.deadline());
            if this.deadline.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if let Err(error) = this.check.waited(Instant::now()) {
                return Poll::Ready(Some(Err(error)));
            }
        }
    }
}
