//! What every adapter logs and counts, named once.
//!
//! The adapters call these functions at fixed points of a request's life;
//! the spans, events and metrics they emit go through the `tracing` and
//! `metrics` facades, so an application that installs no subscriber or
//! recorder pays almost nothing. Nothing here reads a clock: durations are
//! measured by the adapter and passed in.
//!
//! Levels: ERROR for a final, non-retryable failure; WARN for retries, rate
//! limits and breaker changes; INFO for a finished transfer and the
//! multipart lifecycle; DEBUG for each request and response (sanitized:
//! no `Authorization` value, no session token, no presigned signature);
//! TRACE for the string to sign.
//!
//! Span fields: `r2.operation`, `r2.bucket`, `r2.key`, `r2.account_id`
//! (for R2 endpoints), `r2.request_seq` (the client's number for the
//! request), `aws.request_id` (the server's `x-amz-request-id`),
//! `r2.content_length`, `http.status_code`, `error.type`, `error.code`
//! (recorded on the request's own span, from the answer's error body).

use std::time::Duration;

use http::{HeaderMap, Request};
use tracing::{Level, Span, debug, error, field, info, trace, warn};

use crate::client_core::RequestId;
use crate::error::{ErrorContext, NetworkError, ObjectError, R2Error, error_from_response};
use crate::names::{BucketName, ObjectKey};
use crate::ops::{OperationName, RequestBody, RequestInfo};
use crate::resilience::{BreakerEvent, Note};

/// Metric names and label keys.
pub mod metric {
    /// Counter of responses, labelled `operation`, `bucket`, `status`.
    pub const REQUESTS_TOTAL: &str = "r2_requests_total";
    /// Histogram of request durations in seconds, labelled `operation`.
    pub const REQUEST_DURATION_SECONDS: &str = "r2_request_duration_seconds";
    /// Counter of body bytes, labelled `operation`, `direction` (`sent`/`received`).
    pub const BYTES_TRANSFERRED_TOTAL: &str = "r2_bytes_transferred_total";
    /// Counter of failed operations, labelled `operation`, `error_type`, `code`.
    pub const ERRORS_TOTAL: &str = "r2_errors_total";
    /// Counter of retries, labelled `operation`, `class`.
    pub const RETRIES_TOTAL: &str = "r2_retries_total";
    /// Counter of uploaded multipart parts, labelled `bucket`.
    pub const MULTIPART_PARTS_TOTAL: &str = "r2_multipart_parts_total";
}

/// Header values never written to a log.
const SECRET_HEADERS: [&str; 2] = ["authorization", "x-amz-security-token"];

/// Query parameters whose values are never written to a log.
const SECRET_QUERY: [&str; 3] = [
    "X-Amz-Signature",
    "X-Amz-Credential",
    "X-Amz-Security-Token",
];

fn operation_of(info: Option<&RequestInfo>) -> &'static str {
    info.map_or("Unknown", |i| i.operation.as_str())
}

fn bucket_of(info: Option<&RequestInfo>) -> &str {
    info.and_then(|i| i.bucket.as_ref())
        .map_or("", |b| b.as_str())
}

/// The span of one request: enter it (or instrument the future) while the
/// request is sent and its answer read.
pub fn request_span<B>(id: RequestId, request: &Request<B>, content_length: u64) -> Span {
    let info = RequestInfo::of(request);
    let span = tracing::info_span!(
        "r2.request",
        r2.operation = operation_of(info),
        r2.bucket = bucket_of(info),
        r2.key = field::Empty,
        r2.account_id = field::Empty,
        r2.request_seq = id.0,
        aws.request_id = field::Empty,
        r2.content_length = content_length,
        http.status_code = field::Empty,
        error.r#type = field::Empty,
        error.code = field::Empty,
    );
    if let Some(key) = info.and_then(|i| i.key.as_ref()) {
        span.record("r2.key", key.as_str());
    }
    if let Some(account) = account_of(request.uri()) {
        span.record("r2.account_id", account);
    }
    span
}

/// The account id of an R2 endpoint's host
/// (`<account>.r2.cloudflarestorage.com`, also with a jurisdiction).
fn account_of(uri: &http::Uri) -> Option<&str> {
    let host = uri.host()?;
    let (account, rest) = host.split_once('.')?;
    let r2 = rest == "r2.cloudflarestorage.com"
        || rest
            .split_once('.')
            .is_some_and(|(_, rest)| rest == "r2.cloudflarestorage.com");
    r2.then_some(account)
}

