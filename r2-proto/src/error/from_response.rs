//! Reading an error response: the `<Error>` body when there is one, the
//! status when there is not (HEAD, proxies), and the headers either way.

use std::time::Duration;

use http::{HeaderMap, StatusCode};

use super::{ErrorDetails, R2Error};
use crate::dates::{parse_http_date, parse_iso8601};
use crate::operation_name::OperationName;
use crate::redact::redact_secrets;
use crate::xml::XmlReader;

/// What the client knows about the request a response answers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorContext<'a> {
    /// The operation.
    pub(crate) operation: OperationName,
    /// The bucket, if the request named one.
    pub(crate) bucket: Option<&'a str>,
    /// The key, if the request named one.
    pub(crate) key: Option<&'a str>,
    /// The multipart upload id, if the request named one.
    pub(crate) upload_id: Option<&'a str>,
}

impl<'a> ErrorContext<'a> {
    /// A request about the bucket itself.
    pub(crate) fn bucket(operation: OperationName, bucket: &'a str) -> Self {
        Self {
            operation,
            bucket: Some(bucket),
            key: None,
            upload_id: None,
        }
    }

    /// A request about one object.
    pub(crate) fn object(operation: OperationName, bucket: &'a str, key: &'a str) -> Self {
        Self {
            key: Some(key),
            ..Self::bucket(operation, bucket)
        }
    }

    /// A request about one multipart upload.
    pub(crate) fn upload(
        operation: OperationName,
        bucket: &'a str,
        key: &'a str,
        upload_id: &'a str,
    ) -> Self {
        Self {
            upload_id: Some(upload_id),
            ..Self::object(operation, bucket, key)
        }
    }

    fn resource(&self) -> Option<String> {
        match (self.bucket, self.key) {
            (Some(bucket), Some(key)) => Some(format!("/{bucket}/{key}")),
            (Some(bucket), None) => Some(format!("/{bucket}")),
            _ => None,
        }
    }

    /// The code a bodiless response's status stands for.
    fn code_for_status(&self, status: StatusCode) -> String {
        let code = match status.as_u16() {
            304 => "NotModified",
            400 => "BadRequest",
            401 => "Unauthorized",
            403 => "AccessDenied",
            404 if self.upload_id.is_some() => "NoSuchUpload",
            404 if self.key.is_some() => "NoSuchKey",
            404 if self.bucket.is_some() => "NoSuchBucket",
            404 => "NotFound",
            405 => "MethodNotAllowed",
            409 => "Conflict",
            411 => "MissingContentLength",
            412 => "PreconditionFailed",
            416 => "InvalidRange",
            429 => "TooManyRequests",
            500 => "InternalError",
            501 => "NotImplemented",
            502 => "BadGateway",
            503 => "ServiceUnavailable",
            504 => "GatewayTimeout",
            other => return format!("Http{other}"),
        };
        code.to_owned()
    }
}

