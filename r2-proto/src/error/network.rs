//! Transport failures, reported by the adapters.

use std::time::Duration;

use crate::names::{BucketName, ObjectKey};
use crate::ops::{OperationName, RequestInfo};

/// A request did not complete at the transport level.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    /// No connection could be made (DNS, refused, reset before a response).
    #[error("connection failed: {0}")]
    ConnectionFailed(String),
    /// No response (or no progress) within the allowed time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The connection broke while a body was moving.
    #[error("stream interrupted: {0}")]
    StreamInterrupted(String),
    /// An answer's body was larger than the client reads whole
    /// ([`ReadLimits::max_body`](crate::ReadLimits::max_body)); the rest was
    /// left unread and the connection closed. Not retried.
    #[error("the answer's body is larger than the limit of {limit} bytes (ReadLimits::max_body)")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: u64,
    },
    /// An answer's head, with the interim (1xx) answers before it, was
    /// larger than [`MAX_RESPONSE_HEAD`](crate::MAX_RESPONSE_HEAD). Not
    /// retried.
    #[error("the answer's head (interim answers included) is larger than {limit} bytes")]
    HeadTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A proxy refused to open a tunnel to the endpoint (`message` names
    /// the proxy, never its credentials). Retried when `status` is a 5xx
    /// (the proxy could not reach the endpoint), not otherwise (`407`:
    /// the proxy wants other credentials).
    #[error("the proxy refused the tunnel: {message}")]
    ProxyRefused {
        /// The proxy's status code.
        status: u16,
        /// What the proxy answered.
        message: String,
    },
    /// TLS failed (certificate, protocol version). Not retried.
    #[error("TLS failure: {0}")]
    Tls(String),
    /// A replayed client met a request its cassette does not hold (see
    /// [`crate::replay`]). Not retried.
    #[error("{0}")]
    NotRecorded(Box<crate::replay_miss::ReplayMiss>),
}

impl NetworkError {
    /// A failure to connect or to send a request, from the transport's
    /// error: a `NetworkError` among its causes as it is (an adapter's
    /// own, such as a proxy's refusal), [`Tls`](Self::Tls) (never retried)
    /// when an error of type `T` (the TLS library's) is among them, else
    /// [`ConnectionFailed`](Self::ConnectionFailed); the message is the
    /// whole chain of causes.
    pub fn connecting<T: std::error::Error + 'static>(
        error: &(dyn std::error::Error + 'static),
    ) -> Self {
        if let Some(own) = cause::<Self>(error) {
            return own.clone();
        }
        let text = source_chain(error);
        if caused_by::<T>(error) {
            Self::Tls(text)
        } else {
            Self::ConnectionFailed(text)
        }
    }
}

/// An error and its causes, joined with `": "`.
pub fn source_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// True when an error of type `T` is `error` or among its causes, looking
/// inside the `io::Error`s on the way (whose `source` skips what they wrap).
pub fn caused_by<T: std::error::Error + 'static>(
    error: &(dyn std::error::Error + 'static),
) -> bool {
    cause::<T>(error).is_some()
}

/// The first error of type `T` that is `error` or among its causes, looking
/// inside the `io::Error`s on the way.
fn cause<'e, T: std::error::Error + 'static>(
    error: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    if let Some(found) = error.downcast_ref::<T>() {
        return Some(found);
    }
    if let Some(found) = error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        .and_then(|inner| cause::<T>(inner))
    {
        return Some(found);
    }
    error.source().and_then(cause::<T>)
}

/// A transport failure as an operation returns it: the last attempt's
/// error and, once the client gave up, what it was doing (the operation,
/// bucket and key, the endpoint's host, the attempts made and the time
/// they took). [`source`](std::error::Error::source) is the
/// [`NetworkError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkFailure {
    /// What failed last.
    pub error: NetworkError,
    /// The request and its attempts, when the failure ended an operation.
    pub attempted: Option<Box<Attempted>>,
}

/// What a failed operation was doing when the client gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempted {
    /// The operation.
    pub operation: OperationName,
    /// The bucket, when the request was for one.
    pub bucket: Option<BucketName>,
    /// The key, when the request was for one object.
    pub key: Option<ObjectKey>,
    /// The endpoint's host (and port).
    pub host: String,
    /// Requests sent, retries included.
    pub attempts: u32,
    /// From the first attempt to giving up.
    pub elapsed: Duration,
}

impl Attempted {
    /// What `info` asked of `host`, tried `attempts` times over `elapsed`.
    pub(crate) fn new(info: &RequestInfo, host: String, attempts: u32, elapsed: Duration) -> Self {
        Self {
            operation: info.operation,
            bucket: info.bucket.clone(),
            key: info.key.clone(),
            host,
            attempts,
            elapsed,
        }
    }
}

impl From<NetworkError> for NetworkFailure {
    fn from(error: NetworkError) -> Self {
        Self {
            error,
            attempted: None,
        }
    }
}

impl std::fmt::Display for NetworkFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(attempted) = &self.attempted else {
            return self.error.fmt(f);
        };
        let Attempted {
            operation,
            bucket,
            key,
            host,
            attempts,
            elapsed,
        } = &**attempted;
        write!(f, "{operation}")?;
        match (bucket, key) {
            (Some(bucket), Some(key)) => write!(f, " of {bucket}/{key}")?,
            (Some(bucket), None) => write!(f, " on bucket {bucket}")?,
            _ => {}
        }
        let plural = if *attempts == 1 { "" } else { "s" };
        write!(
            f,
            " at {host} failed after {attempts} attempt{plural} in {:.1}s: {}",
            elapsed.as_secs_f64(),
            self.error
        )
    }
}

impl std::error::Error for NetworkFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.attempted.as_ref().map(|_| &self.error as _)
    }
}
