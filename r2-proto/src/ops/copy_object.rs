//! CopyObject: copy an object within a bucket or across buckets.

use bytes::Bytes;
use http::{Method, Response};
use time::OffsetDateTime;

use super::attributes::{ObjectAttributes, write_storage_class};
use super::builder::RequestBuilder;
use super::document::Document;
use super::header_names::{
    CF_COPY_DESTINATION_IF_MATCH, CF_COPY_DESTINATION_IF_NONE_MATCH, X_AMZ_COPY_SOURCE,
    X_AMZ_COPY_SOURCE_IF_MATCH, X_AMZ_COPY_SOURCE_IF_MODIFIED_SINCE,
    X_AMZ_COPY_SOURCE_IF_NONE_MATCH, X_AMZ_COPY_SOURCE_IF_UNMODIFIED_SINCE,
    X_AMZ_METADATA_DIRECTIVE,
};
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error, RequestError};
use crate::model::{ETag, MetadataDirective};
use crate::names::{BucketName, ObjectKey};
use crate::percent;
use crate::response_headers::ResponseHeaders;

/// The object a copy reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    /// The source bucket.
    pub bucket: BucketName,
    /// The source key.
    pub key: ObjectKey,
}

impl CopySource {
    /// The object `key` in `bucket`.
    pub fn new(bucket: impl Into<BucketName>, key: impl Into<ObjectKey>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
        }
    }

    /// The `x-amz-copy-source` value: `bucket/key`, the key percent-encoded
    /// once as in a path.
    pub fn header_value(&self) -> String {
        let mut value =
            String::with_capacity(self.bucket.as_str().len() + 1 + self.key.as_str().len() * 3 / 2);
        value.push_str(self.bucket.as_str());
        value.push('/');
        percent::encode_path_into(&mut value, self.key.as_str());
        value
    }
}

/// Copies an object, server-side.
///
/// The metadata directive is `COPY` (keep the source's metadata) unless
/// [`metadata_directive`](Self::metadata_directive) says `REPLACE` (use the
/// attributes given here) or R2's `MERGE`. Giving attributes other than the
/// storage class with `COPY` is refused, since the server would ignore them.
/// A `200 OK` whose body is `<Error>` is returned as that error.
///
/// ```
/// use r2_proto::model::MetadataDirective;
/// use r2_proto::ops::{CopyObject, CopySource, Operation};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let source = CopySource::new(BucketName::new("src")?, ObjectKey::new("dir/my file.txt")?);
/// let copy = CopyObject::new(source, BucketName::new("dst")?, ObjectKey::new("copy.txt")?)
///     .metadata_directive(MetadataDirective::Replace)
///     .content_type("text/plain");
/// let prepared = copy.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.headers()["x-amz-copy-source"], "src/dir/my%20file.txt");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CopyObject {
    source: CopySource,
    bucket: BucketName,
    key: ObjectKey,
    directive: MetadataDirective,
    attributes: ObjectAttributes,
    source_if_match: Option<ETag>,
    source_if_none_match: Option<ETag>,
    source_if_modified_since: Option<OffsetDateTime>,
    source_if_unmodified_since: Option<OffsetDateTime>,
    destination_if_match: Option<ETag>,
    destination_if_none_match: Option<String>,
}

/// What CopyObject returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyObjectOutput {
    /// The new object's ETag.
    pub etag: ETag,
    /// The new object's modification time.
    pub last_modified: Option<OffsetDateTime>,
    /// `x-amz-version-id` of the new object.
    pub version_id: Option<String>,
    /// `x-amz-copy-source-version-id`.
    pub source_version_id: Option<String>,
}

impl CopyObject {
    /// Copies `source` to `key` in `bucket`.
    pub fn new(
        source: CopySource,
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
    ) -> Self {
        Self {
            source,
            bucket: bucket.into(),
            key: key.into(),
            directive: MetadataDirective::Copy,
            attributes: ObjectAttributes::default(),
            source_if_match: None,
            source_if_none_match: None,
            source_if_modified_since: None,
            source_if_unmodified_since: None,
            destination_if_match: None,
            destination_if_none_match: None,
        }
    }

