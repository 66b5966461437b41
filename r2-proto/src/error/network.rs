//! Transport failures, reported by the adapters.

use std::time::Duration;

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
    /// TLS failed (certificate, protocol version). Not retried.
    #[error("TLS failure: {0}")]
    Tls(String),
    /// A replayed client met a request its cassette does not hold (see
    /// [`crate::replay`]). Not retried.
    #[error("{0}")]
    NotRecorded(Box<crate::replay::ReplayMiss>),
}
