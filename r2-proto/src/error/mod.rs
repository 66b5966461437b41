//! Every error r2 reports, as data.
//!
//! [`R2Error`] is what operations return. Its variants are categories:
//! client-side problems found before anything is sent ([`ConfigError`],
//! [`RequestError`], [`SignError`]), errors the server reported ([`AuthError`],
//! [`BucketError`], [`ObjectError`], [`MultipartError`], [`ServerError`],
//! [`InvalidRequestError`], [`TransferError`], and [`R2Error::Unrecognized`]
//! for codes r2 does not know, kept verbatim), transport failures
//! ([`NetworkError`]) and responses that could not be understood
//! ([`ResponseError`]). Server errors carry [`ErrorDetails`]: code, message,
//! status, request ids and resource.
//!
//! ```
//! use r2_proto::error::{ObjectError, R2Error};
//! # fn handle(result: Result<(), R2Error>) {
//! match result {
//!     Err(R2Error::Object(ObjectError::NoSuchKey(details))) => {
//!         println!("missing: {:?} (request {:?})", details.resource, details.request_id)
//!     }
//!     Err(e) if e.is_retryable() => println!("try again after {:?}", e.retry_after()),
//!     Err(e) => println!("failed: {e}"),
//!     Ok(()) => {}
//! }
//! # }
//! ```

mod client;
mod details;
mod from_response;
mod network;
mod response;
mod service;
mod upload;

use std::time::Duration;

use time::OffsetDateTime;

pub use client::{ConfigError, RequestError, SignError};
pub use details::ErrorDetails;
pub(crate) use from_response::{ErrorContext, error_from_response};
pub use network::{Attempted, NetworkError, NetworkFailure, caused_by, source_chain};
pub use response::{ResponseError, ResponseProblem};
pub use service::{
    AuthError, BucketError, InvalidRequestError, MultipartError, ObjectError, ServerError,
    TransferError,
};
pub use upload::UploadFailure;

