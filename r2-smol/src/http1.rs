//! One HTTP/1.1 exchange on one connection, framed by `ureq-proto` (a
//! sans-IO HTTP/1.1 implementation): the request line is the core's URI as
//! signed, `Content-Length` is the core's (never chunked, never `Expect`),
//! and the response body is handed over as it arrives.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_lite::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use http::{Request, Response};
use r2_proto::MAX_RESPONSE_HEAD;
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;
use ureq_proto::BodyMode;
use ureq_proto::client::state::RecvBody;
use ureq_proto::client::{Call, RecvBodyResult, RecvResponseResult, SendRequestResult};

use crate::connection::{Connection, Origin};
use crate::pool::Pool;

/// The connection's buffer: it takes the request head (S3 headers are a few
/// KiB, metadata at most 8 KiB; a larger head is written in several pieces),
/// then the bytes read from the socket for the response head and small bodies.
const READ_BUFFER: usize = 32 << 10;
/// Bytes read at a time for bodies over 1 MiB.
const LARGE_READ_BUFFER: usize = 256 << 10;

/// A failed exchange, and whether it failed before any byte of a response
/// arrived (so a reused keep-alive connection may simply have gone stale).
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: NetworkError,
    pub(crate) before_response: bool,
}

impl Failure {
    fn early(message: impl std::fmt::Display) -> Self {
        Self {
            error: NetworkError::ConnectionFailed(message.to_string()),
            before_response: true,
        }
    }

    fn late(error: NetworkError) -> Self {
        Self {
            error,
            before_response: false,
        }
    }
}

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
    home: (Arc<Pool>, Origin),
) -> Result<Sent, Failure> {
    let mut head = Request::new(());
    *head.method_mut() = request.method().clone();
    *head.uri_mut() = request.uri().clone();
    *head.headers_mut() = request.headers().clone();
    let host = r2_proto::signed_host(request.uri()).map_err(Failure::early)?;
    let host = http::HeaderValue::from_str(&host).map_err(Failure::early)?;
    head.headers_mut().insert(http::header::HOST, host);
    let call = Call::new(head).map_err(Failure::early)?;
    let mut call = call.proceed();
    let mut buffer = std::mem::take(&mut connection.buffer);
    if buffer.len() < READ_BUFFER {
        buffer.resize(READ_BUFFER, 0);
    }
    loop {
        let n = call.write(&mut buffer).map_err(Failure::early)?;
        write(&mut connection, buffer.get(..n).unwrap_or_default()).await?;
        if call.can_proceed() {
            break;
        }
        if n == 0 {
            return Err(Failure::early("the request head does not fit its buffer"));
        }
    }
    // Bytes of an answer that came while the body was still going out.
    let mut early = 0;
    let mut call = match call.proceed().map_err(Failure::early)? {
        Some(SendRequestResult::SendBody(mut sending)) => {
            for piece in request.body().pieces() {
                if early == 0 {
                    early = write_watching(&mut connection, piece, &mut buffer).await?;
                }
                // After an early answer the rest is counted, never sent: the
                // server has answered, and the connection is closed after.
                sending
                    .consume_direct_write(piece.len())
                    .map_err(Failure::early)?;
            }
            sending
                .proceed()
                .ok_or_else(|| Failure::early("the body is shorter than its Content-Length"))?
        }
        Some(SendRequestResult::RecvResponse(receiving)) => receiving,
        Some(SendRequestResult::Await100(_)) | None => {
            return Err(Failure::early(
                "unexpected request state (Expect is never sent)",
            ));
        }
    };
    connection.stream.flush().await.map_err(Failure::early)?;

    let (mut end, mut skipped) = (early, 0);
    let (used, head) = 'head: loop {
        // Interim (1xx) answers are consumed as they come, all that are in.
        loop {
            let (used, response) = call
                .try_response(buffer.get(..end).unwrap_or_default(), false)
                .map_err(|e| Failure::late(NetworkError::ConnectionFailed(e.to_string())))?;
            if let Some(response) = response {
                break 'head (used, response);
            }
            if used == 0 {
                break;
            }
            skipped += used;
            buffer.copy_within(used..end, 0);
            end -= used;
        }
        if skipped + end >= MAX_RESPONSE_HEAD {
            let limit = MAX_RESPONSE_HEAD;
            return Err(Failure::late(NetworkError::HeadTooLarge { limit }));
        }
        if end == buffer.len() {
            buffer.resize(buffer.len() * 2, 0);
        }
        let room = buffer.get_mut(end..).unwrap_or_default();
        let failed = |why: String| Failure {
            error: NetworkError::ConnectionFailed(why),
            before_response: end == 0 && skipped == 0,
        };
        let read = connection.stream.read(room).await;
        let n = read.map_err(|e| failed(e.to_string()))?;
        if n == 0 {
            return Err(failed("the server closed before answering".into()));
        }
        end += n;
    };
    match call.proceed() {
        Some(RecvResponseResult::RecvBody(receiving)) => {
            let framing = match receiving.body_mode() {
                BodyMode::LengthDelimited(left) => Framing::Length {
                    left,
                    reusable: early == 0 && keeps_alive(&head),
                },
                mode => Framing::Decoded {
                    call: Box::new(receiving),
                    close_delimited: matches!(mode, BodyMode::CloseDelimited),
                },
            };
            if !matches!(framing, Framing::Length { left, .. } if left <= 1 << 20)
                && buffer.len() < LARGE_READ_BUFFER
            {
                buffer.resize(LARGE_READ_BUFFER, 0);
            }
            Ok(Sent {
                head,
                body: Some(WireBody {
                    connection: Some(connection),
                    framing,
                    buffer,
                    start: used,
                    end,
                    home,
                }),
            })
        }
        Some(RecvResponseResult::Cleanup(cleanup)) => {
            if !cleanup.must_close_connection() && used == end && early == 0 {
                let (pool, origin) = home;
                connection.buffer = kept(buffer);
                pool.put(origin, connection, Instant::now());
            }
            Ok(Sent { head, body: None })
        }
        Some(RecvResponseResult::Redirect(_)) | None => Ok(Sent { head, body: None }),
    }
}

