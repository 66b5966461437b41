//! ListMultipartUploads: uploads started and not completed or aborted, to
//! find and clean up abandoned ones.

use bytes::Bytes;
use http::{Method, Response};
use time::OffsetDateTime;

use super::builder::RequestBuilder;
use super::document::Document;
use super::list_objects_v2::{read_common_prefix, url_decode};
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error, ResponseError, ResponseProblem};
use crate::model::StorageClass;
use crate::names::BucketName;

/// Lists unfinished multipart uploads. Asks for `encoding-type=url` and
/// decodes keys back.
///
/// ```
/// use r2_proto::ops::{ListMultipartUploads, Operation};
/// use r2_proto::{BucketName, Endpoint};
///
/// let list = ListMultipartUploads::new(BucketName::new("videos")?).prefix("2024/");
/// let prepared = list.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.uri().query(), Some("uploads&encoding-type=url&prefix=2024%2F"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMultipartUploads {
    bucket: BucketName,
    prefix: Option<String>,
    delimiter: Option<String>,
    key_marker: Option<String>,
    upload_id_marker: Option<String>,
    max_uploads: Option<u32>,
}

/// One unfinished upload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MultipartUploadSummary {
    /// The key being uploaded.
    pub key: String,
    /// The upload id.
    pub upload_id: String,
    /// When the upload started.
    pub initiated: Option<OffsetDateTime>,
    /// Storage class.
    pub storage_class: Option<StorageClass>,
}

/// One page of uploads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListMultipartUploadsOutput {
    /// The uploads on this page.
    pub uploads: Vec<MultipartUploadSummary>,
    /// Prefixes rolled up at the delimiter.
    pub common_prefixes: Vec<String>,
    /// True when more pages follow.
    pub is_truncated: bool,
    /// Key marker of the next page.
    pub next_key_marker: Option<String>,
    /// Upload id marker of the next page.
    pub next_upload_id_marker: Option<String>,
}

impl ListMultipartUploads {
    /// Lists the unfinished uploads of `bucket`.
    pub fn new(bucket: impl Into<BucketName>) -> Self {
        Self {
            bucket: bucket.into(),
            prefix: None,
            delimiter: None,
            key_marker: None,
            upload_id_marker: None,
            max_uploads: None,
        }
    }

    /// Only keys starting with `prefix`.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Rolls keys up into common prefixes at `delimiter`.
    #[must_use]
    pub fn delimiter(mut self, delimiter: impl Into<String>) -> Self {
        self.delimiter = Some(delimiter.into());
        self
    }

    /// Continues after this key (and upload id).
    #[must_use]
    pub fn markers(
        mut self,
        key_marker: impl Into<String>,
        upload_id_marker: Option<String>,
    ) -> Self {
        self.key_marker = Some(key_marker.into());
        self.upload_id_marker = upload_id_marker;
        self
    }

    /// At most `n` uploads per page (1..=1000).
    #[must_use]
    pub fn max_uploads(mut self, n: u32) -> Self {
        self.max_uploads = Some(n);
        self
    }

    /// A paginator over every page.
    pub fn pages(self) -> UploadPages {
        UploadPages { next: Some(self) }
    }
}

fn read_upload(doc: &mut Document<'_>) -> Result<MultipartUploadSummary, R2Error> {
    let (mut key, mut upload_id, mut initiated, mut storage_class) = (None, None, None, None);
    while let Some(field) = doc.next()? {
        match field.name() {
            b"Key" => key = Some(doc.string(field)?),
            b"UploadId" => upload_id = Some(doc.string(field)?),
            b"Initiated" => initiated = Some(doc.date(field, "Initiated")?),
            b"StorageClass" => storage_class = Some(StorageClass::parse(&doc.text(field)?)),
            _ => doc.skip(field)?,
        }
    }
    Ok(MultipartUploadSummary {
        key: key.ok_or_else(|| doc.missing("Key"))?,
        upload_id: upload_id.ok_or_else(|| doc.missing("UploadId"))?,
        initiated,
        storage_class,
    })
}

