//! PutObject: store an object in one request.

use bytes::Bytes;
use http::{Method, Response};

use super::attributes::{ObjectAttributes, attribute_setters};
use super::builder::RequestBuilder;
use super::document::check_status;
use super::preconditions::{Preconditions, precondition_setters};
use super::{Operation, OperationName, PreparedRequest, RequestBody};
use crate::config::Endpoint;
use crate::error::{ErrorContext, R2Error, RequestError};
use crate::model::{ChecksumAlgorithm, Checksums, ETag, Integrity};
use crate::names::{BucketName, ObjectKey};
use crate::response_headers::ResponseHeaders;
use crate::sign::PayloadHash;

/// Stores an object of up to 5 GiB − 5 MiB in one request.
///
/// The body is signed as `UNSIGNED-PAYLOAD` unless [`payload_hash`](Self::payload_hash)
/// says otherwise; [`integrity`](Self::integrity) adds one `Content-MD5` or
/// `x-amz-checksum-*` header. Conditional writes (`If-None-Match: *`,
/// `If-Match`) fail with `PreconditionFailed` when the condition does not hold.
///
/// ```
/// use r2_proto::ops::{Operation, PutObject};
/// use r2_proto::model::Integrity;
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let body = bytes::Bytes::from_static(b"{\"ok\":true}");
/// let put = PutObject::new(BucketName::new("docs")?, ObjectKey::new("status.json")?, body.clone())
///     .content_type("application/json")
///     .metadata("origin", "tour")
///     .integrity(Integrity::content_md5_of(&body));
/// let prepared = put.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.headers()["content-length"], "11");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct PutObject {
    bucket: BucketName,
    key: ObjectKey,
    body: RequestBody,
    payload: PayloadHash,
    attributes: ObjectAttributes,
    preconditions: Preconditions,
    integrity: Option<Integrity>,
}

/// What PutObject returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutObjectOutput {
    /// The new object's ETag.
    pub etag: ETag,
    /// `x-amz-version-id`, where the server versions objects.
    pub version_id: Option<String>,
    /// Checksums the server echoed.
    pub checksums: Checksums,
}

impl PutObject {
    /// Stores `body` under `key`.
    pub fn new(bucket: BucketName, key: ObjectKey, body: impl Into<Bytes>) -> Self {
        Self::with_body(bucket, key, RequestBody::Bytes(body.into()))
    }

    /// Stores the concatenation of `chunks`, sent one after the other.
    pub fn from_chunks(bucket: BucketName, key: ObjectKey, chunks: Vec<Bytes>) -> Self {
        Self::with_body(bucket, key, RequestBody::Chunks(chunks))
    }

    /// Stores `content_length` bytes that the adapter streams from its source.
    pub fn streamed(bucket: BucketName, key: ObjectKey, content_length: u64) -> Self {
        Self::with_body(bucket, key, RequestBody::Stream { content_length })
    }

    fn with_body(bucket: BucketName, key: ObjectKey, body: RequestBody) -> Self {
        Self {
            bucket,
            key,
            body,
            payload: PayloadHash::UNSIGNED,
            attributes: ObjectAttributes::default(),
            preconditions: Preconditions::default(),
            integrity: None,
        }
    }

    attribute_setters!();
    precondition_setters!();

    /// The one integrity header: `Content-MD5`, or a CRC32, CRC32C, SHA-1 or
    /// SHA-256 checksum (the ones R2 takes on PutObject).
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

    /// The bucket.
    pub fn bucket(&self) -> &BucketName {
        &self.bucket
    }

    /// The key.
    pub fn key(&self) -> &ObjectKey {
        &self.key
    }

    /// The body.
    pub fn body(&self) -> &RequestBody {
        &self.body
    }

    fn context(&self) -> ErrorContext<'_> {
        ErrorContext::object(Self::NAME, self.bucket.as_str(), self.key.as_str())
    }
}

impl Operation for PutObject {
    type Output = PutObjectOutput;
    const NAME: OperationName = OperationName::PutObject;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        if let Some(Integrity::Checksum(checksum)) = &self.integrity
            && checksum.algorithm() == ChecksumAlgorithm::Crc64Nvme
        {
            return Err(RequestError::UnsupportedChecksum(
                "PutObject takes CRC32, CRC32C, SHA1 or SHA256 checksums, or Content-MD5".into(),
            )
            .into());
        }
        let mut builder = RequestBuilder::object(Self::NAME, Method::PUT, &self.bucket, &self.key);
        self.attributes.write(&mut builder)?;
        self.preconditions.write(&mut builder)?;
        builder.integrity(self.integrity.as_ref())?;
        builder.upload_body(self.body.clone(), self.payload)?;
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<PutObjectOutput, R2Error> {
        check_status(&self.context(), response)?;
        let headers = ResponseHeaders::new(response.headers(), Self::NAME);
        Ok(PutObjectOutput {
            etag: ETag::new(headers.required("etag")?),
            version_id: headers.text("x-amz-version-id"),
            checksums: Checksums::from_headers(response.headers()),
        })
    }
}
