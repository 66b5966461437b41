//! Response bodies: on the wire, or whole in memory (recorded or
//! replayed), read with an idle timeout per chunk.

use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use r2_proto::error::NetworkError;

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

/// The whole body. A body shorter than its `Content-Length` is left to the
/// operation's parser to report.
pub(crate) async fn read_all(
    body: &mut ResponseBody,
    timeout: Duration,
) -> Result<Bytes, NetworkError> {
    let mut first: Option<Bytes> = None;
    let mut joined = BytesMut::new();
    while let Some(chunk) = body.next_chunk(timeout).await? {
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
