//! One recorded exchange, in the form a cassette stores it: secrets
//! redacted, headers sorted by name, bodies as text where they are text.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::NetworkError;
use crate::ops::{RequestBody, RequestInfo};
use crate::redact::{REDACTED, redact_secrets};
use crate::sign::hex;
use crate::telemetry::sanitized_query;

/// Request bodies up to this size that are UTF-8 are stored as text (the
/// XML documents of DeleteObjects and CompleteMultipartUpload); larger
/// ones only by length and SHA-256.
const REQUEST_TEXT_LIMIT: usize = 16 << 10;

/// One request and what came back for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// Its place in the order requests were issued, from 0.
    pub seq: u64,
    /// The operation (`PutObject`, …), `Unknown` for a request the core did not build.
    pub operation: String,
    /// The bucket, when the request names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket: Option<String>,
    /// The key, for requests on one object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The request as the core signed it, redacted.
    pub request: RecordedRequest,
    /// The response, or the transport failure.
    #[serde(flatten)]
    pub outcome: RecordedOutcome,
    /// From sending the request to having the whole answer, in microseconds.
    pub duration_us: u64,
}

impl Interaction {
    /// `GetObject bucket/key: GET /bucket/key?query`, for messages.
    pub fn summary(&self) -> String {
        summary(
            &self.operation,
            self.bucket.as_deref(),
            self.key.as_deref(),
            &self.request,
        )
    }

    /// The recorded duration.
    pub fn duration(&self) -> Duration {
        Duration::from_micros(self.duration_us)
    }
}

pub(crate) fn summary(
    operation: &str,
    bucket: Option<&str>,
    key: Option<&str>,
    request: &RecordedRequest,
) -> String {
    let target = match (bucket, key) {
        (Some(bucket), Some(key)) => format!(" {bucket}/{key}"),
        (Some(bucket), None) => format!(" {bucket}"),
        _ => String::new(),
    };
    format!(
        "{operation}{target}: {} {}",
        request.method,
        request.path_and_query()
    )
}

/// A request, redacted: the signature and session token never appear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// `GET`, `PUT`, …
    pub method: String,
    /// The full URL, with any signature, credential or token query value
    /// replaced by `***`.
    pub url: String,
    /// The headers by name; `authorization` keeps its signed-header list
    /// but not its credential or signature, `x-amz-security-token` is `***`.
    pub headers: BTreeMap<String, HeaderValues>,
    /// The body.
    pub body: RecordedBody,
}

impl RecordedRequest {
    /// The redacted form of `request`.
    pub(crate) fn of(request: &Request<RequestBody>) -> Self {
        let uri = request.uri();
        let url = match uri.query() {
            Some(query) => {
                let base = uri.to_string();
                let cut = base.find('?').unwrap_or(base.len());
                format!(
                    "{}?{}",
                    base.get(..cut).unwrap_or(""),
                    sanitized_query(query)
                )
            }
            None => uri.to_string(),
        };
        let mut headers = header_map(request.headers());
        for (name, values) in &mut headers {
            match name.as_str() {
                "authorization" => values.map(redact_authorization),
                "x-amz-security-token" => values.map(|_| REDACTED.to_owned()),
                _ => {}
            }
        }
        Self {
            method: request.method().as_str().to_owned(),
            url,
            headers,
            body: RecordedBody::of_request(request.body()),
        }
    }

    /// The path and query of the URL.
    pub fn path_and_query(&self) -> &str {
        let after_scheme = self
            .url
            .find("://")
            .map_or(self.url.as_str(), |at| self.url.get(at + 3..).unwrap_or(""));
        after_scheme
            .find('/')
            .and_then(|at| after_scheme.get(at..))
            .unwrap_or("/")
    }

    /// The path of the URL.
    pub fn path(&self) -> &str {
        let whole = self.path_and_query();
        whole.split_once('?').map_or(whole, |(path, _)| path)
    }