/// Whether the server keeps the connection open after this response, as
/// HTTP/1.1 defines it: unless it says `Connection: close`, or it speaks
/// HTTP/1.0 without `Connection: keep-alive`.
fn keeps_alive(head: &Response<()>) -> bool {
    let says = |token: &str| {
        head.headers()
            .get_all(http::header::CONNECTION)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    if says("close") {
        return false;
    }
    head.version() != http::Version::HTTP_10 || says("keep-alive")
}

/// A buffer to keep with an idle connection: one grown for a large body
/// goes back to the usual size.
fn kept(mut buffer: Vec<u8>) -> Vec<u8> {
    buffer.truncate(READ_BUFFER);
    buffer.shrink_to_fit();
    buffer
}

/// Writes a piece of the request body while watching the connection for
/// an answer: a server may refuse a request (a 403, a 413) before it reads
/// the body, and may then stop reading. Returns 0 once all of `bytes` went
/// out, or how many bytes of an early answer are now at the start of
/// `buffer` (the rest of the body is then not sent).
async fn write_watching(
    connection: &mut Connection,
    bytes: &[u8],
    buffer: &mut [u8],
) -> Result<usize, Failure> {
    let stream = &mut connection.stream;
    let mut at = 0;
    // The socket is asked for an answer only when a write must wait (a body
    // that goes out at once costs nothing more); interim answers alone are
    // skipped and the body goes on.
    std::future::poll_fn(|cx| {
        loop {
            let rest = bytes.get(at..).unwrap_or_default();
            if rest.is_empty() {
                return Poll::Ready(Ok(0));
            }
            match Pin::new(&mut *stream).poll_write(cx, rest) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(Failure::early("write zero"))),
                Poll::Ready(Ok(n)) => at += n,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(Failure::early(error))),
                Poll::Pending => match Pin::new(&mut *stream).poll_read(cx, buffer) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok(0)) => return Poll::Ready(Err(Failure::early("closed"))),
                    Poll::Ready(Ok(n)) if interim_only(buffer.get(..n).unwrap_or_default()) => {}
                    Poll::Ready(Ok(n)) => return Poll::Ready(Ok(n)),
                    Poll::Ready(Err(error)) => return Poll::Ready(Err(Failure::early(error))),
                },
            }
        }
    })
    .await
}