/// The error a response stands for: `status` is any status the operation
/// does not accept, or a 2xx whose body is `<Error>`.
pub(crate) fn error_from_response(
    context: &ErrorContext<'_>,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> R2Error {
    let mut details = match error_body(body, status) {
        Some(details) => details,
        None => {
            let mut details = ErrorDetails::new(
                context.code_for_status(status),
                format!(
                    "{} {} with no S3 error body ({})",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or(""),
                    context.operation
                ),
                status.as_u16(),
            );
            details.code_from_status = true;
            details
        }
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if let Some(id) = header("x-amz-request-id") {
        details.request_id = Some(id);
    }
    if let Some(id) = header("x-amz-id-2") {
        details.host_id = Some(id);
    }
    details.cf_ray = header("cf-ray");
    let date = header("date").as_deref().and_then(parse_http_date);
    if details.server_time.is_none() {
        details.server_time = date;
    }
    details.retry_after = header("retry-after").and_then(|value| retry_after(&value, date));
    if details.resource.is_none() {
        details.resource = context.resource();
    }
    if details.header.is_none() {
        details.header = refused_header(&details.message);
    }
    R2Error::from_details(details)
}

/// `Retry-After` as seconds, or as a date measured from the response's `Date`.
fn retry_after(value: &str, date: Option<time::OffsetDateTime>) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = parse_http_date(value)?;
    let wait = at - date?;
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// The header named in R2's `NotImplemented` message: `Header 'x-amz-...' ...`.
fn refused_header(message: &str) -> Option<String> {
    let rest = message.split_once("Header '")?.1;
    let (name, _) = rest.split_once('\'')?;
    (!name.is_empty()).then(|| name.to_owned())
}

/// The most of any one text kept from an error body; a longer one is cut
/// and says so.
pub(crate) const MAX_ERROR_TEXT: usize = 4 << 10;

/// The details of an `<Error>` body, or `None` if the body is not one. A
/// body that stops part-way (one longer than the client reads, or broken
/// off) gives what it had up to there: the element it stopped in keeps
/// its text so far, raw. Every text is cut to [`MAX_ERROR_TEXT`] and has
/// the request's secrets a server may echo (a session token, a signature)
/// hidden.
fn error_body(body: &[u8], status: StatusCode) -> Option<ErrorDetails> {
    let mut reader = XmlReader::open_root(body, &["Error"]).ok()?;
    let mut details = ErrorDetails::new(String::new(), String::new(), status.as_u16());
    while let Ok(Some(child)) = reader.next_child() {
        let name = child.name().to_vec();
        let slot = match name.as_slice() {
            b"Code" => &mut details.code,
            b"Message" => &mut details.message,
            b"Resource" => details.resource.get_or_insert_default(),
            b"RequestId" => details.request_id.get_or_insert_default(),
            b"HostId" => details.host_id.get_or_insert_default(),
            b"Header" | b"HeaderName" => details.header.get_or_insert_default(),
            b"StringToSign" => details.server_string_to_sign.get_or_insert_default(),
            b"CanonicalRequest" => details.server_canonical_request.get_or_insert_default(),
            b"ServerTime" => {
                if let Ok(text) = reader.text(child) {
                    details.server_time = parse_iso8601(text.trim());
                }
                continue;
            }
            _ => {
                if reader.skip(child).is_err() {
                    break;
                }
                continue;
            }
        };
        match reader.text(child) {
            Ok(text) => *slot = tidy(&text, false),
            Err(_) => {
                *slot = tidy(&partial_text(body, &name), true);
                break;
            }
        }
    }
    (!details.code.is_empty()).then_some(details)
}

/// The raw text after the last `<name>` of a body that stops inside it.
fn partial_text(body: &[u8], name: &[u8]) -> String {
    let open = [b"<", name, b">"].concat();
    let start = body
        .windows(open.len())
        .rposition(|window| window == open.as_slice())
        .map_or(body.len(), |at| at + open.len());
    let rest = body.get(start..).unwrap_or_default();
    let end = rest.iter().position(|&b| b == b'<').unwrap_or(rest.len());
    String::from_utf8_lossy(rest.get(..end).unwrap_or_default()).into_owned()
}

/// A text as kept: secrets hidden, at most [`MAX_ERROR_TEXT`] bytes, and
/// marked when cut (or when the body ended inside it: `cut_off`).
fn tidy(text: &str, cut_off: bool) -> String {
    let text = redact_secrets(text);
    if text.len() <= MAX_ERROR_TEXT && !cut_off {
        return text.into_owned();
    }
    let mut end = text.len().min(MAX_ERROR_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… (cut: the server sent more than r2 keeps)",
        text.get(..end).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{AuthError, MultipartError, ObjectError, ServerError};
    use http::HeaderValue;

    const GET: ErrorContext<'static> = ErrorContext {
        operation: OperationName::GetObject,
        bucket: Some("b"),
        key: Some("k"),
        upload_id: None,
    };

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn reads_the_error_body_and_headers() {
        let body = br#"<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>gone</Message><Key>k</Key><RequestId>body-id</RequestId></Error>"#;
        let e = error_from_response(
            &GET,
            StatusCode::NOT_FOUND,
            &headers(&[("cf-ray", "8f-AMS"), ("x-amz-request-id", "hdr-id")]),
            body,
        );
        let R2Error::Object(ObjectError::NoSuchKey(d)) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(d.message, "gone");
        assert_eq!(d.request_id.as_deref(), Some("hdr-id"));
        assert_eq!(d.cf_ray.as_deref(), Some("8f-AMS"));
        assert_eq!(d.resource.as_deref(), Some("/b/k"));
        assert!(!d.code_from_status);
    }

    #[test]
    fn bodiless_errors_map_by_status_and_context() {
        let head = ErrorContext {
            operation: OperationName::HeadObject,
            ..GET
        };
        let e = error_from_response(&head, StatusCode::NOT_FOUND, &HeaderMap::new(), b"");
        assert!(matches!(&e, R2Error::Object(ObjectError::NoSuchKey(d)) if d.code_from_status));
        let abort = ErrorContext {
            operation: OperationName::AbortMultipartUpload,
            upload_id: Some("u"),
            ..GET
        };
        let e = error_from_response(&abort, StatusCode::NOT_FOUND, &HeaderMap::new(), b"");
        assert!(matches!(
            e,
            R2Error::Multipart(MultipartError::NoSuchUpload(_))
        ));
        let e = error_from_response(&head, StatusCode::NOT_MODIFIED, &HeaderMap::new(), b"");
        assert!(matches!(e, R2Error::Object(ObjectError::NotModified(_))));
        let html = b"<html><body>502 Bad Gateway</body></html>";
        let e = error_from_response(&GET, StatusCode::BAD_GATEWAY, &HeaderMap::new(), html);
        assert_eq!(e.code(), Some("BadGateway"));
        assert!(e.is_retryable());
        let e = error_from_response(&GET, StatusCode::IM_A_TEAPOT, &HeaderMap::new(), b"");
        assert_eq!(e.code(), Some("Http418"));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let body =
            b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>";
        let e = error_from_response(
            &GET,
            StatusCode::SERVICE_UNAVAILABLE,
            &headers(&[("retry-after", "7")]),
            body,
        );
        assert!(matches!(e, R2Error::Server(ServerError::SlowDown(_))));
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        let e = error_from_response(
            &GET,
            StatusCode::SERVICE_UNAVAILABLE,
            &headers(&[
                ("retry-after", "Wed, 01 May 2024 12:00:30 GMT"),
                ("date", "Wed, 01 May 2024 12:00:00 GMT"),
            ]),
            body,
        );
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
        let e = error_from_response(
            &GET,
            StatusCode::SERVICE_UNAVAILABLE,
            &headers(&[("retry-after", "soon")]),
            body,
        );
        assert_eq!(e.retry_after(), None);
    }

    #[test]
    fn skew_and_refused_headers() {
        let body = b"<Error><Code>RequestTimeTooSkewed</Code><Message>m</Message><ServerTime>2024-05-01T12:55:12Z</ServerTime></Error>";
        let e = error_from_response(&GET, StatusCode::FORBIDDEN, &HeaderMap::new(), body);
        assert!(matches!(
            e,
            R2Error::Auth(AuthError::RequestTimeTooSkewed(_))
        ));
        assert_eq!(
            e.server_time(),
            Some(time::macros::datetime!(2024-05-01 12:55:12 UTC))
        );
        let body = b"<Error><Code>NotImplemented</Code><Message>Header 'x-amz-checksum-crc32' with value 'AAAA' not implemented</Message></Error>";
        let e = error_from_response(&GET, StatusCode::NOT_IMPLEMENTED, &HeaderMap::new(), body);
        assert_eq!(
            e.details().and_then(|d| d.header.as_deref()),
            Some("x-amz-checksum-crc32")
        );
        assert!(!e.is_retryable());
    }
}
