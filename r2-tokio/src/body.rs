//! Response bodies: on the wire, or whole in memory (recorded or
//! replayed), read with an idle timeout per chunk.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use r2_proto::error::NetworkError;
use r2_proto::model::body_cut_short;

use crate::transport::error_chain;

/// A response body.
#[derive(Debug)]
pub enum ResponseBody {
    /// Still on the connection.
    Wire(Incoming),
    /// In memory: read whole while recording, or from a cassette.
    Whole(Option<Bytes>),
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Self::Wire(body) => Pin::new(body).poll_frame(cx),
            Self::Whole(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Wire(body) => body.is_end_stream(),
            Self::Whole(bytes) => bytes.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Wire(body) => body.size_hint(),
            Self::Whole(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
        }
    }
}

/// The next data chunk of `body`, `None` at its end.
pub(crate) async fn next_chunk(
    body: &mut ResponseBody,
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

/// The whole body. A body that breaks off before its `Content-Length` is
/// handed over as far as it came, for the operation to report as
/// `IncompleteBody` (see [`body_cut_short`]); a stall stays a timeout.
pub(crate) async fn read_all(
    body: &mut ResponseBody,
    headers: &HeaderMap,
    timeout: Duration,
) -> Result<Bytes, NetworkError> {
    let mut first: Option<Bytes> = None;
    let mut joined = BytesMut::new();
    loop {
        let chunk = match next_chunk(body, timeout).await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(NetworkError::Timeout(after)) => return Err(NetworkError::Timeout(after)),
            Err(error) => {
                let received = first.as_ref().map_or(joined.len(), Bytes::len) as u64;
                if !body_cut_short(headers, received) {
                    return Err(error);
                }
                break;
            }
        };
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