/// Any error an r2 operation can return.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum R2Error {
    /// The configuration or credentials were rejected.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The request was rejected before it was sent.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The request could not be signed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Authentication or authorisation failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// A bucket-level error.
    #[error(transparent)]
    Bucket(#[from] BucketError),
    /// An object-level error.
    #[error(transparent)]
    Object(#[from] ObjectError),
    /// A multipart upload error.
    #[error(transparent)]
    Multipart(#[from] MultipartError),
    /// The service failed or throttled.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// The server refused the request as malformed or unsupported.
    #[error(transparent)]
    InvalidRequest(#[from] InvalidRequestError),
    /// A body did not arrive whole or intact.
    #[error(transparent)]
    Transfer(#[from] TransferError),
    /// The transport failed: the last error, and what the operation was
    /// doing when the client gave up ([`R2Error::network`] is the error).
    #[error(transparent)]
    Network(NetworkFailure),
    /// The response could not be understood.
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// An error code r2 does not know, kept verbatim.
    #[error("{0}")]
    Unrecognized(Box<ErrorDetails>),
    /// The circuit breaker refused the request: the endpoint (or bucket)
    /// failed repeatedly and is given time to recover.
    #[error("circuit open{}: not sending for another {retry_in:?}", bucket.as_deref().map(|b| format!(" for bucket {b}")).unwrap_or_default())]
    CircuitOpen {
        /// The bucket, when breakers are per bucket.
        bucket: Option<String>,
        /// How long until a probe may go.
        retry_in: std::time::Duration,
    },
    /// A multipart upload failed; says which part and whether it can resume.
    #[error(transparent)]
    Upload(Box<UploadFailure>),
}

impl From<NetworkError> for R2Error {
    fn from(error: NetworkError) -> Self {
        Self::Network(error.into())
    }
}

impl From<crate::resume_state::InvalidResumeState> for R2Error {
    fn from(error: crate::resume_state::InvalidResumeState) -> Self {
        Self::Request(error.into())
    }
}

impl R2Error {
    /// Sorts server-reported details into their category by code.
    pub(crate) fn from_details(details: ErrorDetails) -> Self {
        let details = Box::new(details);
        let details = match AuthError::from_code(details) {
            Ok(e) => return e.into(),
            Err(d) => d,
        };
        let details = match BucketError::from_code(details) {
            Ok(e) => return e.into(),
            Err(d) => d,
        };
        let details = match ObjectError::from_code(details) {
            Ok(e) => return e.into(),
            Err(d) => d,
        };
        let details = match MultipartError::from_code(details) {
            Ok(e) => return e.into(),
            Err(d) => d,
        };
        let details = match ServerError::from_code(details) {
            Ok(e) => return e.into(),
            Err(d) => d,
        };
        let details = match InvalidRequestError::from_code(details) {
            Ok(e) => return e.into(),
            Err(d) => d,
        };
        match TransferError::from_code(details) {
            Ok(e) => e.into(),
            Err(d) => Self::Unrecognized(d),
        }
    }

    /// The server's error details, for errors the server reported.
    pub fn details(&self) -> Option<&ErrorDetails> {
        match self {
            Self::Auth(e) => e.details(),
            Self::Bucket(e) => e.details(),
            Self::Object(e) => e.details(),
            Self::Multipart(e) => e.details(),
            Self::Server(e) => e.details(),
            Self::InvalidRequest(e) => e.details(),
            Self::Transfer(e) => e.details(),
            Self::Unrecognized(details) => Some(details),
            Self::Upload(failure) => failure.cause.details(),
            Self::Config(_)
            | Self::Request(_)
            | Self::Sign(_)
            | Self::Network(_)
            | Self::Response(_)
            | Self::CircuitOpen { .. } => None,
        }
    }

    /// The S3 error code, for errors the server reported.
    pub fn code(&self) -> Option<&str> {
        self.details().map(|d| d.code.as_str())
    }

    /// The HTTP status, for errors the server reported.
    pub fn status(&self) -> Option<u16> {
        self.details().map(|d| d.status)
    }

    /// The request id (`x-amz-request-id`), for errors the server reported.
    pub fn request_id(&self) -> Option<&str> {
        self.details().and_then(|d| d.request_id.as_deref())
    }

    /// The transport's error, for a [`Network`](Self::Network) failure.
    pub fn network(&self) -> Option<&NetworkError> {
        match self {
            Self::Network(failure) => Some(&failure.error),
            _ => None,
        }
    }

    /// Attaches what the operation was doing to a transport failure that
    /// ended it (other errors carry the server's details already).
    pub(crate) fn attempted(self, attempted: impl FnOnce() -> Attempted) -> Self {
        match self {
            Self::Network(NetworkFailure {
                error,
                attempted: None,
            }) => Self::Network(NetworkFailure {
                error,
                attempted: Some(Box::new(attempted())),
            }),
            other => other,
        }
    }

    /// The category's name (`auth`, `object`, `network`, …), for logs and metrics labels.
    pub fn category(&self) -> &'static str {
        match self {
            Self::Config(_) => "config",
            Self::Request(_) => "request",
            Self::Sign(_) => "sign",
            Self::Auth(_) => "auth",
            Self::Bucket(_) => "bucket",
            Self::Object(_) => "object",
            Self::Multipart(_) => "multipart",
            Self::Server(_) => "server",
            Self::InvalidRequest(_) => "invalid_request",
            Self::Transfer(_) => "transfer",
            Self::Network(_) => "network",
            Self::Response(_) => "response",
            Self::Unrecognized(_) => "unrecognized",
            Self::CircuitOpen { .. } => "circuit_open",
            Self::Upload(_) => "upload",
        }
    }

    /// The wait the server asked for (`Retry-After`), when it did.
    pub fn retry_after(&self) -> Option<Duration> {
        self.details().and_then(|d| d.retry_after)
    }

    /// The server's clock, for `RequestTimeTooSkewed` (from `<ServerTime>` or
    /// the `Date` header): the retry layer corrects its clock by it.
    pub fn server_time(&self) -> Option<OffsetDateTime> {
        match self {
            Self::Auth(AuthError::RequestTimeTooSkewed(details)) => details.server_time,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(code: &str, status: u16) -> R2Error {
        R2Error::from_details(ErrorDetails::new(code, "", status))
    }

    #[test]
    fn codes_land_in_their_category() {
        let cases = [
            ("AccessDenied", "auth"),
            ("NoSuchBucket", "bucket"),
            ("NoSuchKey", "object"),
            ("NoSuchUpload", "multipart"),
            ("SlowDown", "server"),
            ("MalformedXML", "invalid_request"),
            ("BadDigest", "transfer"),
            ("SomethingNew", "unrecognized"),
        ];
        for (code, category) in cases {
            let e = from(code, 400);
            assert_eq!(e.category(), category, "{code}");
            assert_eq!(e.code(), Some(code));
            assert_eq!(e.status(), Some(400));
        }
    }

    #[test]
    fn retryability() {
        for (code, status, retry) in [
            ("InternalError", 500, true),
            ("ServiceUnavailable", 503, true),
            ("SlowDown", 503, true),
            ("TooManyRequests", 429, true),
            ("NotImplemented", 501, false),
            ("RequestTimeout", 400, true),
            ("BadDigest", 400, false),
            ("PreconditionFailed", 412, false),
            ("AccessDenied", 403, false),
            ("RequestTimeTooSkewed", 403, false),
            ("InvalidPart", 400, false),
            ("BadGateway", 502, true),
            ("Weird", 501, false),
            ("Weird", 429, true),
            ("Weird", 418, false),
        ] {
            assert_eq!(from(code, status).is_retryable(), retry, "{code} {status}");
        }
        assert!(R2Error::from(NetworkError::Timeout(Duration::from_secs(1))).is_retryable());
        assert!(!R2Error::from(NetworkError::Tls("bad cert".into())).is_retryable());
        assert!(
            R2Error::from(TransferError::IncompleteBody {
                expected: 2,
                received: 1
            })
            .is_retryable()
        );
        assert!(!R2Error::from(RequestError::EmptyObjectKey).is_retryable());
    }

    #[test]
    fn hints_are_exposed() {
        let mut details = ErrorDetails::new("SlowDown", "", 503);
        details.retry_after = Some(Duration::from_secs(3));
        let e = R2Error::from_details(details);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(3)));
        assert_eq!(e.server_time(), None);
        let mut details = ErrorDetails::new("RequestTimeTooSkewed", "", 403);
        details.server_time = Some(time::macros::datetime!(2024-05-01 12:55:12 UTC));
        details.request_id = Some("id".into());
        let e = R2Error::from_details(details);
        assert_eq!(
            e.server_time(),
            Some(time::macros::datetime!(2024-05-01 12:55:12 UTC))
        );
        assert_eq!(e.request_id(), Some("id"));
        assert_eq!(R2Error::from(ConfigError::EmptyAccountId).details(), None);
    }
}
