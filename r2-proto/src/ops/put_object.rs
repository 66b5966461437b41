//! PutObject: store an object in one request.

use bytes::Bytes;
use http::{Method, Response};

use super::attributes::ObjectAttributes;
use super::builder::RequestBuilder;
use super::document::check_status;
use super::preconditions::{Preconditions, precondition_setters};
use super::{Operation, OperationName, PreparedRequest, RequestBody};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error, RequestError};
use crate::model::{Checksum, ChecksumAlgorithm, Checksums, ETag, Integrity};
use crate::names::{BucketName, ObjectKey};
use crate::response_headers::ResponseHeaders;
use crate::sign::PayloadHash;

/// Stores an object of up to 5 GiB − 5 MiB in one request.
///
/// The body is signed as `UNSIGNED-PAYLOAD` unless [`payload_hash`](Self::payload_hash)
/// says otherwise, and carries `x-amz-checksum-crc32` of its bytes (so the
/// server refuses a body altered on the way, at 66 GB/s of CRC32 rather
/// than SHA-256's 2 GB/s) unless [`integrity`](Self::integrity) chooses
/// another header (`Content-MD5`, or a CRC32C, SHA-1 or SHA-256 checksum)
/// or [`no_integrity`](Self::no_integrity) none. A presigned PUT carries
/// only an integrity header the caller chose. Conditional writes (`If-None-Match: *`,
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
    integrity: IntegrityChoice,
}

/// Which integrity header a PutObject carries.
#[derive(Debug, Clone)]
enum IntegrityChoice {
    /// CRC32 of the body when sent; nothing when presigned (the body is not known).
    Crc32ByDefault,
    /// The caller's.
    Chosen(Integrity),
    /// None: only TLS protects the body.
    Off,
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
    pub fn new(
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        body: impl Into<Bytes>,
    ) -> Self {
        Self::with_body(bucket.into(), key.into(), RequestBody::Bytes(body.into()))
    }

    /// A PutObject with no bytes of its own, to presign: whoever holds the
    /// URL sends the body (its length is not signed). Attributes set on it
    /// (content type, metadata) are signed and must be sent along.
    pub fn for_presigning(bucket: impl Into<BucketName>, key: impl Into<ObjectKey>) -> Self {
        Self::new(bucket, key, Bytes::new())
    }

    /// Stores the concatenation of `chunks`, sent one after the other.
    pub fn from_chunks(
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        chunks: Vec<Bytes>,
    ) -> Self {
        Self::with_body(bucket.into(), key.into(), RequestBody::Chunks(chunks))
    }

    /// Stores `content_length` bytes that the adapter streams from its source.
    pub fn streamed(
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        content_length: u64,
    ) -> Self {
        Self::with_body(
            bucket.into(),
            key.into(),
            RequestBody::Stream { content_length },
        )
    }

    fn with_body(bucket: BucketName, key: ObjectKey, body: RequestBody) -> Self {
        Self {
            bucket,
            key,
            body,
            payload: PayloadHash::UNSIGNED,
            attributes: ObjectAttributes::default(),
            preconditions: Preconditions::default(),
            integrity: IntegrityChoice::Crc32ByDefault,
        }
    }

    crate::attribute_setters!(.attributes);

    /// Replaces all attributes at once.
    #[must_use]
    pub fn attributes(mut self, attributes: super::ObjectAttributes) -> Self {
        self.attributes = attributes;
        self
    }
    precondition_setters!();

    /// The one integrity header: `Content-MD5`, or a CRC32, CRC32C, SHA-1 or
    /// SHA-256 checksum (the ones R2 takes on PutObject).
    #[must_use]
    pub fn integrity(mut self, integrity: impl Into<Integrity>) -> Self {
        self.integrity = IntegrityChoice::Chosen(integrity.into());
        self
    }

    /// Sends no integrity header (not even the default CRC32).
    #[must_use]
    pub fn no_integrity(mut self) -> Self {
        self.integrity = IntegrityChoice::Off;
        self
    }

    /// The request, with the default CRC32 computed or (presigning) left out.
    fn build(&self, endpoint: &Endpoint, presigning: bool) -> Result<PreparedRequest, R2Error> {
        let integrity = match &self.integrity {
            IntegrityChoice::Chosen(integrity) => Some(*integrity),
            IntegrityChoice::Off => None,
            IntegrityChoice::Crc32ByDefault if presigning => None,
            IntegrityChoice::Crc32ByDefault => match &self.body {
                RequestBody::Bytes(bytes) => Some(Checksum::crc32_of(bytes).into()),
                RequestBody::Chunks(chunks) => {
                    Checksum::of_chunks(ChecksumAlgorithm::Crc32, chunks).map(Integrity::from)
                }
                RequestBody::Empty | RequestBody::Stream { .. } => None,
            },
        };
        if let Some(Integrity::Checksum(checksum)) = &integrity
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
        builder.integrity(integrity.as_ref())?;
        builder.upload_body(self.body.clone(), self.payload)?;
        builder.build(endpoint)
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
        self.build(endpoint, false)
    }

    fn presign_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        self.build(endpoint, true)
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
