//! Every S3 operation r2 performs, one file each.
//!
//! An operation is a plain value built with its constructor (required
//! fields) and builder methods (optional ones). [`Operation::to_request`]
//! turns it into an unsigned [`PreparedRequest`]; after the adapter has sent
//! the signed request, [`Operation::parse`] turns the response (status,
//! headers, body) into the typed output or a typed [`R2Error`]. Nothing here
//! does I/O.
//!
//! ```
//! use bytes::Bytes;
//! use r2_proto::ops::{Operation, PutObject};
//! use r2_proto::{BucketName, Endpoint, ObjectKey};
//!
//! let endpoint = Endpoint::parse("https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com")?;
//! let put = PutObject::new(BucketName::new("photos")?, ObjectKey::new("a.txt")?, "hello")
//!     .content_type("text/plain")
//!     .if_none_match_any();
//! let prepared = put.to_request(&endpoint)?;
//! assert_eq!(prepared.headers()["if-none-match"], "*");
//!
//! // ... sign, send, and read the response into an `http::Response<Bytes>` ...
//! let response = http::Response::builder()
//!     .status(200)
//!     .header("etag", "\"5d41402abc4b2a76b9719d911017c592\"")
//!     .body(Bytes::new())?;
//! let output = put.parse(&response)?;
//! assert_eq!(output.etag.md5_hex(), Some("5d41402abc4b2a76b9719d911017c592"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod attributes;
mod builder;
mod document;
mod header_names;
mod multipart_ids;
mod preconditions;
mod prepared;

mod abort_multipart_upload;
mod complete_multipart_upload;
mod copy_object;
mod create_multipart_upload;
mod delete_object;
mod delete_objects;
mod delete_prefix;
mod get_bucket_lifecycle_configuration;
mod get_object;
mod head_object;
mod list_buckets;
mod list_multipart_uploads;
mod list_objects_v2;
mod list_parts;
mod listing;
mod put_object;
mod upload_part;
mod upload_part_copy;

use bytes::Bytes;

pub use crate::operation_name::OperationName;
pub use abort_multipart_upload::AbortMultipartUpload;
pub use attributes::ObjectAttributes;
pub use complete_multipart_upload::{
    CompleteMultipartUpload, CompleteMultipartUploadOutput, CompletedPart,
};
pub use copy_object::{CopyObject, CopyObjectOutput, CopySource};
pub use create_multipart_upload::{CreateMultipartUpload, CreateMultipartUploadOutput};
pub use delete_object::DeleteObject;
pub use delete_objects::{
    DeleteObjects, DeleteObjectsOutput, DeletedObject, FailedDelete, MAX_DELETE_KEYS,
};
pub use delete_prefix::{DeletePrefix, DeletePrefixOutput, DeleteStep};
pub use get_bucket_lifecycle_configuration::{
    GetBucketLifecycleConfiguration, LifecycleExpiration, LifecycleRule, LifecycleTransition,
};
pub use get_object::{GetObject, GetObjectOutput, StreamedGet};
pub use head_object::{HeadObject, ObjectExists};
pub use list_buckets::{BucketSummary, ListBuckets, ListBucketsOutput};
pub use list_multipart_uploads::{
    ListMultipartUploads, ListMultipartUploadsOutput, MultipartUploadSummary, UploadPages,
};
pub use list_objects_v2::{ListObjectsV2, ListObjectsV2Output, ListPages, ObjectSummary, Owner};
pub use list_parts::{ListParts, ListPartsOutput, PartPages, PartSummary};
pub use listing::{ListEntry, ListItem, ListKeys, NextKey};
pub use multipart_ids::MAX_PART_NUMBER;
pub use preconditions::{IfNoneMatch, Preconditions};
pub use prepared::{PreparedRequest, RequestBody, RequestInfo};
pub use put_object::{PutObject, PutObjectOutput};
pub use upload_part::{UploadPart, UploadPartOutput};
pub use upload_part_copy::{UploadPartCopy, UploadPartCopyOutput};

use std::time::Duration;

use http::Method;
use time::OffsetDateTime;

use crate::endpoint::Endpoint;
use crate::error::{R2Error, RequestError};
use crate::sign::{PresignedRequest, Signer};

/// An S3 operation: a request to build and a response to read.
pub trait Operation {
    /// What a successful response becomes.
    type Output;

    /// The operation's name.
    const NAME: OperationName;

    /// The unsigned request, with `Content-Length` and the payload hash set.
    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error>;

    /// The request a presigned URL stands for: [`Operation::to_request`],
    /// unless the operation adds headers only a client of its own sends
    /// (a default integrity header, a checksum mode), which a URL leaves out.
    fn presign_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        self.to_request(endpoint)
    }

    /// Reads a complete response: the output on success, else the typed
    /// error the status and body stand for.
    fn parse(&self, response: &http::Response<Bytes>) -> Result<Self::Output, R2Error>;

    /// A presigned URL for this operation, valid for `expires_in` (1 s to 7
    /// days). R2 presigns GET, HEAD, PUT and DELETE requests only. Headers the
    /// request carries (content type, metadata, range, integrity header) are
    /// bound into the signature and must be sent by the URL's user.
    ///
    /// ```
    /// use std::time::Duration;
    /// use r2_proto::ops::{GetObject, Operation};
    /// use r2_proto::{BucketName, Config, Credentials, ObjectKey};
    /// use time::macros::datetime;
    ///
    /// let config = Config::for_account("0123456789abcdef0123456789abcdef", Credentials::new("AKID", "secret")?).build()?;
    /// let get = GetObject::new(BucketName::new("photos")?, ObjectKey::new("cat.jpg")?);
    /// let url = get.presign(config.endpoint(), &config.signer(), Duration::from_secs(600), datetime!(2024-05-01 12:00 UTC))?;
    /// assert!(url.url().contains("/photos/cat.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn presign(
        &self,
        endpoint: &Endpoint,
        signer: &Signer,
        expires_in: Duration,
        now: OffsetDateTime,
    ) -> Result<PresignedRequest, R2Error> {
        let prepared = self.presign_request(endpoint)?;
        if !matches!(
            *prepared.method(),
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE
        ) {
            return Err(RequestError::NotPresignable(Self::NAME.as_str()).into());
        }
        Ok(prepared.presign(signer, expires_in, now)?)
    }
}
