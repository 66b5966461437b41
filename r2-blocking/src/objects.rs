//! Single-object operations and listings: `client.objects()`.

use std::io::Read;
use std::sync::Arc;

use r2_proto::error::R2Error;
use r2_proto::exchange::{Event, Exchange, Next, stalled};
use r2_proto::ops::{
    DeletePrefix, DeletePrefixOutput, GetObject, ListEntry, ListObjectsV2, StreamedGet,
};
use r2_proto::transfer::UploadOutput;
use r2_proto::{BucketName, ObjectKey};

use crate::client::{R2Client, now, sleep_until};
use crate::list_all::{ListAll, delete_prefix};
use crate::object_reader::ObjectReader;
use crate::round_trip::{open, read_whole};
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

    r2_proto::object_calls!(blocking);

    /// Stores an object read from `reader` until it ends, in memory bounded
    /// by `concurrency × part_size`: a short stream becomes one PutObject,
    /// a long one a multipart upload of equal parts.
    pub fn put_stream(
        &self,
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        reader: impl Read + Send + 'static,
    ) -> Result<UploadOutput, R2Error> {
        self.client
            .upload(bucket, key, UploadBody::reader(reader))
            .run()
    }

    /// Reads an object through a verified [`ObjectReader`]. A failure
    /// before the body starts is retried.
    pub fn get_stream(&self, get: GetObject) -> Result<ObjectReader, R2Error> {
        let inner = &self.client.inner;
        let mut exchange = Exchange::logged(Arc::clone(&inner.core), StreamedGet(get))?;
        let mut streaming = None;
        loop {
            match exchange.next(now()) {
                Next::Send { id, request } => {
                    let event = match open(&inner.transport, id, &request) {
                        Err(error) => Event::Failed { id, error },
                        Ok(opened) => match StreamedGet::head_of(&opened.response) {
                            Some(response) => {
                                streaming = Some(opened);
                                Event::Response { id, response }
                            }
                            None => read_whole(&inner.transport, &request, opened, id),
                        },
                    };
                    exchange.handle(now(), event);
                }
                Next::Sleep(until) => sleep_until(until),
                Next::Done(result) => {
                    let (metadata, opened) = (result?, streaming.take().ok_or_else(stalled)?);
                    let limits = inner.core.config().read_limits();
                    return Ok(ObjectReader::new(metadata, opened, limits));
                }
            }
        }
    }

    /// Every object of a listing, page after page, as an iterator (common
    /// prefixes are left out: [`list_entries`](Self::list_entries) has them).
    pub fn list_all(&self, list: ListObjectsV2) -> ListAll<'a> {
        ListAll::new(self.client, list)
    }

    /// Every object and common prefix of a listing (give it a
    /// delimiter), in key order, page after page, as an iterator.
    pub fn list_entries(&self, list: ListObjectsV2) -> ListAll<'a, ListEntry> {
        ListAll::new(self.client, list)
    }

    /// Deletes every object whose key starts with `prefix` (every object of
    /// the bucket for `""`): a page listed, its keys deleted 1,000 per
    /// DeleteObjects, until none is left. Keys the server refuses to delete
    /// are in the output's `failed`.
    pub fn delete_prefix(
        &self,
        bucket: impl Into<BucketName>,
        prefix: impl Into<String>,
    ) -> Result<DeletePrefixOutput, R2Error> {
        delete_prefix(self.client, DeletePrefix::new(bucket, prefix))
    }

    /// Deletes every object `list` lists, 1,000 per DeleteObjects or its
    /// `max_keys` per request (see [`DeletePrefix::listed_by`]).
    pub fn delete_listed(&self, list: ListObjectsV2) -> Result<DeletePrefixOutput, R2Error> {
        delete_prefix(self.client, DeletePrefix::listed_by(list))
    }
}
