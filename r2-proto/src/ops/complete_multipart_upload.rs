//! CompleteMultipartUpload: assemble the uploaded parts into the object.

use bytes::Bytes;
use http::{Method, Response};

use super::builder::RequestBuilder;
use super::document::Document;
use super::multipart_ids::{MAX_PART_NUMBER, check_part_number, check_upload_id};
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error, RequestError};
use crate::model::{Checksum, ChecksumAlgorithm, Checksums, ETag};
use crate::names::{BucketName, ObjectKey};
use crate::xml::writer::{S3_NAMESPACE, element};

/// A part to assemble: its number, ETag and, if the upload declared one, checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedPart {
    /// Part number (1..=10000).
    pub part_number: u32,
    /// The ETag UploadPart returned.
    pub etag: ETag,
    /// The part's checksum, echoed as R2 requires when parts carried one.
    pub checksum: Option<Checksum>,
}

impl CompletedPart {
    /// Part `part_number` with `etag`.
    pub fn new(part_number: u32, etag: impl Into<ETag>) -> Self {
        Self {
            part_number,
            etag: etag.into(),
            checksum: None,
        }
    }

    /// Adds the part's checksum.
    #[must_use]
    pub fn checksum(mut self, checksum: Checksum) -> Self {
        self.checksum = Some(checksum);
        self
    }
}

/// Assembles the parts. The list must be non-empty, in ascending part
/// order without repeats, and either every part carries a checksum of one
/// algorithm or none does: otherwise S3 or R2 would refuse it, so it is
/// refused before sending. A `200 OK` whose body is `<Error>` is returned
/// as that error.
///
/// ```
/// use r2_proto::ops::{CompleteMultipartUpload, CompletedPart, Operation};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let parts = vec![
///     CompletedPart::new(1, "\"a54357aff0632cce46d942af68356b38\""),
///     CompletedPart::new(2, "\"0c78aef83f66abc1fa1e8477f296d394\""),
/// ];
/// let complete = CompleteMultipartUpload::new(BucketName::new("videos")?, ObjectKey::new("big.mp4")?, "id", parts);
/// let prepared = complete.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.uri().query(), Some("uploadId=id"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct CompleteMultipartUpload {
    bucket: BucketName,
    key: ObjectKey,
    upload_id: String,
    parts: Vec<CompletedPart>,
}

/// What CompleteMultipartUpload returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompleteMultipartUploadOutput {
    /// The object's URL, as the server wrote it.
    pub location: Option<String>,
    /// The bucket, as echoed.
    pub bucket: Option<String>,
    /// The key, as echoed.
    pub key: Option<String>,
    /// The object's ETag (`…-N` for N parts).
    pub etag: ETag,
    /// Checksums the server echoed.
    pub checksums: Checksums,
}

impl CompleteMultipartUpload {
    /// Completes `upload_id` of `key` in `bucket` from `parts`.
    pub fn new(
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        upload_id: impl Into<String>,
        parts: Vec<CompletedPart>,
    ) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: upload_id.into(),
            parts,
        }
    }

    /// The parts.
    pub fn parts(&self) -> &[CompletedPart] {
        &self.parts
    }

    /// Checks the part list.
    fn check_parts(&self) -> Result<(), RequestError> {
        let invalid = |reason: String| Err(RequestError::InvalidPartList(reason));
        if self.parts.is_empty() {
            return invalid("no parts".into());
        }
        if self.parts.len() > MAX_PART_NUMBER as usize {
            return invalid(format!("{} parts; at most 10000", self.parts.len()));
        }
        for part in &self.parts {
            check_part_number(part.part_number)?;
        }
        for pair in self.parts.windows(2) {
            if let [a, b] = pair
                && a.part_number >= b.part_number
            {
                return invalid(format!(
                    "part {} listed after part {}: parts must be in ascending order without repeats",
                    b.part_number, a.part_number
                ));
            }
        }
        let algorithms: Vec<Option<ChecksumAlgorithm>> = self
            .parts
            .iter()
            .map(|p| p.checksum.map(|c| c.algorithm()))
            .collect();
        if algorithms.windows(2).any(|w| matches!(w, [a, b] if a != b)) {
            return invalid(
                "every part must carry a checksum of the same algorithm, or none".into(),
            );
        }
        Ok(())
    }

    /// The XML request body.
    pub fn body(&self) -> String {
        let mut xml = String::with_capacity(96 + self.parts.len() * 96);
        xml.push_str("<CompleteMultipartUpload xmlns=\"");
        xml.push_str(S3_NAMESPACE);
        xml.push_str("\">");
        for part in &self.parts {
            xml.push_str("<Part>");
            element(&mut xml, "PartNumber", &part.part_number.to_string());
            element(&mut xml, "ETag", &part.etag.quoted());
            if let Some(checksum) = &part.checksum {
                element(
                    &mut xml,
                    checksum.algorithm().element_name(),
                    &checksum.to_base64(),
                );
            }
            xml.push_str("</Part>");
        }
        xml.push_str("</CompleteMultipartUpload>");
        xml
    }
}

