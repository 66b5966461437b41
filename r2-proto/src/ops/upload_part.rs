//! UploadPart: upload one part of a multipart upload.

use bytes::Bytes;
use http::{Method, Response};

use super::builder::RequestBuilder;
use super::document::check_status;
use super::multipart_ids::check_upload_id;
use super::{Operation, OperationName, PreparedRequest, RequestBody};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error};
use crate::model::{Checksums, ETag, Integrity};
use crate::names::{BucketName, ObjectKey};
use crate::response_headers::ResponseHeaders;
use crate::sign::PayloadHash;

/// Uploads part `part_number` of an upload. On R2 every part but the last
/// must have the same size (checked at CompleteMultipartUpload), and
/// uploading a part number again replaces the earlier part.
///
/// ```
/// use r2_proto::model::Integrity;
/// use r2_proto::ops::{Operation, UploadPart};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let data = bytes::Bytes::from(vec![0u8; 5 * 1024 * 1024]);
/// let part = UploadPart::new(BucketName::new("videos")?, ObjectKey::new("big.mp4")?, "upload-id", 1, data.clone())
///     .integrity(Integrity::content_md5_of(&data));
/// let prepared = part.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.uri().query(), Some("partNumber=1&uploadId=upload-id"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct UploadPart {
    bucket: BucketName,
    key: ObjectKey,
    upload_id: String,
    part_number: u32,
    body: RequestBody,
    payload: PayloadHash,
    integrity: Option<Integrity>,
}

/// What UploadPart returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadPartOutput {
    /// The part's ETag, for CompleteMultipartUpload.
    pub etag: ETag,
    /// Checksums the server echoed.
    pub checksums: Checksums,
}

impl UploadPart {
    /// Uploads `body` as part `part_number` (1..=10000) of `upload_id`.
    pub fn new(
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        upload_id: impl Into<String>,
        part_number: u32,
        body: impl Into<Bytes>,
    ) -> Self {
        Self::with_body(
            bucket.into(),
            key.into(),
            upload_id.into(),
            part_number,
            RequestBody::Bytes(body.into()),
        )
    }

    /// Uploads `content_length` bytes that the adapter streams from its source.
    pub fn streamed(
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        upload_id: impl Into<String>,
        part_number: u32,
        content_length: u64,
    ) -> Self {
        Self::with_body(
            bucket.into(),
            key.into(),
            upload_id.into(),
            part_number,
            RequestBody::Stream { content_length },
        )
    }

    fn with_body(
        bucket: BucketName,
        key: ObjectKey,
        upload_id: String,
        part_number: u32,
        body: RequestBody,
    ) -> Self {
        Self {
            bucket,
            key,
            upload_id,
            part_number,
            body,
            payload: PayloadHash::UNSIGNED,
            integrity: None,
        }
    }

    /// The one integrity header: `Content-MD5`, or the checksum the upload declared.
    #[must_use]
    pub fn integrity(mut self, integrity: impl Into<Integrity>) -> Self {
        self.integrity = Some(integrity.into());
        self
    }

    /// Signs the body with this hash instead of `UNSIGNED-PAYLOAD`.
    #[must_use]
    pub fn payload_hash(mut self, payload: PayloadHash) -> Self {
        self.payload = payload;
        self
    }

    /// The part number.
    pub fn part_number(&self) -> u32 {
        self.part_number
    }

    /// The body.
    pub fn body(&self) -> &RequestBody {
        &self.body
    }
}

impl Operation for UploadPart {
    type Output = UploadPartOutput;
    const NAME: OperationName = OperationName::UploadPart;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        check_upload_id(&self.upload_id)?;
        let mut builder = RequestBuilder::object(Self::NAME, Method::PUT, &self.bucket, &self.key);
        builder.part_number(self.part_number)?;
        builder.query("uploadId", &self.upload_id);
        builder.integrity(self.integrity.as_ref())?;
        builder.upload_body(self.body.clone(), self.payload)?;
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<UploadPartOutput, R2Error> {
        let context = ErrorContext::upload(
            Self::NAME,
            self.bucket.as_str(),
            self.key.as_str(),
            &self.upload_id,
        );
        check_status(&context, response)?;
        let headers = ResponseHeaders::new(response.headers(), Self::NAME);
        Ok(UploadPartOutput {
            etag: ETag::new(headers.required("etag")?),
            checksums: Checksums::from_headers(response.headers()),
        })
    }
}
