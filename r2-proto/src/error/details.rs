//! What every error reported by the server carries.

use std::fmt;
use std::time::Duration;

use time::OffsetDateTime;

/// The facts of one error response: S3 code and message, HTTP status,
/// request ids and resource, plus the hints some errors carry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorDetails {
    /// The S3 error code, verbatim (`NoSuchKey`, or any code r2 does not know).
    /// For bodiless responses (HEAD), the code the status stands for.
    pub code: String,
    /// The server's message, verbatim.
    pub message: String,
    /// The HTTP status code.
    pub status: u16,
    /// `x-amz-request-id`, or the body's `<RequestId>`.
    pub request_id: Option<String>,
    /// Cloudflare's `cf-ray` header, when present.
    pub cf_ray: Option<String>,
    /// `x-amz-id-2`, or the body's `<HostId>`.
    pub host_id: Option<String>,
    /// The resource: the body's `<Resource>`, else `/bucket/key` of the request.
    pub resource: Option<String>,
    /// How long the server asked the client to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// The server's clock: `<ServerTime>` of `RequestTimeTooSkewed`, else the `Date` header.
    pub server_time: Option<OffsetDateTime>,
    /// The header the server refused (`NotImplemented`: "Header 'x' ... not implemented").
    pub header: Option<String>,
    /// The string to sign the server computed (`SignatureDoesNotMatch`, S3):
    /// compare it with [`Signer::explain`](crate::Signer::explain).
    pub server_string_to_sign: Option<String>,
    /// The canonical request the server computed (`SignatureDoesNotMatch`, S3).
    pub server_canonical_request: Option<String>,
    /// True when there was no error body and `code` was derived from the status.
    pub code_from_status: bool,
}

impl ErrorDetails {
    /// Details with a code, message and status, and nothing else known.
    pub fn new(code: impl Into<String>, message: impl Into<String>, status: u16) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            status,
            request_id: None,
            cf_ray: None,
            host_id: None,
            resource: None,
            retry_after: None,
            server_time: None,
            header: None,
            server_string_to_sign: None,
            server_canonical_request: None,
            code_from_status: false,
        }
    }
}

impl fmt::Display for ErrorDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (HTTP {})", self.code, self.status)?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(resource) = &self.resource {
            write!(f, " [resource {resource}]")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        if let Some(ray) = &self.cf_ray {
            write!(f, " [cf-ray {ray}]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_what_helps_support() {
        let mut details = ErrorDetails::new("NoSuchKey", "The specified key does not exist.", 404);
        assert_eq!(
            details.to_string(),
            "NoSuchKey (HTTP 404): The specified key does not exist."
        );
        details.resource = Some("/bucket/key".into());
        details.request_id = Some("REQ".into());
        details.cf_ray = Some("RAY".into());
        assert_eq!(
            details.to_string(),
            "NoSuchKey (HTTP 404): The specified key does not exist. [resource /bucket/key] \
             [request id REQ] [cf-ray RAY]"
        );
        assert_eq!(ErrorDetails::new("X", "", 500).to_string(), "X (HTTP 500)");
    }
}
