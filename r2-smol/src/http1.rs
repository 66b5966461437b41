//! One HTTP/1.1 exchange on one connection: `r2-http1` frames it, this
//! moves its bytes over async-io and hands the body over as it arrives.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use http::{Request, Response};
use r2_http1::{Answer, Body, BodyStep, Failure, Home as _, Sending};
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;

use crate::connection::Connection;
use crate::pool::Home;

/// A response whose headers are in.
pub(crate) struct Sent {
    /// Status and headers.
    pub(crate) head: Response<()>,
    /// The body still to read, if the response has one.
    pub(crate) body: Option<WireBody>,
}

/// Sends `request` on `connection` and reads the response head. The
/// connection goes back to `pool` once the body has been read to its end
/// (at once, for a response without a body), unless the server closes it.
pub(crate) async fn round_trip(
    mut connection: Connection,
    request: &Request<RequestBody>,
    user_agent: &http::HeaderValue,
    home: Home,
) -> Result<Sent, Failure> {
    let buffer = std::mem::take(&mut connection.buffer);
    let mut sending = r2_http1::start(request, user_agent, buffer)?;
    write(&mut connection, sending.head()).await?;
    for piece in request.body().pieces() {
        // After an early answer the rest is counted, never sent: the
        // server has answered, and the connection is closed after.
        if !sending.answered_early() {
            write_watching(&mut connection, piece, &mut sending).await?;
        }
        sending.sent(piece.len())?;
    }
    connection.stream.flush().await.map_err(Failure::early)?;
    let mut receiving = sending.finish()?;
    let Answer { head, body, reuse } = loop {
        receiving = match receiving.parse()? {
            Ok(answer) => break answer,
            Err(more) => more,
        };
        let read = connection.stream.read(receiving.room()?).await;
        let n = read.map_err(|e| receiving.failed(e))?;
        receiving.filled(n)?;
    };
    if let Some(buffer) = reuse {
        home.keep(connection, buffer);
        return Ok(Sent { head, body: None });
    }
    let body = body.map(|body| WireBody {
        connection: Some(connection),
        body: Some(body),
        home,
    });
    Ok(Sent { head, body })
}

/// Writes a piece of the request body while watching the connection for
/// an answer: a server may refuse a request (a 403, a 413) before it reads
/// the body, and may then stop reading (or close). The socket is asked for an answer
/// only when a write must wait (a body that goes out at once costs nothing
/// more); interim answers alone are skipped and the body goes on.
async fn write_watching(
    connection: &mut Connection,
    bytes: &[u8],
    sending: &mut Sending,
) -> Result<(), Failure> {
    let stream = &mut connection.stream;
    let mut at = 0;
    std::future::poll_fn(|cx| {
        loop {
            let rest = bytes.get(at..).unwrap_or_default();
            if rest.is_empty() {
                return Poll::Ready(Ok(()));
            }
            match Pin::new(&mut *stream).poll_write(cx, rest) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(Failure::early("write zero"))),
                Poll::Ready(Ok(n)) => at += n,
                // A server that answered and closed resets the connection:
                // its answer may still be there to read.
                Poll::Ready(Err(error)) => {
                    return match Pin::new(&mut *stream).poll_read(cx, sending.room()) {
                        Poll::Ready(Ok(n)) if sending.arrived(n) => Poll::Ready(Ok(())),
                        _ => Poll::Ready(Err(Failure::early(error))),
                    };
                }
                Poll::Pending => match Pin::new(&mut *stream).poll_read(cx, sending.room()) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(Failure::early("closed"))),
                    Poll::Ready(Ok(n)) if sending.arrived(n) => return Poll::Ready(Ok(())),
                    Poll::Ready(Ok(_)) => {}
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(Failure::early(error))),
                },
            }
        }
    })
    .await
}

async fn write(connection: &mut Connection, bytes: &[u8]) -> Result<(), Failure> {
    connection
        .stream
        .write_all(bytes)
        .await
        .map_err(Failure::early)
}

/// A response body being read off its connection.
pub(crate) struct WireBody {
    connection: Option<Connection>,
    body: Option<Body>,
    home: Home,
}

impl std::fmt::Debug for WireBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireBody")
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

impl WireBody {
    /// The next piece of the body, `None` at its end.
    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, NetworkError>>> {
        loop {
            let (Some(body), Some(connection)) = (self.body.as_mut(), self.connection.as_mut())
            else {
                return Poll::Ready(None);
            };
            match body.chunk() {
                Ok(BodyStep::Data(chunk)) => return Poll::Ready(Some(Ok(chunk))),
                Ok(BodyStep::End { reusable }) => {
                    self.finish(reusable);
                    return Poll::Ready(None);
                }
                Ok(BodyStep::Read) => {}
                Err(error) => return Poll::Ready(Some(Err(self.close(error)))),
            }
            let filled = match Pin::new(&mut connection.stream).poll_read(cx, body.room()) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(n)) => body.filled(n),
                Poll::Ready(Err(error)) => Err(body.broken(error)),
            };
            if let Err(error) = filled {
                return Poll::Ready(Some(Err(self.close(error))));
            }
        }
    }

    /// Ends the body: its connection goes back to the pool when reusable.
    fn finish(&mut self, reusable: bool) {
        self.home
            .finish(self.connection.take(), self.body.take(), reusable);
    }

    fn close(&mut self, error: NetworkError) -> NetworkError {
        self.connection = None;
        self.body = None;
        error
    }
}
