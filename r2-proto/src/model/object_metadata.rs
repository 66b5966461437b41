//! What GetObject and HeadObject say about an object, from response headers.

use time::OffsetDateTime;

use super::{Checksums, ContentRange, ETag, Metadata, StorageClass};
use crate::error::R2Error;
use crate::response_headers::ResponseHeaders;

/// An object's system and user metadata, as a GET or HEAD response carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectMetadata {
    /// `Content-Length`: the size of this response's body (the whole object
    /// for HEAD and full GETs, the range for ranged GETs).
    pub content_length: Option<u64>,
    /// `Content-Range` of a ranged GET.
    pub content_range: Option<ContentRange>,
    /// `Content-Type`.
    pub content_type: Option<String>,
    /// `ETag`.
    pub etag: Option<ETag>,
    /// `Last-Modified`.
    pub last_modified: Option<OffsetDateTime>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Content-Language`.
    pub content_language: Option<String>,
    /// `Expires`, as sent (S3 stores any text here).
    pub expires: Option<String>,
    /// User metadata (`x-amz-meta-*`), RFC 2047 words decoded.
    pub metadata: Metadata,
    /// R2's `x-amz-missing-meta`: metadata entries it could not return.
    pub missing_metadata: Option<u32>,
    /// `x-amz-version-id`.
    pub version_id: Option<String>,
    /// `x-amz-storage-class`.
    pub storage_class: Option<StorageClass>,
    /// `x-amz-mp-parts-count`, for multipart objects.
    pub parts_count: Option<u32>,
    /// Checksums the server sent.
    pub checksums: Checksums,
}

impl ObjectMetadata {
    /// Reads the object's metadata from response headers.
    pub(crate) fn from_headers(headers: ResponseHeaders<'_>) -> Result<Self, R2Error> {
        let (metadata, missing_metadata) = Metadata::from_headers(headers.map());
        Ok(Self {
            content_length: headers.number("content-length")?,
            content_range: headers.parsed("content-range", ContentRange::parse)?,
            content_type: headers.text("content-type"),
            etag: headers.text("etag").map(ETag::new),
            last_modified: headers.date("last-modified")?,
            cache_control: headers.text("cache-control"),
            content_disposition: headers.text("content-disposition"),
            content_encoding: headers.text("content-encoding"),
            content_language: headers.text("content-language"),
            expires: headers.text("expires"),
            metadata,
            missing_metadata,
            version_id: headers.text("x-amz-version-id"),
            storage_class: headers
                .text("x-amz-storage-class")
                .map(|c| StorageClass::parse(&c)),
            parts_count: headers.number("x-amz-mp-parts-count")?,
            checksums: Checksums::from_headers(headers.map()),
        })
    }

    /// The whole object's size: the `Content-Range` total of a ranged GET,
    /// else `Content-Length`.
    pub fn object_size(&self) -> Option<u64> {
        self.content_range
            .and_then(|r| r.total)
            .or(if self.content_range.is_some() {
                None
            } else {
                self.content_length
            })
    }
}
