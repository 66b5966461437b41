//! DeleteObject: remove one object.

use bytes::Bytes;
use http::{Method, Response};

use super::builder::RequestBuilder;
use super::document::check_status;
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error};
use crate::names::{BucketName, ObjectKey};

/// Removes an object. Deleting a key that does not exist succeeds, as in S3.
///
/// ```
/// use r2_proto::ops::{DeleteObject, Operation};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let delete = DeleteObject::new(BucketName::new("tmp")?, ObjectKey::new("old.log")?);
/// let prepared = delete.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.method(), http::Method::DELETE);
/// let response = http::Response::builder().status(204).body(bytes::Bytes::new())?;
/// delete.parse(&response)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DeleteObject {
    bucket: BucketName,
    key: ObjectKey,
}

impl DeleteObject {
    /// Removes `key` from `bucket`.
    pub fn new(bucket: impl Into<BucketName>, key: impl Into<ObjectKey>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
        }
    }

    /// The bucket.
    pub fn bucket(&self) -> &BucketName {
        &self.bucket
    }

    /// The key.
    pub fn key(&self) -> &ObjectKey {
        &self.key
    }
}

impl Operation for DeleteObject {
    type Output = ();
    const NAME: OperationName = OperationName::DeleteObject;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        RequestBuilder::object(Self::NAME, Method::DELETE, &self.bucket, &self.key).build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<(), R2Error> {
        let context = ErrorContext::object(Self::NAME, self.bucket.as_str(), self.key.as_str());
        check_status(&context, response)
    }
}