/// Logs a request about to leave (DEBUG, sanitized) and its string to sign
/// (TRACE).
pub fn request_sent(request: &Request<RequestBody>) {
    if tracing::enabled!(Level::DEBUG) {
        debug!(
            method = %request.method(),
            path = request.uri().path(),
            query = %sanitized_query(request.uri().query().unwrap_or("")),
            headers = %sanitized_headers(request.headers()),
            "sending request"
        );
    }
    if tracing::enabled!(Level::TRACE)
        && let Some(scope) = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(", ").find_map(|p| p.strip_prefix("SignedHeaders=")))
    {
        trace!(signed_headers = scope, "signed with AWS4-HMAC-SHA256");
    }
}

/// Records a response's status, duration and byte counts on the current
/// span and in the metrics.
pub fn response_received(
    span: &Span,
    request: &Request<RequestBody>,
    status: u16,
    headers: &HeaderMap,
    duration: Duration,
) {
    let info = RequestInfo::of(request);
    let operation = operation_of(info);
    span.record("http.status_code", status);
    if let Some(id) = headers
        .get("x-amz-request-id")
        .and_then(|v| v.to_str().ok())
    {
        span.record("aws.request_id", id);
    }
    debug!(
        status,
        elapsed_ms = duration.as_secs_f64() * 1000.0,
        headers = %sanitized_headers(headers),
        "response"
    );
    metrics::counter!(
        metric::REQUESTS_TOTAL,
        "operation" => operation,
        "bucket" => bucket_of(info).to_owned(),
        "status" => status.to_string()
    )
    .increment(1);
    metrics::histogram!(metric::REQUEST_DURATION_SECONDS, "operation" => operation)
        .record(duration.as_secs_f64());
    if (200..300).contains(&status)
        && let Some(info) = info
    {
        multipart_step(info);
    }
}

/// Counts a confirmed part, and logs the multipart lifecycle at INFO.
fn multipart_step(info: &RequestInfo) {
    let bucket = info.bucket.as_ref().map_or("", |b| b.as_str());
    let key = info.key.as_ref().map_or("", |k| k.as_str());
    match info.operation {
        OperationName::UploadPart => {
            metrics::counter!(metric::MULTIPART_PARTS_TOTAL, "bucket" => bucket.to_owned())
                .increment(1);
        }
        OperationName::CreateMultipartUpload => info!(bucket, key, "multipart upload created"),
        OperationName::CompleteMultipartUpload => info!(bucket, key, "multipart upload completed"),
        OperationName::AbortMultipartUpload => info!(bucket, key, "multipart upload aborted"),
        _ => {}
    }
}

/// Counts body bytes that moved for a request.
pub fn bytes_moved(request: &Request<RequestBody>, sent: u64, received: u64) {
    let operation = operation_of(RequestInfo::of(request));
    if sent > 0 {
        metrics::counter!(metric::BYTES_TRANSFERRED_TOTAL, "operation" => operation, "direction" => "sent")
            .increment(sent);
    }
    if received > 0 {
        metrics::counter!(metric::BYTES_TRANSFERRED_TOTAL, "operation" => operation, "direction" => "received")
            .increment(received);
    }
}

/// Logs and counts a transport failure of one request before its answer
/// (in `r2_requests_total` with `status="none"`; the machine decides
/// whether it is retried, and a retry is logged by [`note`]).
pub fn transport_failed(
    span: &Span,
    request: &Request<RequestBody>,
    error: &NetworkError,
    duration: Duration,
) {
    span.record("error.type", "network");
    debug!(%error, elapsed_ms = duration.as_secs_f64() * 1000.0, "transport failure");
    let info = RequestInfo::of(request);
    let operation = operation_of(info);
    metrics::counter!(
        metric::REQUESTS_TOTAL,
        "operation" => operation,
        "bucket" => bucket_of(info).to_owned(),
        "status" => "none"
    )
    .increment(1);
    metrics::histogram!(metric::REQUEST_DURATION_SECONDS, "operation" => operation)
        .record(duration.as_secs_f64());
}