    /// The query's `name=value` pairs, sorted, without the values that
    /// change from run to run (presigned date, expiry and the redacted ones).
    pub fn stable_query(&self) -> Vec<&str> {
        const VOLATILE: [&str; 5] = [
            "X-Amz-Signature",
            "X-Amz-Credential",
            "X-Amz-Security-Token",
            "X-Amz-Date",
            "X-Amz-Expires",
        ];
        let mut pairs: Vec<&str> = self
            .path_and_query()
            .split_once('?')
            .map_or("", |(_, query)| query)
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let name = pair.split_once('=').map_or(*pair, |(name, _)| name);
                !VOLATILE.contains(&name)
            })
            .collect();
        pairs.sort_unstable();
        pairs
    }
}

/// `AWS4-HMAC-SHA256 Credential=***, SignedHeaders=…, Signature=***`.
fn redact_authorization(value: &str) -> String {
    value
        .split(", ")
        .map(|part| {
            if let Some(rest) = part.strip_prefix("AWS4-HMAC-SHA256 Credential=") {
                let scope = rest.split_once('/').map_or("", |(_, scope)| scope);
                format!("AWS4-HMAC-SHA256 Credential={REDACTED}/{scope}")
            } else if part.starts_with("Signature=") {
                format!("Signature={REDACTED}")
            } else if part.starts_with("SignedHeaders=") {
                part.to_owned()
            } else {
                REDACTED.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One header's value, or its values in order when it appeared more than once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HeaderValues {
    /// The usual case.
    One(String),
    /// A header sent more than once.
    Many(Vec<String>),
}

impl HeaderValues {
    /// Every value, in order.
    pub fn values(&self) -> Vec<&str> {
        match self {
            Self::One(value) => vec![value.as_str()],
            Self::Many(values) => values.iter().map(String::as_str).collect(),
        }
    }

    fn map(&mut self, f: impl Fn(&str) -> String) {
        match self {
            Self::One(value) => *value = f(value),
            Self::Many(values) => {
                for value in values {
                    *value = f(value);
                }
            }
        }
    }

    fn push(&mut self, value: String) {
        match self {
            Self::One(first) => *self = Self::Many(vec![std::mem::take(first), value]),
            Self::Many(values) => values.push(value),
        }
    }
}

/// Headers by lower-case name, values as text (bytes that are not UTF-8
/// become U+FFFD: S3 header values are ASCII).
fn header_map(headers: &HeaderMap) -> BTreeMap<String, HeaderValues> {
    let mut map: BTreeMap<String, HeaderValues> = BTreeMap::new();
    for (name, value) in headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match map.get_mut(name.as_str()) {
            Some(values) => values.push(value),
            None => {
                map.insert(name.as_str().to_owned(), HeaderValues::One(value));
            }
        }
    }
    map
}

/// A body: its length, and its bytes as text, as base64, or as a digest.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RecordedBody {
    /// Length in bytes.
    pub len: u64,
    /// The bytes, when they are UTF-8 (and, for a request, short).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The bytes, when they are not text (response bodies only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base64: Option<String>,
    /// Lower-case hex SHA-256, for a request body kept only by digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl RecordedBody {
    fn of_request(body: &RequestBody) -> Self {
        let len = body.content_length();
        let pieces: Vec<&Bytes> = match body {
            RequestBody::Empty | RequestBody::Stream { .. } => Vec::new(),
            RequestBody::Bytes(bytes) => vec![bytes],
            RequestBody::Chunks(chunks) => chunks.iter().collect(),
        };
        if len == 0 {
            return Self::default();
        }
        if matches!(body, RequestBody::Stream { .. }) {
            return Self {
                len,
                ..Self::default()
            };
        }
        if len <= REQUEST_TEXT_LIMIT as u64 {
            let joined: Vec<u8> = pieces.iter().flat_map(|p| p.iter().copied()).collect();
            if let Ok(text) = String::from_utf8(joined) {
                return Self {
                    len,
                    text: Some(text),
                    ..Self::default()
                };
            }
        }
        let mut digest = Sha256::new();
        for piece in pieces {
            digest.update(piece);
        }
        Self {
            len,
            sha256: Some(hex::ascii(&hex::hex32(&digest.finalize().into())).to_owned()),
            ..Self::default()
        }
    }

    fn of_response(body: &Bytes) -> Self {
        let len = body.len() as u64;
        if body.is_empty() {
            return Self::default();
        }
        match std::str::from_utf8(body) {
            // An error document may echo the request's secrets; an object's
            // bytes are kept exactly.
            Ok(text) if text.contains("<Error>") => Self {
                len,
                text: Some(redact_secrets(text).into_owned()),
                ..Self::default()
            },
            Ok(text) => Self {
                len,
                text: Some(text.to_owned()),
                ..Self::default()
            },
            Err(_) => Self {
                len,
                base64: Some(BASE64.encode(body)),
                ..Self::default()
            },
        }
    }

    /// The bytes of a response body, `None` when the record holds only a
    /// digest (or base64 that does not decode).
    pub fn bytes(&self) -> Option<Bytes> {
        match (&self.text, &self.base64) {
            (Some(text), _) => Some(Bytes::from(text.clone().into_bytes())),
            (None, Some(encoded)) => BASE64.decode(encoded).ok().map(Bytes::from),
            (None, None) if self.len == 0 => Some(Bytes::new()),
            (None, None) => None,
        }
    }
}

/// What came back: a response or a transport failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedOutcome {
    /// An HTTP response.
    Response(RecordedResponse),
    /// No response: the transport failed.
    Error(RecordedError),
}

