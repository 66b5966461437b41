//! AbortMultipartUpload: discard an upload and its parts.

use bytes::Bytes;
use http::{Method, Response};

use super::builder::RequestBuilder;
use super::document::check_status;
use super::multipart_ids::check_upload_id;
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error};
use crate::names::{BucketName, ObjectKey};

/// Discards an upload and the parts uploaded so far. An unknown or already
/// finished upload id gives `NoSuchUpload`.
///
/// ```
/// use r2_proto::ops::{AbortMultipartUpload, Operation};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let abort = AbortMultipartUpload::new(BucketName::new("videos")?, ObjectKey::new("big.mp4")?, "id");
/// let prepared = abort.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.method(), http::Method::DELETE);
/// assert_eq!(prepared.uri().query(), Some("uploadId=id"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct AbortMultipartUpload {
    bucket: BucketName,
    key: ObjectKey,
    upload_id: String,
}

impl AbortMultipartUpload {
    /// Aborts `upload_id` of `key` in `bucket`.
    pub fn new(
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        upload_id: impl Into<String>,
    ) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
        }
    }
}

impl Operation for AbortMultipartUpload {
    type Output = ();
    const NAME: OperationName = OperationName::AbortMultipartUpload;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        check_upload_id(&self.upload_id)?;
        let mut builder =
            RequestBuilder::object(Self::NAME, Method::DELETE, &self.bucket, &self.key);
        builder.query("uploadId", &self.upload_id);
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<(), R2Error> {
        let context = ErrorContext::upload(
            Self::NAME,
            self.bucket.as_str(),
            self.key.as_str(),
            &self.upload_id,
        );
        check_status(&context, response)
    }
}
