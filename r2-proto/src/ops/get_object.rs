//! GetObject: read an object, whole or a byte range, optionally conditional.

use bytes::Bytes;
use http::header::RANGE;
use http::{HeaderMap, Method, Response, StatusCode};

use super::builder::RequestBuilder;
use super::document::check_status;
use super::header_names::X_AMZ_CHECKSUM_MODE;
use super::preconditions::{Preconditions, precondition_setters};
use super::{Operation, OperationName, PreparedRequest};
use crate::endpoint::Endpoint;
use crate::error::{ErrorContext, R2Error, error_from_response};
use crate::model::{BodyCheck, ByteRange, ObjectMetadata};
use crate::names::{BucketName, ObjectKey};
use crate::response_headers::ResponseHeaders;

/// Reads an object.
///
/// A failed condition is an error: `If-None-Match`/`If-Modified-Since` →
/// [`ObjectError::NotModified`](crate::error::ObjectError::NotModified) (304),
/// `If-Match`/`If-Unmodified-Since` →
/// [`ObjectError::PreconditionFailed`](crate::error::ObjectError::PreconditionFailed) (412),
/// a range outside the object →
/// [`ObjectError::InvalidRange`](crate::error::ObjectError::InvalidRange) (416).
///
/// ```
/// use r2_proto::model::ByteRange;
/// use r2_proto::ops::{GetObject, Operation};
/// use r2_proto::{BucketName, Endpoint, ObjectKey};
///
/// let get = GetObject::new(BucketName::new("videos")?, ObjectKey::new("clip.mp4")?)
///     .range(ByteRange::inclusive(0, 1023)?)
///     .if_match("\"9b2cf535f27731c974343645a3985328\"")
///     .response_content_disposition("attachment; filename=\"clip.mp4\"");
/// let prepared = get.to_request(&Endpoint::parse("https://example.com")?)?;
/// assert_eq!(prepared.headers()["range"], "bytes=0-1023");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct GetObject {
    bucket: BucketName,
    key: ObjectKey,
    range: Option<ByteRange>,
    part_number: Option<u32>,
    preconditions: Preconditions,
    overrides: Vec<(&'static str, String)>,
}

/// What GetObject returns when the whole body is in hand.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetObjectOutput {
    /// The object's metadata.
    pub metadata: ObjectMetadata,
    /// The body (the range, for ranged reads).
    pub body: Bytes,
}

impl GetObject {
    /// The request. A whole-object GET asks for the object's checksum
    /// (`x-amz-checksum-mode: ENABLED`), which [`BodyCheck`] verifies
    /// instead of the far slower MD5; a presigned URL does not (its holder
    /// would have to send the header).
    fn build(&self, endpoint: &Endpoint, presigning: bool) -> Result<PreparedRequest, R2Error> {
        let mut builder = RequestBuilder::object(Self::NAME, Method::GET, &self.bucket, &self.key);
        if let Some(number) = self.part_number {
            builder.part_number(number)?;
        }
        for (name, value) in &self.overrides {
            builder.query(name, value);
        }
        builder.header_opt(RANGE, self.range.map(|r| r.to_string()).as_deref())?;
        if !presigning && self.range.is_none() && self.part_number.is_none() {
            builder.header(X_AMZ_CHECKSUM_MODE, "ENABLED")?;
        }
        self.preconditions.write(&mut builder)?;
        builder.build(endpoint)
    }

    /// Reads `key` from `bucket`.
    pub fn new(bucket: impl Into<BucketName>, key: impl Into<ObjectKey>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            range: None,
            part_number: None,
            preconditions: Preconditions::default(),
            overrides: Vec::new(),
        }
    }

    /// Reads only `range` (`Range: bytes=…`).
    #[must_use]
    pub fn range(mut self, range: ByteRange) -> Self {
        self.range = Some(range);
        self
    }

    /// Reads only part `number` (1..=10000) of a multipart object.
    #[must_use]
    pub fn part_number(mut self, number: u32) -> Self {
        self.part_number = Some(number);
        self
    }

    precondition_setters!();

    fn with_override(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.overrides.retain(|(n, _)| *n != name);
        self.overrides.push((name, value.into()));
        self
    }

    /// Answers with this `Content-Type` (`response-content-type`).
    #[must_use]
    pub fn response_content_type(self, value: impl Into<String>) -> Self {
        self.with_override("response-content-type", value)
    }

    /// Answers with this `Content-Disposition` (`response-content-disposition`).
    #[must_use]
    pub fn response_content_disposition(self, value: impl Into<String>) -> Self {
        self.with_override("response-content-disposition", value)
    }

    /// Answers with this `Content-Encoding` (`response-content-encoding`).
    #[must_use]
    pub fn response_content_encoding(self, value: impl Into<String>) -> Self {
        self.with_override("response-content-encoding", value)
    }

    /// Answers with this `Content-Language` (`response-content-language`).
    #[must_use]
    pub fn response_content_language(self, value: impl Into<String>) -> Self {
        self.with_override("response-content-language", value)
    }

    /// Answers with this `Cache-Control` (`response-cache-control`).
    #[must_use]
    pub fn response_cache_control(self, value: impl Into<String>) -> Self {
        self.with_override("response-cache-control", value)
    }

    /// Answers with this `Expires` (`response-expires`).
    #[must_use]
    pub fn response_expires(self, value: impl Into<String>) -> Self {
        self.with_override("response-expires", value)
    }

    /// The bucket.
    pub fn bucket(&self) -> &BucketName {
        &self.bucket
    }

    /// The key.
    pub fn key(&self) -> &ObjectKey {
        &self.key
    }

    fn context(&self) -> ErrorContext<'_> {
        ErrorContext::object(Self::NAME, self.bucket.as_str(), self.key.as_str())
    }

    /// For adapters that stream the body: the metadata of a response from its
    /// status and headers alone. For a failure status pass the error body to
    /// [`parse`](Operation::parse) when it can be read; without it the error
    /// is derived from the status.
    pub fn parse_metadata(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<ObjectMetadata, R2Error> {
        if !status.is_success() {
            return Err(error_from_response(&self.context(), status, headers, b""));
        }
        ObjectMetadata::from_headers(ResponseHeaders::new(headers, Self::NAME))
    }
}