    crate::attribute_setters!(.attributes);

    /// Replaces all attributes at once.
    #[must_use]
    pub fn attributes(mut self, attributes: super::ObjectAttributes) -> Self {
        self.attributes = attributes;
        self
    }

    /// `COPY` (default), `REPLACE` or `MERGE` (R2).
    #[must_use]
    pub fn metadata_directive(mut self, directive: MetadataDirective) -> Self {
        self.directive = directive;
        self
    }

    /// Copies only if the source's ETag is `etag` (`x-amz-copy-source-if-match`).
    #[must_use]
    pub fn source_if_match(mut self, etag: impl Into<ETag>) -> Self {
        self.source_if_match = Some(etag.into());
        self
    }

    /// Copies only if the source's ETag differs (`x-amz-copy-source-if-none-match`).
    #[must_use]
    pub fn source_if_none_match(mut self, etag: impl Into<ETag>) -> Self {
        self.source_if_none_match = Some(etag.into());
        self
    }

    /// Copies only if the source changed since `when`.
    #[must_use]
    pub fn source_if_modified_since(mut self, when: OffsetDateTime) -> Self {
        self.source_if_modified_since = Some(when);
        self
    }

    /// Copies only if the source did not change since `when`.
    #[must_use]
    pub fn source_if_unmodified_since(mut self, when: OffsetDateTime) -> Self {
        self.source_if_unmodified_since = Some(when);
        self
    }

    /// Copies only if the destination's ETag is `etag` (R2's
    /// `cf-copy-destination-if-match`, beta; not atomic with the source checks).
    #[must_use]
    pub fn destination_if_match(mut self, etag: impl Into<ETag>) -> Self {
        self.destination_if_match = Some(etag.into());
        self
    }

    /// Copies only if no object exists at the destination (R2's
    /// `cf-copy-destination-if-none-match: *`, beta).
    #[must_use]
    pub fn destination_if_none_match_any(mut self) -> Self {
        self.destination_if_none_match = Some("*".into());
        self
    }

    /// The source.
    pub fn source(&self) -> &CopySource {
        &self.source
    }
}

/// Reads a `CopyObjectResult` or `CopyPartResult`: the new ETag and time.
pub(crate) fn read_copy_result(
    context: &ErrorContext<'_>,
    response: &Response<Bytes>,
    root: &'static str,
) -> Result<(ETag, Option<OffsetDateTime>), R2Error> {
    let mut doc = Document::open(context, response, &[root])?;
    let (mut etag, mut last_modified) = (None, None);
    while let Some(child) = doc.next()? {
        match child.name() {
            b"ETag" => etag = Some(ETag::new(doc.string(child)?)),
            b"LastModified" => last_modified = Some(doc.date(child, "LastModified")?),
            _ => doc.skip(child)?,
        }
    }
    let etag = etag.ok_or_else(|| doc.missing("ETag"))?;
    doc.finish()?;
    Ok((etag, last_modified))
}

