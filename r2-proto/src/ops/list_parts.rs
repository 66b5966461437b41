//! ListParts: the parts of an upload so far, a page at a time.

use bytes::Bytes;
use http::{Method, Response};
use time::OffsetDateTime;

use super::builder::RequestBuilder;
use super::document::Document;
use super::multipart_ids::check_upload_id;
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error, ResponseError, ResponseProblem};
use crate::model::{ChecksumAlgorithm, Checksums, ETag};
use crate::names::{BucketName, ObjectKey};

/// Lists the parts uploaded so far, for resuming an upload.
///
/// ```
/// use r2_proto::ops::{ListParts, Operation};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let list = ListParts::new(BucketName::new("videos")?, ObjectKey::new("big.mp4")?, "id").max_parts(100);
/// let prepared = list.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.uri().query(), Some("uploadId=id&max-parts=100"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParts {
    bucket: BucketName,
    key: ObjectKey,
    upload_id: String,
    max_parts: Option<u32>,
    part_number_marker: Option<u32>,
}

/// One uploaded part.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PartSummary {
    /// Part number.
    pub part_number: u32,
    /// ETag (the MD5 of the part).
    pub etag: ETag,
    /// Size in bytes.
    pub size: u64,
    /// When the part was uploaded.
    pub last_modified: Option<OffsetDateTime>,
    /// The part's checksums.
    pub checksums: Checksums,
}

/// One page of parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListPartsOutput {
    /// The parts, sorted by part number (whatever order the server used).
    pub parts: Vec<PartSummary>,
    /// True when more pages follow.
    pub is_truncated: bool,
    /// The marker of the next page.
    pub next_part_number_marker: Option<u32>,
    /// The page size limit.
    pub max_parts: Option<u32>,
}

impl ListParts {
    /// Lists the parts of `upload_id`.
    pub fn new(
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        upload_id: impl Into<String>,
    ) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            max_parts: None,
            part_number_marker: None,
        }
    }

    /// At most `n` parts per page (1..=1000).
    #[must_use]
    pub fn max_parts(mut self, n: u32) -> Self {
        self.max_parts = Some(n);
        self
    }

    /// Lists parts after part number `marker`.
    #[must_use]
    pub fn part_number_marker(mut self, marker: u32) -> Self {
        self.part_number_marker = Some(marker);
        self
    }

    /// A paginator over every page.
    pub fn pages(self) -> PartPages {
        PartPages { next: Some(self) }
    }
}

fn read_part(doc: &mut Document<'_>) -> Result<PartSummary, R2Error> {
    let (mut number, mut etag, mut size) = (None, None, None);
    let mut last_modified = None;
    let mut checksums = Checksums::default();
    while let Some(field) = doc.next()? {
        match field.name() {
            b"PartNumber" => number = Some(doc.number(field, "PartNumber")?),
            b"ETag" => etag = Some(ETag::new(doc.string(field)?)),
            b"Size" => size = Some(doc.number(field, "Size")?),
            b"LastModified" => last_modified = Some(doc.date(field, "LastModified")?),
            name => match ChecksumAlgorithm::ALL
                .into_iter()
                .find(|a| a.element_name().as_bytes() == name)
            {
                Some(algorithm) => *checksums.slot(algorithm) = Some(doc.string(field)?),
                None => doc.skip(field)?,
            },
        }
    }
    Ok(PartSummary {
        part_number: number.ok_or_else(|| doc.missing("PartNumber"))?,
        etag: etag.ok_or_else(|| doc.missing("ETag"))?,
        size: size.ok_or_else(|| doc.missing("Size"))?,
        last_modified,
        checksums,
    })
}

impl Operation for ListParts {
    type Output = ListPartsOutput;
    const NAME: OperationName = OperationName::ListParts;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        check_upload_id(&self.upload_id)?;
        let mut builder = RequestBuilder::object(Self::NAME, Method::GET, &self.bucket, &self.key);
        builder.query("uploadId", &self.upload_id);
        builder.page_size("max-parts", self.max_parts)?;
        builder.query_opt(
            "part-number-marker",
            self.part_number_marker.map(|n| n.to_string()).as_deref(),
        );
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<ListPartsOutput, R2Error> {
        let context = ErrorContext::upload(
            Self::NAME,
            self.bucket.as_str(),
            self.key.as_str(),
            &self.upload_id,
        );
        // moto answers with <ListPartsResponse>; S3 and R2 with <ListPartsResult>.
        let mut doc = Document::open(
            &context,
            response,
            &["ListPartsResult", "ListPartsResponse"],
        )?;
        let mut out = ListPartsOutput::default();
        while let Some(child) = doc.next()? {
            match child.name() {
                b"Part" => out.parts.push(read_part(&mut doc)?),
                b"IsTruncated" => out.is_truncated = doc.boolean(child, "IsTruncated")?,
                b"NextPartNumberMarker" => {
                    out.next_part_number_marker = Some(doc.number(child, "NextPartNumberMarker")?);
                }
                b"MaxParts" => out.max_parts = Some(doc.number(child, "MaxParts")?),
                _ => doc.skip(child)?,
            }
        }
        doc.finish()?;
        out.parts.sort_by_key(|p| p.part_number);
        Ok(out)
    }
}