/// Records an error answer's type and code on the request's span, from
/// its body (the operation's own parse decides what the caller gets).
fn error_answered(
    span: &Span,
    request: &Request<RequestBody>,
    head: &http::response::Parts,
    body: &[u8],
) {
    let info = RequestInfo::of(request);
    let context = ErrorContext {
        operation: info.map_or(OperationName::ListBuckets, |i| i.operation),
        bucket: info.and_then(|i| i.bucket.as_ref()).map(BucketName::as_str),
        key: info.and_then(|i| i.key.as_ref()).map(ObjectKey::as_str),
        upload_id: None,
    };
    let error = error_from_response(&context, head.status, &head.headers, body);
    span.record("error.type", error.category());
    if let Some(code) = error.code() {
        span.record("error.code", code);
    }
    span.in_scope(|| debug!(code = error.code().unwrap_or(""), "error answer"));
}

/// One request's telemetry from send to body, the same in every driver:
/// its span, the request logged as it leaves, the head's status, duration
/// and byte counts, a transport failure, and the body read. The driver
/// passes the times in (the core reads no clock).
#[derive(Debug)]
pub struct RequestTrace {
    span: Span,
    sent: u64,
    started: std::time::Instant,
}

impl RequestTrace {
    /// Opens the request's span and logs the request leaving at `now`.
    pub fn start(id: RequestId, request: &Request<RequestBody>, now: std::time::Instant) -> Self {
        let sent = request.body().content_length();
        let span = request_span(id, request, sent);
        span.in_scope(|| request_sent(request));
        Self {
            span,
            sent,
            started: now,
        }
    }

    /// The request's span: enter it (or instrument the future) while the
    /// request is on the wire.
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// The request was sent at `now`: its answer's head arrived (`Ok`), or
    /// it failed before one.
    pub fn sent<B>(
        &self,
        request: &Request<RequestBody>,
        outcome: &Result<http::Response<B>, NetworkError>,
        now: std::time::Instant,
    ) {
        match outcome {
            Ok(response) => self.answered(request, response, now),
            Err(error) => self.failed(request, error, now),
        }
    }

    /// The answer's head arrived at `now`.
    pub fn answered<B>(
        &self,
        request: &Request<RequestBody>,
        response: &http::Response<B>,
        now: std::time::Instant,
    ) {
        let _entered = self.span.enter();
        let status = response.status().as_u16();
        let elapsed = now.saturating_duration_since(self.started);
        response_received(&self.span, request, status, response.headers(), elapsed);
        bytes_moved(request, self.sent, 0);
    }

    /// The request failed before an answer, at `now`.
    pub fn failed(
        &self,
        request: &Request<RequestBody>,
        error: &NetworkError,
        now: std::time::Instant,
    ) {
        let _entered = self.span.enter();
        transport_failed(
            &self.span,
            request,
            error,
            now.saturating_duration_since(self.started),
        );
    }

    /// The answer's body (with head `head`) was read whole, or failed. An
    /// error answer's type and code go on the request's span.
    pub fn body_read(
        &self,
        request: &Request<RequestBody>,
        head: &http::response::Parts,
        body: &Result<bytes::Bytes, NetworkError>,
    ) {
        match body {
            Ok(bytes) => {
                bytes_moved(request, 0, bytes.len() as u64);
                if !head.status.is_success() && !head.status.is_informational() {
                    error_answered(&self.span, request, head, bytes);
                }
            }
            Err(error) => {
                let _entered = self.span.enter();
                self.span.record("error.type", "network");
                debug!(%error, "the answer's body broke off");
            }
        }
    }
}

/// Logs and counts an operation that failed for good: ERROR when retrying
/// could not help, WARN when retries ran out.
pub fn operation_failed(operation: OperationName, error: &R2Error) {
    let span = Span::current();
    span.record("error.type", error.category());
    if let Some(code) = error.code() {
        span.record("error.code", code);
    }
    metrics::counter!(
        metric::ERRORS_TOTAL,
        "operation" => operation.as_str(),
        "error_type" => error.category(),
        "code" => error.code().unwrap_or("").to_owned()
    )
    .increment(1);
    let absent = matches!(error, R2Error::Object(ObjectError::NoSuchKey(_)))
        && matches!(
            operation,
            OperationName::GetObject | OperationName::HeadObject
        );
    if absent {
        // Asking whether a key exists is normal: no alarm.
        debug!(operation = operation.as_str(), %error, "no such key");
    } else if error.is_retryable() {
        warn!(operation = operation.as_str(), %error, "operation failed after retries");
    } else {
        error!(operation = operation.as_str(), %error, "operation failed");
    }
}

