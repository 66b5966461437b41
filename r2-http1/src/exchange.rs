//! One request on one connection: its head framed, its body counted as it
//! goes out, an early answer noticed, and the answer's head found (interim
//! answers skipped, the head's size bounded).

use std::fmt::Display;

use http::{Request, Response};
use r2_proto::MAX_RESPONSE_HEAD;
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;
use ureq_proto::BodyMode;
use ureq_proto::client::state::{RecvResponse, SendBody};
use ureq_proto::client::{Call, RecvResponseResult, SendRequestResult};

use crate::body::Body;

/// The buffer an exchange starts with: it takes the request head (S3
/// headers are a few KiB, metadata at most 8 KiB), then the bytes read for
/// the answer's head and small bodies.
pub const READ_BUFFER: usize = 32 << 10;
/// The buffer for bodies over 1 MiB, read this much at a time.
pub const LARGE_READ_BUFFER: usize = 256 << 10;
/// The longest request head framed (a line longer than the buffer grows it
/// up to this).
const MAX_REQUEST_HEAD: usize = 1 << 20;

/// A failed exchange, and whether it failed before any byte of an answer
/// arrived (so a reused keep-alive connection may simply have gone stale,
/// and the request may go once more on a new one).
#[derive(Debug)]
pub struct Failure {
    /// What went wrong.
    pub error: NetworkError,
    /// True when nothing of an answer had arrived.
    pub before_response: bool,
}

impl Failure {
    /// The connection failed before any answer.
    pub fn early(message: impl Display) -> Self {
        Self {
            error: NetworkError::ConnectionFailed(message.to_string()),
            before_response: true,
        }
    }

    /// `error`, after (part of) an answer arrived.
    pub fn late(error: NetworkError) -> Self {
        Self {
            error,
            before_response: false,
        }
    }
}

/// Frames `request`'s head into `buffer` (grown as needed), with `Host`
/// and, unless the request has one, `user_agent`. The transport writes
/// [`Sending::head`], then each piece of the body, counting it with
/// [`Sending::sent`].
pub fn start(
    request: &Request<RequestBody>,
    user_agent: &http::HeaderValue,
    mut buffer: Vec<u8>,
) -> Result<Sending, Failure> {
    let mut head = Request::new(());
    *head.method_mut() = request.method().clone();
    *head.uri_mut() = request.uri().clone();
    *head.headers_mut() = request.headers().clone();
    let host = r2_proto::signed_host(request.uri()).map_err(Failure::early)?;
    let host = http::HeaderValue::from_str(&host).map_err(Failure::early)?;
    head.headers_mut().insert(http::header::HOST, host);
    if !head.headers().contains_key(http::header::USER_AGENT) {
        head.headers_mut()
            .insert(http::header::USER_AGENT, user_agent.clone());
    }
    let mut call = Call::new(head).map_err(Failure::early)?.proceed();
    if buffer.len() < READ_BUFFER {
        buffer.resize(READ_BUFFER, 0);
    }
    let mut len = 0;
    while !call.can_proceed() {
        match call.write(buffer.get_mut(len..).unwrap_or_default()) {
            Ok(n) => len += n,
            Err(ureq_proto::Error::OutputOverflow) if buffer.len() < MAX_REQUEST_HEAD => {
                buffer.resize(buffer.len() * 2, 0);
            }
            Err(error) => return Err(Failure::early(error)),
        }
    }
    let (body, receiving) = match call.proceed().map_err(Failure::early)? {
        Some(SendRequestResult::SendBody(sending)) => (Some(sending), None),
        Some(SendRequestResult::RecvResponse(receiving)) => (None, Some(receiving)),
        Some(SendRequestResult::Await100(_)) | None => {
            return Err(Failure::early(
                "unexpected request state (Expect is never sent)",
            ));
        }
    };
    Ok(Sending {
        head_len: len,
        body,
        receiving,
        buffer,
        early: 0,
    })
}

/// A request on its way out.
pub struct Sending {
    head_len: usize,
    body: Option<Call<SendBody>>,
    receiving: Option<Call<RecvResponse>>,
    buffer: Vec<u8>,
    early: usize,
}

impl std::fmt::Debug for Sending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sending")
            .field("answered_early", &self.early)
            .finish_non_exhaustive()
    }
}

impl Sending {
    /// The request head, to be written first.
    pub fn head(&self) -> &[u8] {
        self.buffer.get(..self.head_len).unwrap_or_default()
    }

    /// Whether an answer came before the body was all sent: the rest of
    /// the body is then counted ([`Sending::sent`]) but not written.
    pub fn answered_early(&self) -> bool {
        self.early > 0
    }

    /// Where bytes that arrive while the body goes out are read to (once
    /// the head is written).
    pub fn room(&mut self) -> &mut [u8] {
        &mut self.buffer
    }

    /// Takes the `n` bytes read into [`Sending::room`] while the body was
    /// going out. Interim answers alone (`100 Continue`) are skipped and
    /// the body goes on; anything else is the answer, and true is returned.
    pub fn arrived(&mut self, n: usize) -> bool {
        if n == 0 || interim_only(self.buffer.get(..n).unwrap_or_default()) {
            return false;
        }
        self.early = n;
        true
    }

