//! Single-object operations and listings: `client.objects()`.

use std::io::Read;
use std::sync::Arc;

use r2_proto::error::R2Error;
use r2_proto::exchange::{Action, Event, Exchange};
use r2_proto::model::{BodyCheck, ObjectMetadata};
use r2_proto::ops::{
    CopyObject, CopyObjectOutput, DeleteObject, DeleteObjects, DeleteObjectsOutput, GetObject,
    GetObjectOutput, HeadObject, ListObjectsV2, ListObjectsV2Output, Operation, PutObject,
    PutObjectOutput, StreamedGet,
};
use r2_proto::telemetry;
use r2_proto::transfer::UploadOutput;
use r2_proto::{BucketName, ObjectKey};

use crate::client::{R2Client, now, sleep_until, stalled};
use crate::list_all::ListAll;
use crate::object_reader::ObjectReader;
use crate::round_trip::{self, read_all};
use crate::upload::UploadBody;

/// Single-object operations and listings.
#[derive(Debug, Clone, Copy)]
pub struct Objects<'a> {
    client: &'a R2Client,
}

impl<'a> Objects<'a> {
    pub(crate) fn new(client: &'a R2Client) -> Self {
        Self { client }
    }

    /// Stores an object from bytes in memory (up to 5 GiB; see
    /// [`R2Client::upload`] for multipart).
    pub fn put(&self, put: PutObject) -> Result<PutObjectOutput, R2Error> {
        self.client.send(put)
    }

    /// Stores an object read from `reader` until it ends, in memory bounded
    /// by `concurrency × part_size`: a short stream becomes one PutObject,
    /// a long one a multipart upload of equal parts.
    pub fn put_stream(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        reader: impl Read + Send + 'static,
    ) -> Result<UploadOutput, R2Error> {
        self.client
            .upload(bucket, key, UploadBody::reader(reader))
            .run()
    }

    /// Reads an object (or a range) whole into memory, its length and, for
    /// a whole single-part object, its MD5 and checksum verified.
    pub fn get(&self, get: GetObject) -> Result<GetObjectOutput, R2Error> {
        self.client.send(get)
    }

    /// Reads an object through a verified [`ObjectReader`]. A failure
    /// before the body starts is retried.
    pub fn get_stream(&self, get: GetObject) -> Result<ObjectReader, R2Error> {
        let inner = &self.client.inner;
        let name = StreamedGet::NAME;
        let mut exchange = Exchange::new(Arc::clone(&inner.core), StreamedGet(get))
            .inspect_err(|error| telemetry::operation_failed(name, error))?;
        let mut pending = None;
        loop {
            while let Some(action) = exchange.poll(now()) {
                match action {
                    Action::Send { id, request } => {
                        let event = match round_trip::open(&inner.transport, id, &request) {
                            Err(error) => Event::Failed { id, error },
                            Ok(opened) => {
                                let (parts, body) = opened.response.into_parts();
                                if StreamedGet::streams_body(parts.status) {
                                    let response = StreamedGet::head_of(&parts);
                                    pending = Some((parts, body, opened.span));
                                    Event::Response { id, response }
                                } else {
                                    match read_all(body, &parts.headers, &inner.transport) {
                                        Ok(bytes) => Event::Response {
                                            id,
                                            response: http::Response::from_parts(parts, bytes),
                                        },
                                        Err(error) => Event::Failed { id, error },
                                    }
                                }
                            }
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
                        let timeout = inner.transport.timeout();
                        return Ok(ObjectReader::new(metadata, body, check, timeout, span));
                    }
                }
            }
            match exchange.deadline() {
                Some(deadline) => sleep_until(deadline),
                None => return Err(stalled()),
            }
        }
    }

    /// Reads an object's metadata.
    pub fn head(&self, head: HeadObject) -> Result<ObjectMetadata, R2Error> {
        self.client.send(head)
    }

    /// Deletes an object (succeeds when it does not exist).
    pub fn delete(&self, delete: DeleteObject) -> Result<(), R2Error> {
        self.client.send(delete)
    }

    /// Deletes up to 1000 objects in one request; per-key failures are in the output.
    pub fn delete_objects(&self, delete: DeleteObjects) -> Result<DeleteObjectsOutput, R2Error> {
        self.client.send(delete)
    }

    /// Copies an object on the server side.
    pub fn copy(&self, copy: CopyObject) -> Result<CopyObjectOutput, R2Error> {
        self.client.send(copy)
    }

    /// One page of a listing.
    pub fn list(&self, list: ListObjectsV2) -> Result<ListObjectsV2Output, R2Error> {
        self.client.send(list)
    }

    /// Every key of a listing, page after page, as an iterator.
    pub fn list_all(&self, list: ListObjectsV2) -> ListAll<'a> {
        ListAll::new(self.client, list)
    }
}