/// Logs and counts what a machine noted.
pub fn note(operation: OperationName, note: &Note) {
    match note {
        Note::Retrying {
            attempt,
            after,
            class,
            error,
        } => {
            metrics::counter!(
                metric::RETRIES_TOTAL,
                "operation" => operation.as_str(),
                "class" => class.as_str()
            )
            .increment(1);
            warn!(
                operation = operation.as_str(),
                attempt,
                after_ms = after.as_millis() as u64,
                class = class.as_str(),
                %error,
                "retrying"
            );
        }
        Note::BudgetExhausted { error } => {
            warn!(operation = operation.as_str(), %error, "retry budget exhausted");
        }
        Note::Breaker(event) => match event {
            BreakerEvent::Opened(bucket) => {
                warn!(bucket = bucket.as_deref().unwrap_or(""), "circuit opened");
            }
            BreakerEvent::HalfOpened(bucket) => {
                warn!(
                    bucket = bucket.as_deref().unwrap_or(""),
                    "circuit half-open"
                );
            }
            BreakerEvent::Closed(bucket) => {
                info!(bucket = bucket.as_deref().unwrap_or(""), "circuit closed");
            }
        },
        Note::ClockCorrected { offset } => {
            warn!(
                offset_ms = offset.whole_milliseconds() as i64,
                "clock skew corrected"
            );
        }
        Note::RateLimited { .. } => {
            debug!(operation = operation.as_str(), "rate limited");
        }
    }
}

/// Logs a finished transfer (INFO).
pub fn transfer_finished(
    kind: &'static str,
    bucket: &str,
    key: &str,
    bytes: u64,
    elapsed: Duration,
) {
    let secs = elapsed.as_secs_f64();
    let mib_per_s = if secs > 0.0 {
        bytes as f64 / 1_048_576.0 / secs
    } else {
        0.0
    };
    info!(
        kind,
        bucket,
        key,
        bytes,
        elapsed_ms = secs * 1000.0,
        mib_per_s,
        "transfer finished"
    );
}

/// The headers with secret values replaced by `***`.
pub fn sanitized_headers(headers: &HeaderMap) -> String {
    let mut out = String::new();
    for (name, value) in headers {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(name.as_str());
        out.push_str(": ");
        if SECRET_HEADERS.contains(&name.as_str()) {
            out.push_str("***");
        } else {
            out.push_str(value.to_str().unwrap_or("<binary>"));
        }
    }
    out
}

/// The query with signature, credential and token values replaced by `***`.
pub fn sanitized_query(query: &str) -> String {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_QUERY.contains(&name) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_account_id_comes_from_an_r2_host_only() {
        let of = |uri: &str| account_of(&uri.parse().unwrap()).map(str::to_owned);
        let account = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            of(&format!("https://{account}.r2.cloudflarestorage.com/b/k")).as_deref(),
            Some(account)
        );
        assert_eq!(
            of(&format!("https://{account}.eu.r2.cloudflarestorage.com/b")).as_deref(),
            Some(account)
        );
        assert_eq!(of("http://127.0.0.1:9000/b/k"), None);
        assert_eq!(of("https://s3.example.com/b"), None);
        assert_eq!(of("https://a.b.c.r2.cloudflarestorage.com/b"), None);
    }

    #[test]
    fn secrets_are_redacted() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            "AWS4-HMAC-SHA256 Signature=abc".parse().unwrap(),
        );
        headers.insert("x-amz-security-token", "tok".parse().unwrap());
        headers.insert("content-type", "text/plain".parse().unwrap());
        let text = sanitized_headers(&headers);
        assert_eq!(
            text,
            "authorization: ***, x-amz-security-token: ***, content-type: text/plain"
        );
        assert_eq!(
            sanitized_query(
                "a=1&X-Amz-Signature=f00&X-Amz-Security-Token=t&X-Amz-Credential=AK%2F1&b"
            ),
            "a=1&X-Amz-Signature=***&X-Amz-Security-Token=***&X-Amz-Credential=***&b"
        );
    }
}
