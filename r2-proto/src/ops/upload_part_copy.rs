//! UploadPartCopy: fill a part from a byte range of an existing object.

use bytes::Bytes;
use http::{Method, Response};
use time::OffsetDateTime;

use super::builder::RequestBuilder;
use super::copy_object::{CopySource, read_copy_result};
use super::header_names::{X_AMZ_COPY_SOURCE, X_AMZ_COPY_SOURCE_RANGE};
use super::multipart_ids::check_upload_id;
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error, RequestError};
use crate::model::ETag;
use crate::names::{BucketName, ObjectKey};

/// Copies bytes `first..=last` of `source` (or all of it) into part
/// `part_number`. The range must respect R2's equal-part-size rule like any
/// uploaded part. R2 does not take the copy-source conditionals here.
///
/// ```
/// use r2_proto::ops::{CopySource, Operation, UploadPartCopy};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let source = CopySource::new(BucketName::new("src")?, ObjectKey::new("big.bin")?);
/// let copy = UploadPartCopy::new(BucketName::new("dst")?, ObjectKey::new("big.bin")?, "id", 1, source)
///     .range(0, 5 * 1024 * 1024 - 1);
/// let prepared = copy.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.headers()["x-amz-copy-source-range"], "bytes=0-5242879");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct UploadPartCopy {
    bucket: BucketName,
    key: ObjectKey,
    upload_id: String,
    part_number: u32,
    source: CopySource,
    range: Option<(u64, u64)>,
}

/// What UploadPartCopy returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadPartCopyOutput {
    /// The part's ETag, for CompleteMultipartUpload.
    pub etag: ETag,
    /// When the part was written.
    pub last_modified: Option<OffsetDateTime>,
}

impl UploadPartCopy {
    /// Copies `source` into part `part_number` of `upload_id`.
    pub fn new(
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        upload_id: impl Into<String>,
        part_number: u32,
        source: CopySource,
    ) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            part_number,
            source,
            range: None,
        }
    }

    /// Copies only bytes `first..=last` of the source.
    #[must_use]
    pub fn range(mut self, first: u64, last: u64) -> Self {
        self.range = Some((first, last));
        self
    }
}

impl Operation for UploadPartCopy {
    type Output = UploadPartCopyOutput;
    const NAME: OperationName = OperationName::UploadPartCopy;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        check_upload_id(&self.upload_id)?;
        let mut builder = RequestBuilder::object(Self::NAME, Method::PUT, &self.bucket, &self.key);
        builder.part_number(self.part_number)?;
        builder.query("uploadId", &self.upload_id);
        builder.header(X_AMZ_COPY_SOURCE, &self.source.header_value())?;
        if let Some((first, last)) = self.range {
            if first > last {
                return Err(RequestError::InvalidRange(format!("{first} > {last}")).into());
            }
            builder.header(X_AMZ_COPY_SOURCE_RANGE, &format!("bytes={first}-{last}"))?;
        }
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<UploadPartCopyOutput, R2Error> {
        let context = ErrorContext::upload(
            Self::NAME,
            self.bucket.as_str(),
            self.key.as_str(),
            &self.upload_id,
        );
        let (etag, last_modified) = read_copy_result(&context, response, "CopyPartResult")?;
        Ok(UploadPartCopyOutput {
            etag,
            last_modified,
        })
    }
}