impl Operation for GetObject {
    type Output = GetObjectOutput;
    const NAME: OperationName = OperationName::GetObject;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        self.build(endpoint, false)
    }

    fn presign_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        self.build(endpoint, true)
    }

    /// Reads a response whose whole body is in hand, checking its length
    /// against `Content-Length` and, for a whole single-part object, its MD5
    /// and full-object checksum (see [`BodyCheck`]).
    fn parse(&self, response: &Response<Bytes>) -> Result<GetObjectOutput, R2Error> {
        check_status(&self.context(), response)?;
        let metadata =
            ObjectMetadata::from_headers(ResponseHeaders::new(response.headers(), Self::NAME))?;
        let mut check = BodyCheck::for_response(response.status(), response.headers());
        check.update(response.body());
        check.finish()?;
        Ok(GetObjectOutput {
            metadata,
            body: response.body().clone(),
        })
    }
}

/// GetObject for adapters that stream the body: the exchange reads only
/// the status and headers of a successful answer (its body stays on the
/// wire for the caller, checked with [`BodyCheck`]), and the whole body of
/// a failed one, so a 503 before the body is retried like any request.
#[derive(Debug, Clone)]
pub struct StreamedGet(pub GetObject);

impl StreamedGet {
    /// The answer the exchange takes when the body is the object's, to be
    /// streamed by the caller: the head with an empty body. `None` when the
    /// body is an error document, to be read whole first.
    pub fn head_of<B>(answer: &Response<B>) -> Option<Response<Bytes>> {
        if !answer.status().is_success() {
            return None;
        }
        let mut response = Response::new(Bytes::new());
        *response.status_mut() = answer.status();
        *response.version_mut() = answer.version();
        *response.headers_mut() = answer.headers().clone();
        Some(response)
    }
}

impl Operation for StreamedGet {
    type Output = ObjectMetadata;
    const NAME: OperationName = OperationName::GetObject;

    fn to_request(&self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        self.0.to_request(endpoint)
    }

    fn parse(&self, response: &Response<Bytes>) -> Result<ObjectMetadata, R2Error> {
        check_status(&self.0.context(), response)?;
        self.0.parse_metadata(response.status(), response.headers())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ObjectError;

    fn get() -> GetObject {
        GetObject::new(
            BucketName::new("bkt").unwrap(),
            ObjectKey::new("k").unwrap(),
        )
    }

    #[test]
    fn streaming_adapters_read_metadata_from_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("content-length", "100".parse().unwrap());
        headers.insert("content-range", "bytes 100-199/1000".parse().unwrap());
        headers.insert("etag", "\"abc\"".parse().unwrap());
        let metadata = get()
            .parse_metadata(StatusCode::PARTIAL_CONTENT, &headers)
            .unwrap();
        assert_eq!(metadata.content_length, Some(100));
        assert_eq!(metadata.object_size(), Some(1000));
        assert!(matches!(
            get().parse_metadata(StatusCode::NOT_MODIFIED, &HeaderMap::new()),
            Err(R2Error::Object(ObjectError::NotModified(_)))
        ));
    }

    #[test]
    fn overrides_replace_earlier_values_and_part_numbers_are_checked() {
        let endpoint = Endpoint::parse("https://h.example").unwrap();
        let prepared = get()
            .response_content_type("a/b")
            .response_content_type("c/d")
            .response_cache_control("no-cache")
            .response_content_encoding("gzip")
            .response_content_language("en")
            .response_expires("0")
            .to_request(&endpoint)
            .unwrap();
        assert_eq!(
            prepared.uri().query(),
            Some(
                "response-content-type=c%2Fd&response-cache-control=no-cache&response-content-encoding=gzip&response-content-language=en&response-expires=0"
            )
        );
        assert!(get().part_number(0).to_request(&endpoint).is_err());
        assert!(get().part_number(10_001).to_request(&endpoint).is_err());
        assert_eq!(get().bucket().as_str(), "bkt");
        assert_eq!(get().key().as_str(), "k");
    }

    #[test]
    fn whole_bodies_are_returned() {
        let response = Response::builder()
            .status(200)
            .header("content-length", "5")
            .header("content-type", "text/plain")
            .body(Bytes::from_static(b"hello"))
            .unwrap();
        let out = get().parse(&response).unwrap();
        assert_eq!(out.body, "hello");
        assert_eq!(out.metadata.content_type.as_deref(), Some("text/plain"));
        assert_eq!(out.metadata.object_size(), Some(5));
    }
}
