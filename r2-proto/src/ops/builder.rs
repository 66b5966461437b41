//! Assembling an operation's request: path-style target, encoded query,
//! validated headers, body, `Content-Length` and payload hash.

use bytes::Bytes;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use time::OffsetDateTime;

use super::header_names::{CONTENT_MD5, checksum_header};
use super::multipart_ids::check_part_number;
use super::{OperationName, PreparedRequest, RequestBody};
use crate::config::MAX_SINGLE_UPLOAD;
use crate::dates::format_http_date;
use crate::endpoint::{Endpoint, bucket_path, object_path};
use crate::error::{R2Error, RequestError};
use crate::model::{ETag, Integrity};
use crate::names::{BucketName, ObjectKey};
use crate::percent;
use crate::sign::PayloadHash;

use std::sync::Arc;

use super::RequestInfo;

/// An operation's request, being assembled.
pub(crate) struct RequestBuilder {
    operation: OperationName,
    method: Method,
    path: String,
    query: String,
    headers: HeaderMap,
    body: RequestBody,
    payload: PayloadHash,
    bucket: Option<BucketName>,
    key: Option<ObjectKey>,
}

impl RequestBuilder {
    fn new(
        operation: OperationName,
        method: Method,
        path: String,
        bucket: Option<&BucketName>,
    ) -> Self {
        Self {
            operation,
            method,
            path,
            bucket: bucket.cloned(),
            key: None,
            query: String::new(),
            headers: HeaderMap::new(),
            body: RequestBody::Empty,
            payload: PayloadHash::EMPTY,
        }
    }