/// True when `bytes` are whole interim (1xx but 101) answers and nothing else.
fn interim_only(mut bytes: &[u8]) -> bool {
    while let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
        let code = bytes.get(9..12).unwrap_or_default();
        if !bytes.starts_with(b"HTTP/1.") || code.first() != Some(&b'1') || code == b"101" {
            return false;
        }
        bytes = bytes.get(end + 4..).unwrap_or_default();
    }
    bytes.is_empty()
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
    framing: Framing,
    buffer: Vec<u8>,
    start: usize,
    end: usize,
    home: (Arc<Pool>, Origin),
}

/// How the body's end is known.
enum Framing {
    /// `Content-Length`: `left` bytes still to come, handed over as they
    /// arrive with one copy; the connection is reused after when `reusable`.
    Length { left: u64, reusable: bool },
    /// Chunked, or to the connection's close: decoded by `ureq-proto`.
    Decoded {
        call: Box<Call<RecvBody>>,
        close_delimited: bool,
    },
    /// Ended, or broken.
    Done,
}

impl std::fmt::Debug for WireBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireBody")
            .field("buffered", &(self.end - self.start))
            .field("ended", &matches!(self.framing, Framing::Done))
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
            let buffered = self.buffer.get(self.start..self.end).unwrap_or_default();
            match &mut self.framing {
                Framing::Done => return Poll::Ready(None),
                Framing::Length { left: 0, .. } => {
                    self.finish();
                    return Poll::Ready(None);
                }
                Framing::Length { left, .. } => {
                    if !buffered.is_empty() {
                        let take = buffered
                            .len()
                            .min(usize::try_from(*left).unwrap_or(usize::MAX));
                        let chunk =
                            Bytes::copy_from_slice(buffered.get(..take).unwrap_or_default());
                        self.start += take;
                        *left -= take as u64;
                        return Poll::Ready(Some(Ok(chunk)));
                    }
                }
                Framing::Decoded {
                    call,
                    close_delimited,
                } => {
                    if !buffered.is_empty() {
                        let mut output = vec![0u8; buffered.len()];
                        let (used, produced) = match call.read(buffered, &mut output) {
                            Ok(counts) => counts,
                            Err(error) => return Poll::Ready(Some(Err(self.broken(error)))),
                        };
                        self.start += used;
                        if produced > 0 {
                            output.truncate(produced);
                            return Poll::Ready(Some(Ok(Bytes::from(output))));
                        }
                        if used > 0 {
                            continue;
                        }
                    }
                    if call.can_proceed() && !*close_delimited {
                        self.finish();
                        return Poll::Ready(None);
                    }
                }
            }
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
            } else if self.start > 0 {
                self.buffer.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            let Some(connection) = self.connection.as_mut() else {
                return Poll::Ready(None);
            };
            let room = self.buffer.get_mut(self.end..).unwrap_or_default();
            match Pin::new(&mut connection.stream).poll_read(cx, room) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => {
                    let closed_at_end = matches!(
                        self.framing,
                        Framing::Decoded {
                            close_delimited: true,
                            ..
                        }
                    );
                    self.framing = Framing::Done;
                    self.connection = None;
                    if closed_at_end {
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(Err(NetworkError::StreamInterrupted(
                        "the connection closed before the body ended".into(),
                    ))));
                }
                Poll::Ready(Ok(n)) => self.end += n,
                Poll::Ready(Err(error)) => return Poll::Ready(Some(Err(self.broken(error)))),
            }
        }
    }

    /// Ends the body: its connection goes back to the pool when reusable.
    fn finish(&mut self) {
        let framing = std::mem::replace(&mut self.framing, Framing::Done);
        let Some(mut connection) = self.connection.take() else {
            return;
        };
        let reusable = match framing {
            Framing::Length { left, reusable } => left == 0 && reusable,
            Framing::Decoded { call, .. } => matches!(
                (*call).proceed(),
                Some(RecvBodyResult::Cleanup(cleanup)) if !cleanup.must_close_connection()
            ),
            Framing::Done => false,
        };
        if reusable && self.start == self.end {
            let (pool, origin) = &self.home;
            connection.buffer = kept(std::mem::take(&mut self.buffer));
            pool.put(origin.clone(), connection, Instant::now());
        }
    }

    fn broken(&mut self, error: impl std::fmt::Display) -> NetworkError {
        self.framing = Framing::Done;
        self.connection = None;
        NetworkError::StreamInterrupted(error.to_string())
    }
}