impl RecordedOutcome {
    pub(crate) fn of(outcome: Result<&Response<Bytes>, &NetworkError>) -> Self {
        match outcome {
            Ok(response) => Self::Response(RecordedResponse {
                status: response.status().as_u16(),
                headers: header_map(response.headers()),
                body: RecordedBody::of_response(response.body()),
            }),
            Err(error) => Self::Error(RecordedError::of(error)),
        }
    }
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// The status code.
    pub status: u16,
    /// The headers by name.
    pub headers: BTreeMap<String, HeaderValues>,
    /// The whole body.
    pub body: RecordedBody,
}

/// A transport failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedError {
    /// `connection_failed`, `timeout`, `stream_interrupted`, `tls`,
    /// `body_too_large`, `head_too_large` or `proxy_refused`.
    pub kind: String,
    /// The failure's text (for a timeout, the time waited in milliseconds).
    pub message: String,
}

impl RecordedError {
    fn of(error: &NetworkError) -> Self {
        let (kind, message) = match error {
            NetworkError::ConnectionFailed(m) => ("connection_failed", m.clone()),
            NetworkError::Timeout(after) => ("timeout", after.as_millis().to_string()),
            NetworkError::StreamInterrupted(m) => ("stream_interrupted", m.clone()),
            NetworkError::Tls(m) => ("tls", m.clone()),
            NetworkError::BodyTooLarge { limit } => ("body_too_large", limit.to_string()),
            NetworkError::HeadTooLarge { limit } => ("head_too_large", limit.to_string()),
            NetworkError::NotRecorded(miss) => ("not_recorded", miss.to_string()),
            NetworkError::ProxyRefused { status, message } => {
                ("proxy_refused", format!("{status} {message}"))
            }
        };
        Self {
            kind: kind.to_owned(),
            message,
        }
    }

    /// The failure as the adapter reports it.
    pub fn to_network_error(&self) -> NetworkError {
        match self.kind.as_str() {
            "timeout" => {
                NetworkError::Timeout(Duration::from_millis(self.message.parse().unwrap_or(0)))
            }
            "stream_interrupted" => NetworkError::StreamInterrupted(self.message.clone()),
            "tls" => NetworkError::Tls(self.message.clone()),
            "body_too_large" => NetworkError::BodyTooLarge {
                limit: self.message.parse().unwrap_or(0),
            },
            "head_too_large" => NetworkError::HeadTooLarge {
                limit: self.message.parse().unwrap_or(0),
            },
            "proxy_refused" => {
                let (status, message) = self.message.split_once(' ').unwrap_or_default();
                NetworkError::ProxyRefused {
                    status: status.parse().unwrap_or(0),
                    message: message.to_owned(),
                }
            }
            _ => NetworkError::ConnectionFailed(self.message.clone()),
        }
    }
}

