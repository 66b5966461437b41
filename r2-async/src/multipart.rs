//! The multipart upload calls one by one: `client.multipart()`. Most
//! callers want `client.upload`, which runs them concurrently, retries
//! parts and resumes.

use r2_proto::error::R2Error;
use r2_proto::ops::{
    AbortMultipartUpload, CompleteMultipartUpload, CompleteMultipartUploadOutput,
    CreateMultipartUpload, CreateMultipartUploadOutput, ListMultipartUploads,
    ListMultipartUploadsOutput, ListParts, ListPartsOutput, UploadPart, UploadPartOutput,
};

use crate::client::R2Client;
use crate::runtime::Runtime;

/// The multipart upload calls.
#[derive(Debug)]
pub struct Multipart<'a, R: Runtime> {
    client: &'a R2Client<R>,
}

impl<R: Runtime> Clone for Multipart<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: Runtime> Copy for Multipart<'_, R> {}

impl<'a, R: Runtime> Multipart<'a, R> {
    pub(crate) fn new(client: &'a R2Client<R>) -> Self {
        Self { client }
    }

    /// Starts an upload; its id names it in every later call.
    pub async fn create(
        &self,
        create: CreateMultipartUpload,
    ) -> Result<CreateMultipartUploadOutput, R2Error> {
        self.client.send(create).await
    }

    /// Uploads one part (all parts but the last must have the same size on R2).
    pub async fn upload_part(&self, part: UploadPart) -> Result<UploadPartOutput, R2Error> {
        self.client.send(part).await
    }

    /// Joins the parts into the object.
    pub async fn complete(
        &self,
        complete: CompleteMultipartUpload,
    ) -> Result<CompleteMultipartUploadOutput, R2Error> {
        self.client.send(complete).await
    }

    /// Abandons an upload and frees its parts.
    pub async fn abort(&self, abort: AbortMultipartUpload) -> Result<(), R2Error> {
        self.client.send(abort).await
    }

    /// One page of the parts uploaded so far.
    pub async fn list_parts(&self, list: ListParts) -> Result<ListPartsOutput, R2Error> {
        self.client.send(list).await
    }

    /// One page of the uploads in progress in a bucket.
    pub async fn list_uploads(
        &self,
        list: ListMultipartUploads,
    ) -> Result<ListMultipartUploadsOutput, R2Error> {
        self.client.send(list).await
    }
}
