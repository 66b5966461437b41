//! CreateMultipartUpload: start a multipart upload.

use bytes::Bytes;
use http::{Method, Response};

use super::attributes::ObjectAttributes;
use super::builder::RequestBuilder;
use super::document::Document;
use super::header_names::{X_AMZ_CHECKSUM_ALGORITHM, X_AMZ_CHECKSUM_TYPE};
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error};
use crate::model::{ChecksumAlgorithm, ChecksumType};
use crate::names::{BucketName, ObjectKey};

/// Starts a multipart upload; the object gets the attributes given here.
///
/// A checksum algorithm is declared only when asked for, and the pair is
/// checked against R2's rules first (CRC64NVME full-object only; CRC32,
/// CRC32C, SHA1, SHA256 composite only).
///
/// ```
/// use r2_proto::ops::{CreateMultipartUpload, Operation};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let create = CreateMultipartUpload::new(BucketName::new("videos")?, ObjectKey::new("big file.mp4")?)
///     .content_type("video/mp4");
/// let prepared = create.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.method(), http::Method::POST);
/// assert_eq!(prepared.uri().query(), Some("uploads"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CreateMultipartUpload {
    bucket: BucketName,
    key: ObjectKey,
    attributes: ObjectAttributes,
    checksum: Option<(ChecksumAlgorithm, ChecksumType)>,
}

/// What CreateMultipartUpload returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateMultipartUploadOutput {
    /// The bucket, as echoed.
    pub bucket: Option<String>,
    /// The key, as echoed.
    pub key: Option<String>,
    /// The upload's id, needed by every later call.
    pub upload_id: String,
}

impl CreateMultipartUpload {
    /// Starts an upload to `key` in `bucket`.
    pub fn new(bucket: impl Into<BucketName>, key: impl Into<ObjectKey>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            attributes: ObjectAttributes::default(),
            checksum: None,
        }
    }

    crate::attribute_setters!(.attributes);

    /// Replaces all attributes at once.
    #[must_use]
    pub fn attributes(mut self, attributes: super::ObjectAttributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// Declares the checksum the parts will carry (`x-amz-checksum-algorithm`
    /// and `x-amz-checksum-type`).
    #[must_use]
    pub fn checksum(mut self, algorithm: ChecksumAlgorithm, checksum_type: ChecksumType) -> Self {
        self.checksum = Some((algorithm, checksum_type));
        self
    }
}

impl Operation for CreateMultipartUpload {
    type Output = CreateMultipartUploadOutput;
    const NAME: OperationName = OperationName::CreateMultipartUpload;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        let mut builder = RequestBuilder::object(Self::NAME, Method::POST, &self.bucket, &self.key);
        builder.subresource("uploads");
        self.attributes.write(&mut builder)?;
        if let Some((algorithm, checksum_type)) = self.checksum {
            algorithm.check_multipart(checksum_type)?;
            builder.header(X_AMZ_CHECKSUM_ALGORITHM, algorithm.as_str())?;
            builder.header(X_AMZ_CHECKSUM_TYPE, checksum_type.as_str())?;
        }
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<CreateMultipartUploadOutput, R2Error> {
        let context = ErrorContext::object(Self::NAME, self.bucket.as_str(), self.key.as_str());
        let mut doc = Document::open(&context, response, &["InitiateMultipartUploadResult"])?;
        let (mut bucket, mut key, mut upload_id) = (None, None, None);
        while let Some(child) = doc.next()? {
            match child.name() {
                b"Bucket" => bucket = Some(doc.string(child)?),
                b"Key" => key = Some(doc.string(child)?),
                b"UploadId" => upload_id = Some(doc.string(child)?),
                _ => doc.skip(child)?,
            }
        }
        let upload_id = upload_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| doc.missing("UploadId"))?;
        doc.finish()?;
        Ok(CreateMultipartUploadOutput {
            bucket,
            key,
            upload_id,
        })
    }
}