/// The operation, bucket and key a request carries.
pub(crate) fn target_of(
    request: &Request<RequestBody>,
) -> (String, Option<String>, Option<String>) {
    let info = RequestInfo::of(request);
    (
        info.map_or("Unknown", |i| i.operation.as_str()).to_owned(),
        info.and_then(|i| i.bucket.as_ref())
            .map(|b| b.as_str().to_owned()),
        info.and_then(|i| i.key.as_ref())
            .map(|k| k.as_str().to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_keeps_only_the_signed_header_list() {
        let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/auto/s3/aws4_request, \
                     SignedHeaders=host;x-amz-date, Signature=0123abcd";
        assert_eq!(
            redact_authorization(value),
            "AWS4-HMAC-SHA256 Credential=***/20240501/auto/s3/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=***"
        );
        assert_eq!(redact_authorization("Bearer secret"), "***");
    }

    #[test]
    fn a_provided_signature_in_an_error_body_is_hidden() {
        let body = "<Error><Code>SignatureDoesNotMatch</Code>\
                    <SignatureProvided>deadbeef</SignatureProvided></Error>";
        assert_eq!(
            redact_secrets(body),
            "<Error><Code>SignatureDoesNotMatch</Code>\
             <SignatureProvided>***</SignatureProvided></Error>"
        );
        assert_eq!(redact_secrets("<a>"), "<a>");
    }

    #[test]
    fn bodies_are_text_base64_or_digest() {
        let text = RecordedBody::of_request(&RequestBody::Bytes(Bytes::from_static(b"<x/>")));
        assert_eq!(text.text.as_deref(), Some("<x/>"));
        let big = RecordedBody::of_request(&RequestBody::Chunks(vec![
            Bytes::from(vec![b'a'; REQUEST_TEXT_LIMIT]),
            Bytes::from_static(b"b"),
        ]));
        assert_eq!(big.len, REQUEST_TEXT_LIMIT as u64 + 1);
        assert_eq!(big.text, None);
        assert_eq!(big.sha256.as_ref().map(String::len), Some(64));
        let binary = RecordedBody::of_response(&Bytes::from_static(&[0xff, 0x00]));
        assert_eq!(binary.base64.as_deref(), Some("/wA="));
        assert_eq!(binary.bytes(), Some(Bytes::from_static(&[0xff, 0x00])));
        assert_eq!(RecordedBody::default().bytes(), Some(Bytes::new()));
        let digest_only = RecordedBody {
            len: 3,
            ..RecordedBody::default()
        };
        assert_eq!(digest_only.bytes(), None);
    }

    #[test]
    fn url_parts_and_stable_query() {
        let request = RecordedRequest {
            method: "GET".into(),
            url: "http://127.0.0.1:9/b/k%20x?uploadId=u&X-Amz-Date=1&partNumber=2".into(),
            headers: BTreeMap::new(),
            body: RecordedBody::default(),
        };
        assert_eq!(request.path(), "/b/k%20x");
        assert_eq!(request.stable_query(), ["partNumber=2", "uploadId=u"]);
        let bare = RecordedRequest {
            url: "http://h".into(),
            ..request
        };
        assert_eq!(bare.path_and_query(), "/");
        assert!(bare.stable_query().is_empty());
    }

    #[test]
    fn transport_failures_round_trip() {
        for error in [
            NetworkError::ConnectionFailed("refused".into()),
            NetworkError::Timeout(Duration::from_millis(1500)),
            NetworkError::StreamInterrupted("reset".into()),
            NetworkError::Tls("bad certificate".into()),
        ] {
            assert_eq!(RecordedError::of(&error).to_network_error(), error);
        }
    }
}