/// Every page of a part listing, without I/O (see [`ListParts::pages`]).
#[derive(Debug, Clone)]
pub struct PartPages {
    next: Option<ListParts>,
}

impl PartPages {
    /// The request for the next page, or `None` when done.
    pub fn next_request(&self) -> Option<&ListParts> {
        self.next.as_ref()
    }

    /// Takes the output of the page last requested; refuses a truncated page
    /// whose marker does not move forward.
    pub fn advance(&mut self, output: &ListPartsOutput) -> Result<(), R2Error> {
        let Some(request) = self.next.take() else {
            return Ok(());
        };
        if !output.is_truncated {
            return Ok(());
        }
        let marker = output
            .next_part_number_marker
            .or_else(|| output.parts.last().map(|p| p.part_number))
            .filter(|m| *m > request.part_number_marker.unwrap_or(0))
            .ok_or_else(|| {
                R2Error::from(ResponseError {
                    operation: OperationName::ListParts,
                    problem: ResponseProblem::StuckPagination(
                        "truncated page without a part number marker past the last one",
                    ),
                })
            })?;
        self.next = Some(request.part_number_marker(marker));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> ListParts {
        ListParts::new(
            BucketName::new("bkt").unwrap(),
            ObjectKey::new("k").unwrap(),
            "u",
        )
    }

    fn page(truncated: bool, marker: Option<u32>, last_part: Option<u32>) -> ListPartsOutput {
        ListPartsOutput {
            parts: last_part
                .map(|n| PartSummary {
                    part_number: n,
                    etag: ETag::new("e"),
                    size: 1,
                    last_modified: None,
                    checksums: Checksums::default(),
                })
                .into_iter()
                .collect(),
            is_truncated: truncated,
            next_part_number_marker: marker,
            max_parts: None,
        }
    }

    #[test]
    fn pages_follow_markers_and_refuse_to_stall() {
        let mut pages = list().pages();
        pages.advance(&page(true, Some(2), None)).unwrap();
        assert_eq!(pages.next_request().unwrap().part_number_marker, Some(2));
        assert!(pages.clone().advance(&page(true, Some(2), None)).is_err());
        assert!(pages.clone().advance(&page(true, None, None)).is_err());
        pages.advance(&page(true, None, Some(5))).unwrap();
        assert_eq!(pages.next_request().unwrap().part_number_marker, Some(5));
        pages.advance(&page(false, None, None)).unwrap();
        assert!(pages.next_request().is_none());
        pages.advance(&page(true, Some(9), None)).unwrap();
        assert!(pages.next_request().is_none());
    }

    #[test]
    fn parts_come_sorted_and_parameters_are_checked() {
        let body = "<ListPartsResult><Part><PartNumber>3</PartNumber><ETag>\"c\"</ETag><Size>1</Size>\
                    <ChecksumCRC32>AAAAAQ==</ChecksumCRC32></Part>\
                    <Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag><Size>5</Size></Part></ListPartsResult>";
        let response = Response::builder()
            .status(200)
            .body(Bytes::from(body))
            .unwrap();
        let out = list().parse(&response).unwrap();
        assert_eq!(
            out.parts.iter().map(|p| p.part_number).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(out.parts[1].checksums.crc32.as_deref(), Some("AAAAAQ=="));
        let endpoint = Endpoint::parse("https://h.example").unwrap();
        assert!(list().max_parts(0).to_request(&endpoint).is_err());
        assert!(list().max_parts(1001).to_request(&endpoint).is_err());
        let empty_id = ListParts::new(
            BucketName::new("bkt").unwrap(),
            ObjectKey::new("k").unwrap(),
            "",
        );
        assert!(empty_id.to_request(&endpoint).is_err());
    }
}