impl Operation for ListMultipartUploads {
    type Output = ListMultipartUploadsOutput;
    const NAME: OperationName = OperationName::ListMultipartUploads;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        let mut builder = RequestBuilder::bucket(Self::NAME, Method::GET, &self.bucket);
        builder.subresource("uploads");
        builder.query("encoding-type", "url");
        builder.query_opt("prefix", self.prefix.as_deref());
        builder.query_opt("delimiter", self.delimiter.as_deref());
        builder.query_opt("key-marker", self.key_marker.as_deref());
        builder.query_opt("upload-id-marker", self.upload_id_marker.as_deref());
        builder.page_size("max-uploads", self.max_uploads)?;
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<ListMultipartUploadsOutput, R2Error> {
        let context = ErrorContext::bucket(Self::NAME, self.bucket.as_str());
        let mut doc = Document::open(&context, response, &["ListMultipartUploadsResult"])?;
        let mut out = ListMultipartUploadsOutput::default();
        let mut url_encoded = false;
        while let Some(child) = doc.next()? {
            match child.name() {
                b"Upload" => out.uploads.push(read_upload(&mut doc)?),
                b"CommonPrefixes" => {
                    if let Some(prefix) = read_common_prefix(&mut doc)? {
                        out.common_prefixes.push(prefix);
                    }
                }
                b"IsTruncated" => out.is_truncated = doc.boolean(child, "IsTruncated")?,
                b"NextKeyMarker" => out.next_key_marker = Some(doc.string(child)?),
                b"NextUploadIdMarker" => out.next_upload_id_marker = Some(doc.string(child)?),
                b"EncodingType" => url_encoded = doc.text(child)?.trim() == "url",
                _ => doc.skip(child)?,
            }
        }
        doc.finish()?;
        if url_encoded {
            for upload in &mut out.uploads {
                url_decode(Self::NAME, "Key", &mut upload.key)?;
            }
            for prefix in &mut out.common_prefixes {
                url_decode(Self::NAME, "Prefix", prefix)?;
            }
            if let Some(marker) = &mut out.next_key_marker {
                url_decode(Self::NAME, "NextKeyMarker", marker)?;
            }
        }
        Ok(out)
    }
}

/// Every page of an upload listing, without I/O (see [`ListMultipartUploads::pages`]).
#[derive(Debug, Clone)]
pub struct UploadPages {
    next: Option<ListMultipartUploads>,
}

impl UploadPages {
    /// The request for the next page, or `None` when done.
    pub fn next_request(&self) -> Option<&ListMultipartUploads> {
        self.next.as_ref()
    }

    /// Takes the output of the page last requested; refuses a truncated page
    /// whose markers do not move.
    pub fn advance(&mut self, output: &ListMultipartUploadsOutput) -> Result<(), R2Error> {
        let Some(request) = self.next.take() else {
            return Ok(());
        };
        if !output.is_truncated {
            return Ok(());
        }
        let key_marker = output.next_key_marker.clone().filter(|m| !m.is_empty());
        let moved = key_marker.is_some()
            && (key_marker != request.key_marker
                || output.next_upload_id_marker != request.upload_id_marker);
        match key_marker {
            Some(marker) if moved => {
                self.next = Some(request.markers(marker, output.next_upload_id_marker.clone()));
                Ok(())
            }
            _ => Err(ResponseError {
                operation: OperationName::ListMultipartUploads,
                problem: ResponseProblem::StuckPagination(
                    "truncated page whose markers do not move",
                ),
            }
            .into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> ListMultipartUploads {
        ListMultipartUploads::new(BucketName::new("bkt").unwrap())
    }

    fn page(truncated: bool, key: Option<&str>, id: Option<&str>) -> ListMultipartUploadsOutput {
        ListMultipartUploadsOutput {
            is_truncated: truncated,
            next_key_marker: key.map(str::to_owned),
            next_upload_id_marker: id.map(str::to_owned),
            ..ListMultipartUploadsOutput::default()
        }
    }

    #[test]
    fn pages_follow_both_markers() {
        let mut pages = list().pages();
        pages.advance(&page(true, Some("a"), Some("1"))).unwrap();
        pages.advance(&page(true, Some("a"), Some("2"))).unwrap();
        assert!(
            pages
                .clone()
                .advance(&page(true, Some("a"), Some("2")))
                .is_err()
        );
        assert!(pages.clone().advance(&page(true, None, Some("3"))).is_err());
        pages.advance(&page(false, None, None)).unwrap();
        assert!(pages.next_request().is_none());
    }

    #[test]
    fn decodes_url_encoded_keys_and_markers() {
        let body = "<ListMultipartUploadsResult><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>\
                    <NextKeyMarker>videos%2Fa+b.mp4</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>\
                    <Upload><Key>videos%2Fa+b.mp4</Key><UploadId>u1</UploadId><Initiated>2024-05-01T00:00:00.000Z</Initiated>\
                    <StorageClass>STANDARD</StorageClass></Upload>\
                    <CommonPrefixes><Prefix>raw%20files%2F</Prefix></CommonPrefixes></ListMultipartUploadsResult>";
        let response = Response::builder()
            .status(200)
            .body(Bytes::from(body))
            .unwrap();
        let out = list().parse(&response).unwrap();
        assert_eq!(out.uploads[0].key, "videos/a b.mp4");
        assert_eq!(out.next_key_marker.as_deref(), Some("videos/a b.mp4"));
        assert_eq!(out.common_prefixes, ["raw files/"]);
        assert!(out.is_truncated);
        let missing_id = "<ListMultipartUploadsResult><Upload><Key>k</Key></Upload></ListMultipartUploadsResult>";
        let response = Response::builder()
            .status(200)
            .body(Bytes::from(missing_id))
            .unwrap();
        assert!(list().parse(&response).is_err());
        let endpoint = Endpoint::parse("https://h.example").unwrap();
        assert!(list().max_uploads(0).to_request(&endpoint).is_err());
        assert!(
            list()
                .delimiter("/")
                .max_uploads(10)
                .to_request(&endpoint)
                .is_ok()
        );
    }
}
