//! A response body on its hyper connection: handed over chunk by chunk,
//! telling the pool once it has been read to its end.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body;
use hyper::body::Incoming;
use r2_proto::error::NetworkError;

use crate::pool::Returned;
use r2_proto::error::source_chain;

/// A response body still on its connection.
#[derive(Debug)]
pub struct WireBody {
    incoming: Incoming,
    /// The pool's receipt for the connection, until the body ends.
    returned: Option<Returned>,
}

impl WireBody {
    pub(crate) fn new(incoming: Incoming, returned: Returned) -> Self {
        Self {
            incoming,
            returned: Some(returned),
        }
    }
}

impl r2_async::ResponseBody for WireBody {
    /// The next data chunk, `None` at the body's end.
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, NetworkError>>> {
        loop {
            match Pin::new(&mut self.incoming).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    if let Some(returned) = self.returned.take() {
                        returned.body_read();
                    }
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Err(error))) => {
                    let error = NetworkError::StreamInterrupted(source_chain(&error));
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        return Poll::Ready(Some(Ok(data)));
                    }
                }
            }
        }
    }
}