    /// A request to `/<bucket>/<key>`.
    pub(crate) fn object(
        operation: OperationName,
        method: Method,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Self {
        let mut builder = Self::new(operation, method, object_path(bucket, key), Some(bucket));
        builder.key = Some(key.clone());
        builder
    }

    /// A request to the endpoint's root, `/`.
    pub(crate) fn service(operation: OperationName, method: Method) -> Self {
        Self::new(operation, method, "/".to_owned(), None)
    }

    /// A request to `/<bucket>`.
    pub(crate) fn bucket(operation: OperationName, method: Method, bucket: &BucketName) -> Self {
        Self::new(operation, method, bucket_path(bucket), Some(bucket))
    }

    fn separate_query(&mut self) {
        if !self.query.is_empty() {
            self.query.push('&');
        }
    }

    /// Adds `name=value`, both percent-encoded.
    pub(crate) fn query(&mut self, name: &str, value: &str) {
        self.separate_query();
        percent::encode_component_into(&mut self.query, name.as_bytes());
        self.query.push('=');
        percent::encode_component_into(&mut self.query, value.as_bytes());
    }

    /// Adds `name=value` when there is a value.
    pub(crate) fn query_opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.query(name, value);
        }
    }

    /// Adds a page size such as `max-keys`, which must be 1..=1000.
    pub(crate) fn page_size(
        &mut self,
        name: &'static str,
        value: Option<u32>,
    ) -> Result<(), RequestError> {
        let Some(n) = value else { return Ok(()) };
        if !(1..=1000).contains(&n) {
            return Err(RequestError::OutOfRange {
                parameter: name,
                expected: "1 ..= 1000",
                got: n.to_string(),
            });
        }
        self.query(name, &n.to_string());
        Ok(())
    }

    /// Adds `partNumber`, which must be 1..=10000.
    pub(crate) fn part_number(&mut self, number: u32) -> Result<(), RequestError> {
        check_part_number(number)?;
        self.query("partNumber", &number.to_string());
        Ok(())
    }

    /// Adds a value-less subresource such as `uploads` or `delete`.
    pub(crate) fn subresource(&mut self, name: &str) {
        self.separate_query();
        percent::encode_component_into(&mut self.query, name.as_bytes());
    }

    /// Sets a header, refusing values HTTP cannot carry.
    pub(crate) fn header(&mut self, name: HeaderName, value: &str) -> Result<(), RequestError> {
        let value = HeaderValue::from_str(value)
            .map_err(|_| RequestError::InvalidHeaderValue(name.as_str().to_owned()))?;
        self.headers.insert(name, value);
        Ok(())
    }

    /// Sets a header when there is a value.
    pub(crate) fn header_opt(
        &mut self,
        name: HeaderName,
        value: Option<&str>,
    ) -> Result<(), RequestError> {
        match value {
            Some(value) => self.header(name, value),
            None => Ok(()),
        }
    }

    /// Sets an HTTP-date header when there is a time.
    pub(crate) fn date_header_opt(
        &mut self,
        name: HeaderName,
        value: Option<OffsetDateTime>,
    ) -> Result<(), RequestError> {
        self.header_opt(name, value.map(format_http_date).as_deref())
    }

    /// Sets an ETag header (quoted) when there is one.
    pub(crate) fn etag_header_opt(
        &mut self,
        name: HeaderName,
        value: Option<&ETag>,
    ) -> Result<(), RequestError> {
        self.header_opt(name, value.map(ETag::quoted).as_deref())
    }

    /// Sets the request's one integrity header, if any.
    pub(crate) fn integrity(&mut self, integrity: Option<&Integrity>) -> Result<(), RequestError> {
        match integrity {
            None => Ok(()),
            Some(integrity @ Integrity::ContentMd5(_)) => {
                self.header(CONTENT_MD5, &integrity.header_value())
            }
            Some(Integrity::Checksum(checksum)) => {
                self.header(checksum_header(checksum.algorithm()), &checksum.to_base64())
            }
        }
    }

    /// Gives direct access to the headers (for metadata).
    pub(crate) fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// Sets the body of a single upload (PutObject or one part), which may
    /// hold at most 5 GiB − 5 MiB, and the payload hash it is signed with.
    pub(crate) fn upload_body(
        &mut self,
        body: RequestBody,
        payload: PayloadHash,
    ) -> Result<(), RequestError> {
        let length = body.content_length();
        if length > MAX_SINGLE_UPLOAD {
            return Err(RequestError::TooLarge {
                bytes: length,
                limit: MAX_SINGLE_UPLOAD,
            });
        }
        self.body(body, payload);
        Ok(())
    }

    /// Sets the body and the payload hash it is signed with.
    pub(crate) fn body(&mut self, body: RequestBody, payload: PayloadHash) {
        self.body = body;
        self.payload = payload;
    }

    /// Sets an XML document as the body, signed with its SHA-256 and carrying
    /// its `Content-MD5` (S3 requires it for DeleteObjects).
    pub(crate) fn xml_body(&mut self, xml: String) -> Result<(), RequestError> {
        let bytes = Bytes::from(xml);
        self.integrity(Some(&Integrity::content_md5_of(&bytes)))?;
        self.header(http::header::CONTENT_TYPE, "application/xml")?;
        self.payload = PayloadHash::of(&bytes);
        self.body = RequestBody::Bytes(bytes);
        Ok(())
    }

    /// Builds the request. PUT and POST always carry `Content-Length` (R2
    /// answers 411 without it), as does any request with a body.
    pub(crate) fn build(self, endpoint: &Endpoint) -> Result<PreparedRequest, R2Error> {
        let query = (!self.query.is_empty()).then_some(self.query.as_str());
        let uri = endpoint.uri(self.path, query)?;
        let mut request = Request::new(self.body);
        *request.method_mut() = self.method;
        *request.uri_mut() = uri;
        *request.headers_mut() = self.headers;
        let length = request.body().content_length();
        let sends_length = length > 0 || matches!(*request.method(), Method::PUT | Method::POST);
        if sends_length {
            request
                .headers_mut()
                .insert(CONTENT_LENGTH, HeaderValue::from(length));
        }
        Ok(PreparedRequest {
            info: Arc::new(RequestInfo {
                operation: self.operation,
                bucket: self.bucket,
                key: self.key,
            }),
            request,
            payload: self.payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint() -> Endpoint {
        Endpoint::parse("https://h.example").unwrap()
    }

    #[test]
    fn assembles_query_headers_and_length() {
        let bucket = BucketName::new("bkt").unwrap();
        let key = ObjectKey::new("a b").unwrap();
        let mut builder =
            RequestBuilder::object(OperationName::UploadPart, Method::PUT, &bucket, &key);
        builder.query("partNumber", "1");
        builder.query("uploadId", "u/+=");
        builder.query_opt("absent", None);
        builder
            .header(http::header::CONTENT_TYPE, "text/plain")
            .unwrap();
        builder
            .integrity(Some(&Integrity::content_md5_of(b"x")))
            .unwrap();
        builder.body(
            RequestBody::Bytes(Bytes::from_static(b"x")),
            PayloadHash::UNSIGNED,
        );
        let prepared = builder.build(&endpoint()).unwrap();
        assert_eq!(
            prepared.uri().to_string(),
            "https://h.example/bkt/a%20b?partNumber=1&uploadId=u%2F%2B%3D"
        );
        assert_eq!(prepared.headers()["content-length"], "1");
        assert_eq!(
            prepared.headers()["content-md5"],
            "ndTkYSaMgDT1yFZOFVxnpg=="
        );
        assert!(prepared.payload().is_unsigned());
    }

    #[test]
    fn empty_puts_carry_a_zero_length_and_gets_none() {
        let bucket = BucketName::new("bkt").unwrap();
        let put = RequestBuilder::bucket(OperationName::PutObject, Method::PUT, &bucket)
            .build(&endpoint())
            .unwrap();
        assert_eq!(put.headers()["content-length"], "0");
        let mut get = RequestBuilder::bucket(OperationName::ListObjectsV2, Method::GET, &bucket);
        get.subresource("uploads");
        let get = get.build(&endpoint()).unwrap();
        assert!(!get.headers().contains_key("content-length"));
        assert_eq!(get.uri().query(), Some("uploads"));
        assert_eq!(*get.payload(), PayloadHash::EMPTY);
    }

    #[test]
    fn header_values_are_checked() {
        let bucket = BucketName::new("bkt").unwrap();
        let mut builder = RequestBuilder::bucket(OperationName::PutObject, Method::PUT, &bucket);
        assert_eq!(
            builder.header(http::header::CONTENT_TYPE, "bad\nvalue"),
            Err(RequestError::InvalidHeaderValue("content-type".into()))
        );
    }
}
