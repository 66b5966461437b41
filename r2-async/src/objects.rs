//! Single-object operations and listings: `client.objects()`.

use std::sync::Arc;

use futures_core::Stream;
use r2_proto::error::R2Error;
use r2_proto::exchange::{Event, Exchange, Next, stalled};
use r2_proto::ops::{
    DeletePrefix, DeletePrefixOutput, GetObject, ListEntry, ListObjectsV2, ObjectSummary,
    StreamedGet,
};
use r2_proto::transfer::UploadOutput;
use r2_proto::{BucketName, ObjectKey};

use crate::client::{R2Client, now};
use crate::list_all::{delete_prefix, list_all};
use crate::object_stream::ObjectStream;
use crate::runtime::{Reads, Runtime};
use crate::upload::UploadBody;
use crate::wire::{open, read_whole, sleep_until};

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

    r2_proto::object_calls!(async);

    /// Stores an object read from `reader` until it ends, in memory bounded
    /// by `concurrency × part_size`: a short stream becomes one PutObject,
    /// a long one a multipart upload of equal parts.
    pub async fn put_stream<T>(
        &self,
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
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

    /// Reads an object as a stream of chunks, verified as they pass (see
    /// [`ObjectStream`]). A failure before the body starts is retried.
    pub async fn get_stream(&self, get: GetObject) -> Result<ObjectStream<R>, R2Error> {
        let inner = &self.client.inner;
        let mut exchange = Exchange::logged(Arc::clone(&inner.core), StreamedGet(get))?;
        let mut streaming = None;
        loop {
            match exchange.next(now()) {
                Next::Send { id, request } => {
                    let event = match open(&inner.wire, id, &request).await {
                        Err(error) => Event::Failed { id, error },
                        Ok(opened) => match StreamedGet::head_of(&opened.response) {
                            Some(response) => {
                                streaming = Some(opened);
                                Event::Response { id, response }
                            }
                            None => read_whole(&inner.wire, &request, opened, id).await,
                        },
                    };
                    exchange.handle(now(), event);
                }
                Next::Sleep(until) => sleep_until::<R>(Some(until)).await,
                Next::Done(result) => {
                    let (metadata, opened) = (result?, streaming.take().ok_or_else(stalled)?);
                    let limits = inner.core.config().read_limits();
                    return Ok(ObjectStream::new(metadata, opened, limits));
                }
            }
        }
    }

    /// Every object of a listing, page after page, as a stream (common
    /// prefixes are left out: [`list_entries`](Self::list_entries) has them).
    pub fn list_all(
        &self,
        list: ListObjectsV2,
    ) -> impl Stream<Item = Result<ObjectSummary, R2Error>> + Send + 'a {
        list_all(self.client, list)
    }

    /// Every object and common prefix of a listing (give it a
    /// delimiter), in key order, page after page, as a stream.
    pub fn list_entries(
        &self,
        list: ListObjectsV2,
    ) -> impl Stream<Item = Result<ListEntry, R2Error>> + Send + 'a {
        list_all(self.client, list)
    }

    /// Deletes every object whose key starts with `prefix` (every object of
    /// the bucket for `""`): a page listed, its keys deleted 1,000 per
    /// DeleteObjects, until none is left. Keys the server refuses to delete
    /// are in the output's `failed`.
    pub async fn delete_prefix(
        &self,
        bucket: impl Into<BucketName>,
        prefix: impl Into<String>,
    ) -> Result<DeletePrefixOutput, R2Error> {
        delete_prefix(self.client, DeletePrefix::new(bucket, prefix)).await
    }

    /// Deletes every object `list` lists, 1,000 per DeleteObjects or its
    /// `max_keys` per request (see [`DeletePrefix::listed_by`]).
    pub async fn delete_listed(&self, list: ListObjectsV2) -> Result<DeletePrefixOutput, R2Error> {
        delete_prefix(self.client, DeletePrefix::listed_by(list)).await
    }
}