    /// Counts `n` bytes of the body as sent.
    pub fn sent(&mut self, n: usize) -> Result<(), Failure> {
        match self.body.as_mut() {
            Some(body) => body.consume_direct_write(n).map_err(Failure::early),
            None if n == 0 => Ok(()),
            None => Err(Failure::early("a body on a request without Content-Length")),
        }
    }

    /// The whole body is counted: the answer comes next.
    pub fn finish(self) -> Result<Receiving, Failure> {
        let call = match (self.body, self.receiving) {
            (Some(body), _) => body
                .proceed()
                .ok_or_else(|| Failure::early("the body is shorter than its Content-Length"))?,
            (None, Some(receiving)) => receiving,
            (None, None) => return Err(Failure::early("no request state")),
        };
        Ok(Receiving {
            call,
            buffer: self.buffer,
            end: self.early,
            skipped: 0,
            early: self.early > 0,
        })
    }
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

/// A request sent, its answer's head still to come.
pub struct Receiving {
    call: Call<RecvResponse>,
    buffer: Vec<u8>,
    end: usize,
    skipped: usize,
    early: bool,
}

impl std::fmt::Debug for Receiving {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiving")
            .field("buffered", &self.end)
            .finish_non_exhaustive()
    }
}

/// The answer's head, and what follows it.
#[derive(Debug)]
pub struct Answer {
    /// Status and headers.
    pub head: Response<()>,
    /// The body, when the answer has one.
    pub body: Option<Body>,
    /// For an answer without a body: the buffer to keep with the
    /// connection, which may be reused (`None`: close it).
    pub reuse: Option<Vec<u8>>,
}

impl Receiving {
    /// Parses what has arrived: the answer once its head is whole (interim
    /// answers are consumed as they come), or `self` to read more into
    /// [`Receiving::room`].
    pub fn parse(mut self) -> Result<Result<Answer, Self>, Failure> {
        loop {
            let input = self.buffer.get(..self.end).unwrap_or_default();
            let (used, response) = self
                .call
                .try_response(input, false)
                .map_err(|e| Failure::late(NetworkError::ConnectionFailed(e.to_string())))?;
            if let Some(head) = response {
                return Ok(Ok(self.answer(head, used)));
            }
            if used == 0 {
                return Ok(Err(self));
            }
            self.skipped += used;
            self.buffer.copy_within(used..self.end, 0);
            self.end -= used;
        }
    }

    /// Where the next bytes of the answer go; an answer whose head (with
    /// its interim answers) has reached [`MAX_RESPONSE_HEAD`] fails.
    pub fn room(&mut self) -> Result<&mut [u8], Failure> {
        if self.skipped + self.end >= MAX_RESPONSE_HEAD {
            let limit = MAX_RESPONSE_HEAD;
            return Err(Failure::late(NetworkError::HeadTooLarge { limit }));
        }
        if self.end == self.buffer.len() {
            self.buffer.resize(self.buffer.len() * 2, 0);
        }
        Ok(self.buffer.get_mut(self.end..).unwrap_or_default())
    }

    /// Takes `n` bytes read into [`Receiving::room`]; none means the
    /// server closed the connection before answering.
    pub fn filled(&mut self, n: usize) -> Result<(), Failure> {
        if n == 0 {
            return Err(self.failed("the server closed before answering"));
        }
        self.end += n;
        Ok(())
    }

    /// A read that failed while waiting for the head.
    pub fn failed(&self, why: impl Display) -> Failure {
        Failure {
            error: NetworkError::ConnectionFailed(why.to_string()),
            before_response: self.end == 0 && self.skipped == 0,
        }
    }

    fn answer(self, head: Response<()>, used: usize) -> Answer {
        let (buffer, end) = (self.buffer, self.end);
        match self.call.proceed() {
            Some(RecvResponseResult::RecvBody(receiving)) => {
                let reusable = !self.early && keeps_alive(&head);
                let body = match receiving.body_mode() {
                    BodyMode::LengthDelimited(left) => Body::length(left, reusable),
                    mode => Body::decoded(receiving, matches!(mode, BodyMode::CloseDelimited)),
                };
                let body = body.over(buffer, used, end);
                Answer {
                    head,
                    body: Some(body),
                    reuse: None,
                }
            }
            Some(RecvResponseResult::Cleanup(cleanup)) => {
                let reusable = !cleanup.must_close_connection() && used == end && !self.early;
                Answer {
                    head,
                    body: None,
                    reuse: reusable.then(|| kept(buffer)),
                }
            }
            Some(RecvResponseResult::Redirect(_)) | None => Answer {
                head,
                body: None,
                reuse: None,
            },
        }
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
pub(crate) fn kept(mut buffer: Vec<u8>) -> Vec<u8> {
    buffer.truncate(READ_BUFFER);
    buffer.shrink_to_fit();
    buffer
}