impl Operation for CompleteMultipartUpload {
    type Output = CompleteMultipartUploadOutput;
    const NAME: OperationName = OperationName::CompleteMultipartUpload;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        check_upload_id(&self.upload_id)?;
        self.check_parts()?;
        let mut builder = RequestBuilder::object(Self::NAME, Method::POST, &self.bucket, &self.key);
        builder.query("uploadId", &self.upload_id);
        builder.xml_body(self.body())?;
        builder.build(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<CompleteMultipartUploadOutput, R2Error> {
        let context = ErrorContext::upload(
            Self::NAME,
            self.bucket.as_str(),
            self.key.as_str(),
            &self.upload_id,
        );
        // moto 5.2 names its root `…Response`, as it does for ListParts.
        let roots = [
            "CompleteMultipartUploadResult",
            "CompleteMultipartUploadResponse",
        ];
        let mut doc = Document::open(&context, response, &roots)?;
        let (mut location, mut bucket, mut key, mut etag) = (None, None, None, None);
        let mut checksums = Checksums::from_headers(response.headers());
        while let Some(child) = doc.next()? {
            match child.name() {
                b"Location" => location = Some(doc.string(child)?),
                b"Bucket" => bucket = Some(doc.string(child)?),
                b"Key" => key = Some(doc.string(child)?),
                b"ETag" => etag = Some(ETag::new(doc.string(child)?)),
                b"ChecksumType" => checksums.checksum_type = Some(doc.string(child)?),
                name => match ChecksumAlgorithm::ALL
                    .into_iter()
                    .find(|a| a.element_name().as_bytes() == name)
                {
                    Some(algorithm) => *checksums.slot(algorithm) = Some(doc.string(child)?),
                    None => doc.skip(child)?,
                },
            }
        }
        let etag = etag.ok_or_else(|| doc.missing("ETag"))?;
        doc.finish()?;
        Ok(CompleteMultipartUploadOutput {
            location,
            bucket,
            key,
            etag,
            checksums,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(parts: Vec<CompletedPart>) -> Result<PreparedRequest, R2Error> {
        CompleteMultipartUpload::new(
            BucketName::new("bkt").unwrap(),
            ObjectKey::new("k").unwrap(),
            "id",
            parts,
        )
        .to_request(&Endpoint::parse("https://h.example").unwrap())
    }

    #[test]
    fn part_lists_are_checked() {
        let part = |n| CompletedPart::new(n, "e");
        for bad in [
            vec![],
            vec![part(2), part(1)],
            vec![part(1), part(1)],
            vec![part(0)],
            vec![part(10_001)],
            vec![part(1).checksum(Checksum::Crc32(1)), part(2)],
            vec![
                part(1).checksum(Checksum::Crc32(1)),
                part(2).checksum(Checksum::Crc32c(1)),
            ],
        ] {
            assert!(complete(bad.clone()).is_err(), "{bad:?}");
        }
        assert!(complete(vec![part(1), part(3)]).is_ok());
        assert!(
            complete(vec![
                part(1).checksum(Checksum::Crc32(1)),
                part(2).checksum(Checksum::Crc32(2)),
            ])
            .is_ok()
        );
    }

    #[test]
    fn body_lists_parts_with_quoted_etags_and_checksums() {
        let upload = CompleteMultipartUpload::new(
            BucketName::new("bkt").unwrap(),
            ObjectKey::new("k").unwrap(),
            "id",
            vec![CompletedPart::new(1, "abc").checksum(Checksum::Crc32(1))],
        );
        assert_eq!(
            upload.body(),
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
             <Part><PartNumber>1</PartNumber><ETag>\"abc\"</ETag>\
             <ChecksumCRC32>AAAAAQ==</ChecksumCRC32></Part></CompleteMultipartUpload>"
        );
    }

    #[test]
    fn the_answer_is_read_under_either_root() {
        let upload = CompleteMultipartUpload::new(
            BucketName::new("bkt").unwrap(),
            ObjectKey::new("k").unwrap(),
            "id",
            vec![CompletedPart::new(1, "abc")],
        );
        for root in [
            "CompleteMultipartUploadResult",
            "CompleteMultipartUploadResponse",
        ] {
            let body = format!("<{root}><Key>k</Key><ETag>\"e-1\"</ETag></{root}>");
            let response = Response::new(Bytes::from(body));
            let output = upload.parse(&response).unwrap();
            assert_eq!(output.etag.as_str(), "\"e-1\"", "{root}");
        }
        let other = Response::new(Bytes::from_static(b"<Other/>"));
        assert!(matches!(upload.parse(&other), Err(R2Error::Response(_))));
    }
}
