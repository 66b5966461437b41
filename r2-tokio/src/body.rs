//! Reading response bodies off the wire, with an idle timeout per chunk.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use r2_proto::error::NetworkError;

use crate::transport::error_chain;

/// The next data chunk of `body`, `None` at its end.
pub(crate) async fn next_chunk(
    body: &mut Incoming,
    timeout: Duration,
) -> Result<Option<Bytes>, NetworkError> {
    loop {
        match tokio::time::timeout(timeout, body.frame()).await {
            Err(_) => return Err(NetworkError::Timeout(timeout)),
            Ok(None) => return Ok(None),
            Ok(Some(Err(error))) => {
                return Err(NetworkError::StreamInterrupted(error_chain(&error)));
            }
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    return Ok(Some(data));
                }
            }
        }
    }
}

/// The whole body. A body shorter than its `Content-Length` is left to the
/// operation's parser to report.
pub(crate) async fn read_all(
    body: &mut Incoming,
    timeout: Duration,
) -> Result<Bytes, NetworkError> {
    let mut first: Option<Bytes> = None;
    let mut joined = BytesMut::new();
    while let Some(chunk) = next_chunk(body, timeout).await? {
        match first.take() {
            None if joined.is_empty() => first = Some(chunk),
            None => joined.extend_from_slice(&chunk),
            Some(previous) => {
                joined.extend_from_slice(&previous);
                joined.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| joined.freeze()))
}