impl Operation for CopyObject {
    type Output = CopyObjectOutput;
    const NAME: OperationName = OperationName::CopyObject;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        let mut builder = RequestBuilder::object(Self::NAME, Method::PUT, &self.bucket, &self.key);
        builder.header(X_AMZ_COPY_SOURCE, &self.source.header_value())?;
        if self.directive == MetadataDirective::Copy {
            let ignored = ObjectAttributes {
                storage_class: None,
                ..self.attributes.clone()
            };
            if ignored != ObjectAttributes::default() {
                return Err(RequestError::ConflictingOptions(
                    "attributes given with metadata directive COPY would be ignored; \
                     use REPLACE or MERGE"
                        .into(),
                )
                .into());
            }
            write_storage_class(&mut builder, self.attributes.storage_class.as_ref())?;
        } else {
            builder.header(X_AMZ_METADATA_DIRECTIVE, self.directive.as_str())?;
            self.attributes.write(&mut builder)?;
        }
        builder.etag_header_opt(X_AMZ_COPY_SOURCE_IF_MATCH, self.source_if_match.as_ref())?;
        builder.etag_header_opt(
            X_AMZ_COPY_SOURCE_IF_NONE_MATCH,
            self.source_if_none_match.as_ref(),
        )?;
        builder.date_header_opt(
            X_AMZ_COPY_SOURCE_IF_MODIFIED_SINCE,
            self.source_if_modified_since,
        )?;
        builder.date_header_opt(
            X_AMZ_COPY_SOURCE_IF_UNMODIFIED_SINCE,
            self.source_if_unmodified_since,
        )?;
        builder.etag_header_opt(
            CF_COPY_DESTINATION_IF_MATCH,
            self.destination_if_match.as_ref(),
        )?;
        builder.header_opt(
            CF_COPY_DESTINATION_IF_NONE_MATCH,
            self.destination_if_none_match.as_deref(),
        )?;
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<CopyObjectOutput, R2Error> {
        let context = ErrorContext::object(Self::NAME, self.bucket.as_str(), self.key.as_str());
        let (etag, last_modified) = read_copy_result(&context, response, "CopyObjectResult")?;
        let headers = ResponseHeaders::new(response.headers(), Self::NAME);
        Ok(CopyObjectOutput {
            etag,
            last_modified,
            version_id: headers.text("x-amz-version-id"),
            source_version_id: headers.text("x-amz-copy-source-version-id"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StorageClass;

    fn copy() -> CopyObject {
        let source = CopySource::new(
            BucketName::new("src").unwrap(),
            ObjectKey::new("a b").unwrap(),
        );
        CopyObject::new(
            source,
            BucketName::new("dst").unwrap(),
            ObjectKey::new("c").unwrap(),
        )
    }

    #[test]
    fn attributes_need_a_directive_that_uses_them() {
        let endpoint = Endpoint::parse("https://h.example").unwrap();
        assert!(matches!(
            copy().content_type("text/plain").to_request(&endpoint),
            Err(R2Error::Request(RequestError::ConflictingOptions(_)))
        ));
        let prepared = copy()
            .storage_class(StorageClass::StandardIa)
            .source_if_none_match("\"x\"")
            .source_if_modified_since(time::macros::datetime!(2024-01-01 0:00 UTC))
            .destination_if_match("\"y\"")
            .to_request(&endpoint)
            .unwrap();
        assert!(!prepared.headers().contains_key("x-amz-metadata-directive"));
        assert_eq!(prepared.headers()["x-amz-storage-class"], "STANDARD_IA");
        assert_eq!(prepared.headers()["cf-copy-destination-if-match"], "\"y\"");
        let merge = copy()
            .metadata_directive(MetadataDirective::Merge)
            .metadata("k", "v")
            .to_request(&endpoint)
            .unwrap();
        assert_eq!(merge.headers()["x-amz-metadata-directive"], "MERGE");
        assert_eq!(merge.headers()["x-amz-meta-k"], "v");
        assert!(
            copy()
                .storage_class(StorageClass::Other("GLACIER".into()))
                .to_request(&endpoint)
                .is_err()
        );
        assert_eq!(copy().source().key.as_str(), "a b");
    }

    #[test]
    fn reads_version_ids() {
        let response = Response::builder()
            .status(200)
            .header("x-amz-version-id", "v2")
            .header("x-amz-copy-source-version-id", "v1")
            .body(Bytes::from_static(
                b"<CopyObjectResult><ETag>\"e\"</ETag></CopyObjectResult>",
            ))
            .unwrap();
        let out = copy().parse(&response).unwrap();
        assert_eq!(out.version_id.as_deref(), Some("v2"));
        assert_eq!(out.source_version_id.as_deref(), Some("v1"));
        assert_eq!(out.last_modified, None);
        let response = Response::builder()
            .status(200)
            .body(Bytes::from_static(b"<CopyObjectResult/>"))
            .unwrap();
        assert!(copy().parse(&response).is_err());
    }
}
