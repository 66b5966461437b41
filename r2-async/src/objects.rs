//! Single-object operations and listings: `client.objects()`.

use std::sync::Arc;

use futures_core::Stream;
use r2_proto::error::R2Error;
use r2_proto::exchange::{Action, Event, Exchange};
use r2_proto::model::{BodyCheck, ObjectMetadata};
use r2_proto::ops::{
    CopyObject, CopyObjectOutput, DeleteObject, DeleteObjects, DeleteObjectsOutput, GetObject,
    GetObjectOutput, HeadObject, ListObjectsV2, ListObjectsV2Output, ObjectSummary, Operation,
    PutObject, PutObjectOutput, StreamedGet,
};
use r2_proto::telemetry;
use r2_proto::transfer::UploadOutput;
use r2_proto::{BucketName, ObjectKey};

use crate::client::{R2Client, now, stalled};
use crate::list_all::list_all;
use crate::object_stream::ObjectStream;
use crate::runtime::{Reads, Runtime};
use crate::upload::UploadBody;
use crate::wire::{Body, Opened, open, read_all, sleep_until};

/// Single-object operations and listings.
#[derive(Debug)]
pub struct Objects<'a, R: Runtime> {
    client: &'a R2Client<R>,
}

impl<R: Runtime> Clone for Objects<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: Runtime> Copy for Objects<'_, R> {}

impl<'a, R: Runtime> Objects<'a, R> {
    pub(crate) fn new(client: &'a R2Client<R>) -> Self {
        Self { client }
    }

    /// Stores an object from bytes in memory (up to 5 GiB; see
    /// `client.upload` for multipart).
    pub async fn put(&self, put: PutObject) -> Result<PutObjectOutput, R2Error> {
        self.client.send(put).await
    }

    /// Stores an object read from `reader` until it ends, in memory bounded
    /// by `concurrency × part_size`: a short stream becomes one PutObject,
    /// a long one a multipart upload of equal parts.
    pub async fn put_stream<T>(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        reader: T,
    ) -> Result<UploadOutput, R2Error>
    where
        R: Reads<T>,
        T: Send + 'static,
    {
        self.client
            .upload(bucket, key, UploadBody::reader(reader))
            .await
    }

    /// Reads an object (or a range) whole into memory, its length and, for
    /// a whole single-part object, its MD5 and checksum verified.
    pub async fn get(&self, get: GetObject) -> Result<GetObjectOutput, R2Error> {
        self.client.send(get).await
    }

    /// Reads an object as a stream of chunks, verified as they pass (see
    /// [`ObjectStream`]). A failure before the body starts is retried.
    pub async fn get_stream(&self, get: GetObject) -> Result<ObjectStream<R>, R2Error> {
        let inner = &self.client.inner;
        let name = StreamedGet::NAME;
        let mut exchange = Exchange::new(Arc::clone(&inner.core), StreamedGet(get))
            .inspect_err(|error| telemetry::operation_failed(name, error))?;
        let mut pending = None;
        loop {
            while let Some(action) = exchange.poll(now()) {
                match action {
                    Action::Send { id, request } => {
                        let event = match open(&inner.wire, id, &request).await {
                            Err(error) => Event::Failed { id, error },
                            Ok(opened) => self.head_or_error(id, opened, &mut pending).await,
                        };
                        exchange.handle(now(), event);
                    }
                    Action::Note(note) => telemetry::note(name, &note),
                    Action::Done(Err(error)) => {
                        telemetry::operation_failed(name, &error);
                        return Err(error);
                    }
                    Action::Done(Ok(metadata)) => {
                        let Some((parts, body, span)) = pending.take() else {
                            return Err(stalled());
                        };
                        let check = BodyCheck::for_response(parts.status, &parts.headers);
                        let timeout = inner.wire.timeout();
                        return Ok(ObjectStream::new(metadata, body, check, span, timeout));
                    }
                }
            }
            match exchange.deadline() {
                Some(deadline) => sleep_until::<R>(Some(deadline)).await,
                None => return Err(stalled()),
            }
        }
    }

    /// The event for a streamed GET's answer: its head alone when the core
    /// says the body is the object's (kept in `pending` for the stream),
    /// else the whole (error) answer.
    async fn head_or_error(
        &self,
        id: r2_proto::RequestId,
        opened: Opened<R>,
        pending: &mut Option<(http::response::Parts, Body<R>, tracing::Span)>,
    ) -> Event {
        let (parts, mut body) = opened.response.into_parts();
        if StreamedGet::streams_body(parts.status) {
            let response = StreamedGet::head_of(&parts);
            *pending = Some((parts, body, opened.span));
            return Event::Response { id, response };
        }
        let timeout = self.client.inner.wire.timeout();
        match read_all(&mut body, &parts.headers, timeout).await {
            Ok(bytes) => Event::Response {
                id,
                response: http::Response::from_parts(parts, bytes),
            },
            Err(error) => Event::Failed { id, error },
        }
    }

    /// Reads an object's metadata.
    pub async fn head(&self, head: HeadObject) -> Result<ObjectMetadata, R2Error> {
        self.client.send(head).await
    }

    /// Deletes an object (succeeds when it does not exist).
    pub async fn delete(&self, delete: DeleteObject) -> Result<(), R2Error> {
        self.client.send(delete).await
    }

    /// Deletes up to 1000 objects in one request; per-key failures are in the output.
    pub async fn delete_objects(
        &self,
        delete: DeleteObjects,
    ) -> Result<DeleteObjectsOutput, R2Error> {
        self.client.send(delete).await
    }

    /// Copies an object on the server side.
    pub async fn copy(&self, copy: CopyObject) -> Result<CopyObjectOutput, R2Error> {
        self.client.send(copy).await
    }

    /// One page of a listing.
    pub async fn list(&self, list: ListObjectsV2) -> Result<ListObjectsV2Output, R2Error> {
        self.client.send(list).await
    }

    /// Every key of a listing, page after page, as a stream.
    pub fn list_all(
        &self,
        list: ListObjectsV2,
    ) -> impl Stream<Item = Result<ObjectSummary, R2Error>> + Send + 'a {
        list_all(self.client, list)
    }
}
