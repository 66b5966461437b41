//! Response bodies: on the wire, or whole in memory (recorded or
//! replayed), read with an idle timeout per chunk.

use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::HeaderMap;
use r2_proto::error::NetworkError;
use r2_proto::model::body_cut_short;

use crate::http1::WireBody;
use crate::timeout::within;

/// A response body.
#[derive(Debug)]
pub(crate) enum ResponseBody {
    /// Still on the connection.
    Wire(Box<WireBody>),
    /// In memory: a response without a body, read whole while recording,
    /// or from a cassette.
    Whole(Option<Bytes>),
}

impl ResponseBody {
    /// The next chunk, `None` at the end.
    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, NetworkError>>> {
        match self {
            Self::Wire(body) => body.poll_chunk(cx),
            Self::Whole(bytes) => Poll::Ready(bytes.take().map(Ok)),
        }
    }

    /// The next chunk, waiting at most `timeout` for it.
    pub(crate) async fn next_chunk(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Bytes>, NetworkError> {
        within(timeout, async {
            std::future::poll_fn(|cx| self.poll_chunk(cx))
                .await
                .transpose()
        })
        .await
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
        let chunk = match body.next_chunk(timeout).await {
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
