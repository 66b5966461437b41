//! HeadObject: an object's metadata without its body; and whether an
//! object exists, the same request with its 404 read as `false`.

use bytes::Bytes;
use http::{Method, Response};

use super::builder::RequestBuilder;
use super::document::check_status;
use super::preconditions::{Preconditions, precondition_setters};
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, ObjectError, R2Error};
use crate::model::ObjectMetadata;
use crate::names::{BucketName, ObjectKey};
use crate::response_headers::ResponseHeaders;

/// Reads an object's metadata. Errors of HEAD have no body, so they are
/// mapped from the status: 404 → `NoSuchKey` (or the bucket is missing),
/// 304 → `NotModified`, 412 → `PreconditionFailed`, 403 → `AccessDenied`.
///
/// ```
/// use r2_proto::ops::{HeadObject, Operation};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let head = HeadObject::new(BucketName::new("docs")?, ObjectKey::new("a.pdf")?);
/// let response = http::Response::builder()
///     .status(200)
///     .header("content-length", "1024")
///     .header("x-amz-meta-author", "Ada")
///     .body(bytes::Bytes::new())?;
/// let metadata = head.parse(&response)?;
/// assert_eq!(metadata.content_length, Some(1024));
/// assert_eq!(metadata.metadata.get("author"), Some("Ada"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct HeadObject {
    bucket: BucketName,
    key: ObjectKey,
    part_number: Option<u32>,
    preconditions: Preconditions,
}

impl HeadObject {
    /// Reads the metadata of `key` in `bucket`.
    pub fn new(bucket: impl Into<BucketName>, key: impl Into<ObjectKey>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            part_number: None,
            preconditions: Preconditions::default(),
        }
    }

    /// Reads the metadata of part `number` (1..=10000) of a multipart object.
    #[must_use]
    pub fn part_number(mut self, number: u32) -> Self {
        self.part_number = Some(number);
        self
    }

    precondition_setters!();

    /// The bucket.
    pub fn bucket(&self) -> &BucketName {
        &self.bucket
    }

    /// The key.
    pub fn key(&self) -> &ObjectKey {
        &self.key
    }
}

impl Operation for HeadObject {
    type Output = ObjectMetadata;
    const NAME: OperationName = OperationName::HeadObject;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        let mut builder = RequestBuilder::object(Self::NAME, Method::HEAD, &self.bucket, &self.key);
        if let Some(number) = self.part_number {
            builder.part_number(number)?;
        }
        self.preconditions.write(&mut builder)?;
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<ObjectMetadata, R2Error> {
        let context = ErrorContext::object(Self::NAME, self.bucket.as_str(), self.key.as_str());
        check_status(&context, response)?;
        ObjectMetadata::from_headers(ResponseHeaders::new(response.headers(), Self::NAME))
    }
}
/// Whether an object exists: a HeadObject whose `404` is `Ok(false)`, not
/// an error (other failures stay errors; as with any HEAD, whose answer has
/// no body, a missing bucket is also a `404`, so `false`).
///
/// ```
/// use r2_proto::ops::{ObjectExists, Operation};
/// use r2_proto::{BucketName, ObjectKey};
///
/// let exists = ObjectExists::new(BucketName::new("docs")?, ObjectKey::new("a.pdf")?);
/// let missing = http::Response::builder().status(404).body(bytes::Bytes::new())?;
/// assert!(!exists.parse(&missing)?);
/// let found = http::Response::builder().status(200).body(bytes::Bytes::new())?;
/// assert!(exists.parse(&found)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct ObjectExists(HeadObject);

impl ObjectExists {
    /// Whether `key` exists in `bucket`.
    pub fn new(bucket: impl Into<BucketName>, key: impl Into<ObjectKey>) -> Self {
        Self(HeadObject::new(bucket, key))
    }
}

impl From<HeadObject> for ObjectExists {
    /// The same HEAD (its part number and conditions kept), read as a yes or no.
    fn from(head: HeadObject) -> Self {
        Self(head)
    }
}

impl Operation for ObjectExists {
    type Output = bool;
    const NAME: OperationName = OperationName::HeadObject;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        self.0.to_request(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<bool, R2Error> {
        match self.0.parse(response) {
            Ok(_) => Ok(true),
            Err(R2Error::Object(ObjectError::NoSuchKey(_))) => Ok(false),
            Err(error) => Err(error),
        }
    }
}
