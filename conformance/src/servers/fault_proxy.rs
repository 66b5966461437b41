//! A fault-injecting HTTP/1.1 proxy on loopback, between a client and a
//! real server (the in-process s3s-fs, or moto): scripted per request, it
//! resets connections before or after the response head or mid-body,
//! stalls, answers S3 errors (500, 503 SlowDown with `Retry-After`, 503),
//! cuts a body short under its full `Content-Length`, flips a byte, answers
//! a 200 with an `<Error>` body, runs a hook before forwarding (to replace
//! an object behind the client's back), or plays a server whose clock is
//! off. Every request is logged with the time it arrived, so tests read
//! retry counts and backoff from the log.
//!
//! Requests are forwarded byte for byte (signatures stay valid), each on a
//! fresh upstream connection; the client's own connection is kept alive
//! unless a fault ends it. Responses are re-framed with an exact
//! `Content-Length`, so a fault can cut or corrupt them precisely.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// Which requests a rule applies to (every field that is set must hold).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Match {
    method: Option<String>,
    path_contains: Option<String>,
    query_contains: Option<String>,
}

impl Match {
    /// Every request.
    pub fn any() -> Self {
        Self::default()
    }

    /// Requests with this method.
    pub fn method(method: &str) -> Self {
        Self::any().and_method(method)
    }

    /// Also: this method.
    pub fn and_method(mut self, method: &str) -> Self {
        self.method = Some(method.to_owned());
        self
    }

    /// Also: the path contains `text`.
    pub fn and_path(mut self, text: &str) -> Self {
        self.path_contains = Some(text.to_owned());
        self
    }

    /// Also: the query contains `text` (`partNumber=2`, `uploads`, …).
    pub fn and_query(mut self, text: &str) -> Self {
        self.query_contains = Some(text.to_owned());
        self
    }

    fn matches(&self, method: &str, path: &str, query: &str) -> bool {
        self.method.as_deref().is_none_or(|m| m == method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
            && self
                .query_contains
                .as_deref()
                .is_none_or(|q| query.contains(q))
    }
}

/// What the proxy does to a matching request.
#[derive(Clone)]
pub enum Fault {
    /// Close the connection with a reset, without forwarding or answering.
    ResetBeforeHeaders,
    /// Forward the head and only half of the request body, then close both
    /// connections: the server sees a body cut short.
    CutRequestBody,
    /// Forward (the request takes effect), then reset before answering.
    ApplyThenReset,
    /// Forward, send the response head, then reset before the body.
    ResetAfterHeaders,
    /// Forward, send the head and half of the body, then reset.
    ResetMidBody,
    /// Wait this long, then forward and answer as usual.
    Stall(Duration),
    /// Answer this S3 error without forwarding.
    Error {
        /// The status.
        status: u16,
        /// The S3 code.
        code: &'static str,
        /// `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// Forward; send the head with the full `Content-Length` but only half
    /// of the body, then close.
    TruncateBody,
    /// Forward; send the head and half of the body, then send nothing for
    /// this long (the connection open) before closing it.
    StallMidBody(Duration),
    /// Answer this S3 error as soon as the request head is in, before
    /// reading any of its body (as R2 refuses a bad signature), then read
    /// and drop the rest of the body while the client sends it, and close.
    ErrorBeforeBody {
        /// The status.
        status: u16,
        /// The S3 code.
        code: &'static str,
    },
    /// Forward; flip one byte in the middle of the body.
    CorruptBody,
    /// Answer `200 OK` whose body is an S3 `<Error>`, without forwarding
    /// (as S3 may for CompleteMultipartUpload and CopyObject).
    OkWithError(&'static str),
    /// Run this, then forward and answer as usual.
    Before(Arc<dyn Fn() + Send + Sync>),
}

impl Fault {
    /// 500 InternalError.
    pub const INTERNAL_ERROR: Self = Self::Error {
        status: 500,
        code: "InternalError",
        retry_after: None,
    };
    /// 503 ServiceUnavailable.
    pub const SERVICE_UNAVAILABLE: Self = Self::Error {
        status: 503,
        code: "ServiceUnavailable",
        retry_after: None,
    };

    /// 503 SlowDown with `Retry-After: seconds`.
    pub fn slow_down(seconds: u64) -> Self {
        Self::Error {
            status: 503,
            code: "SlowDown",
            retry_after: Some(seconds),
        }
    }

    fn name(&self) -> String {
        match self {
            Self::ResetBeforeHeaders => "reset before headers".into(),
            Self::CutRequestBody => "request body cut".into(),
            Self::ApplyThenReset => "applied, then reset".into(),
            Self::ResetAfterHeaders => "reset after headers".into(),
            Self::ResetMidBody => "reset mid-body".into(),
            Self::Stall(by) => format!("stalled {by:?}"),
            Self::Error { status, code, .. } => format!("{status} {code}"),
            Self::TruncateBody => "body truncated".into(),
            Self::StallMidBody(by) => format!("stalled {by:?} mid-body"),
            Self::ErrorBeforeBody { status, code } => format!("{status} {code} before the body"),
            Self::CorruptBody => "body corrupted".into(),
            Self::OkWithError(code) => format!("200 with <Error> {code}"),
            Self::Before(_) => "hook, then forwarded".into(),
        }
    }
}

impl std::fmt::Debug for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// A rule: `fault` for the next `times` requests that match.
#[derive(Debug, Clone)]
struct Rule {
    matches: Match,
    fault: Fault,
    times: usize,
}

/// A request the proxy saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// When it arrived.
    pub at: Instant,
    /// Its method.
    pub method: String,
    /// Its path and query.
    pub target: String,
    /// The fault applied, if any (`"too skewed"` for a refused clock).
    pub fault: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    upstream: Option<SocketAddr>,
    rules: Mutex<Vec<Rule>>,
    log: Mutex<Vec<Seen>>,
    clock_ahead: Mutex<Option<Duration>>,
    open: AtomicUsize,
    most_open: AtomicUsize,
}

/// The running proxy; stops when dropped.
#[derive(Debug)]
pub struct FaultProxy {
    address: SocketAddr,
    state: Arc<State>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// A proxy on `127.0.0.1:0` in front of `upstream` (`http://host:port`).
    pub fn start(upstream: &str) -> io::Result<Self> {
        let authority = upstream
            .strip_prefix("http://")
            .unwrap_or(upstream)
            .trim_end_matches('/');
        let upstream: SocketAddr = authority.parse().map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidInput, format!("{authority}: {e}"))
        })?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let state = Arc::new(State {
            upstream: Some(upstream),
            ..State::default()
        });
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("fault-proxy".into())
                .spawn(move || {
                    for client in listener.incoming() {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let Ok(client) = client else { continue };
                        let state = Arc::clone(&state);
                        let _detached = std::thread::Builder::new()
                            .name("fault-proxy-connection".into())
                            .spawn(move || serve(&state, client));
                    }
                })?
        };
        Ok(Self {
            address,
            state,
            stop,
            accept: Some(accept),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Applies `fault` to the next `times` requests that match.
    pub fn inject(&self, matches: Match, fault: Fault, times: usize) {
        lock(&self.state.rules).push(Rule {
            matches,
            fault,
            times,
        });
    }

    /// Removes every rule not used up yet.
    pub fn clear(&self) {
        lock(&self.state.rules).clear();
    }

    /// Plays a server whose clock is `ahead` of this machine's: requests
    /// dated more than 15 minutes from it get `403 RequestTimeTooSkewed`
    /// with the server's time, as S3 answers.
    pub fn set_clock_ahead(&self, ahead: Option<Duration>) {
        *lock(&self.state.clock_ahead) = ahead;
    }

    /// Every request seen, in order.
    pub fn log(&self) -> Vec<Seen> {
        lock(&self.state.log).clone()
    }

    /// Forgets the log.
    pub fn clear_log(&self) {
        lock(&self.state.log).clear();
    }

    /// The most client connections open at once.
    pub fn most_connections_open(&self) -> usize {
        self.state.most_open.load(Ordering::Relaxed)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _wake = TcpStream::connect(self.address);
        if let Some(accept) = self.accept.take() {
            let _ignored = accept.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A request read off the client's connection.
struct Incoming {
    method: String,
    target: String,
    head: Vec<u8>,
    body: Vec<u8>,
    amz_date: Option<String>,
}

/// Serves one client connection until it closes or a fault ends it.
fn serve(state: &State, mut client: TcpStream) {
    let open = state.open.fetch_add(1, Ordering::Relaxed) + 1;
    state.most_open.fetch_max(open, Ordering::Relaxed);
    let _ignored = client.set_nodelay(true);
    let mut pending = Vec::new();
    while let Ok(Some(request)) = read_request(state, &mut client, &mut pending) {
        if !answer(state, &mut client, request) {
            break;
        }
    }
    state.open.fetch_sub(1, Ordering::Relaxed);
}

/// Reads one request (head and `Content-Length` body); `None` at a clean
/// end, or once an [`Fault::ErrorBeforeBody`] has answered it.
fn read_request(
    state: &State,
    client: &mut TcpStream,
    pending: &mut Vec<u8>,
) -> io::Result<Option<Incoming>> {
    let mut chunk = [0u8; 64 << 10];
    let head_end = loop {
        if let Some(at) = find(pending, b"\r\n\r\n") {
            break at + 4;
        }
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        pending.extend_from_slice(chunk.get(..n).unwrap_or_default());
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    parsed
        .parse(pending.get(..head_end).unwrap_or_default())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let method = parsed.method.unwrap_or("GET").to_owned();
    let target = parsed.path.unwrap_or("/").to_owned();
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).into_owned())
    };
    let length: usize = header("content-length")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let amz_date = header("x-amz-date");
    if let Some(response) = refuse_before_body(state, &method, &target) {
        client.write_all(&response)?;
        lingering_close(client, length.saturating_sub(pending.len() - head_end));
        return Ok(None);
    }
    while pending.len() < head_end + length {
        let n = client.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        pending.extend_from_slice(chunk.get(..n).unwrap_or_default());
    }
    let rest = pending.split_off(head_end + length);
    let body = pending.split_off(head_end);
    let head = std::mem::replace(pending, rest);
    Ok(Some(Incoming {
        method,
        target,
        head,
        body,
        amz_date,
    }))
}

/// The error a matching [`Fault::ErrorBeforeBody`] rule answers with, the
/// request logged as seen.
fn refuse_before_body(state: &State, method: &str, target: &str) -> Option<Vec<u8>> {
    let fault = take_fault(state, method, target, |f| {
        matches!(f, Fault::ErrorBeforeBody { .. })
    })?;
    let Fault::ErrorBeforeBody { status, code } = fault else {
        return None;
    };
    lock(&state.log).push(Seen {
        at: Instant::now(),
        method: method.to_owned(),
        target: target.to_owned(),
        fault: Some(fault.name()),
    });
    Some(error_response(status, code, "connection: close\r\n"))
}

/// Stops sending, then reads and drops up to `left` bytes the client is
/// still sending (for at most a few seconds), so that the answer is not
/// lost to a reset, as servers do before closing a connection whose
/// request they refused.
fn lingering_close(client: &mut TcpStream, mut left: usize) {
    let _flushed = client.flush();
    let _half = client.shutdown(Shutdown::Write);
    let _timeout = client.set_read_timeout(Some(Duration::from_secs(3)));
    let mut chunk = [0u8; 64 << 10];
    while left > 0 {
        match client.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
    let _closed = client.shutdown(Shutdown::Both);
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The first rule for this request whose fault `wanted` accepts, used up
/// by one.
fn take_fault(
    state: &State,
    method: &str,
    target: &str,
    wanted: impl Fn(&Fault) -> bool,
) -> Option<Fault> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut rules = lock(&state.rules);
    let rule = rules
        .iter_mut()
        .find(|r| r.times > 0 && wanted(&r.fault) && r.matches.matches(method, path, query))?;
    rule.times -= 1;
    Some(rule.fault.clone())
}

/// Handles one request; false when the client connection must end.
fn answer(state: &State, client: &mut TcpStream, request: Incoming) -> bool {
    let skewed = skew_refusal(state, request.amz_date.as_deref());
    let fault = if skewed.is_some() {
        None
    } else {
        take_fault(state, &request.method, &request.target, |_| true)
    };
    lock(&state.log).push(Seen {
        at: Instant::now(),
        method: request.method.clone(),
        target: request.target.clone(),
        fault: skewed
            .as_ref()
            .map(|_| "too skewed".to_owned())
            .or_else(|| fault.as_ref().map(Fault::name)),
    });
    if let Some(refusal) = skewed {
        return client.write_all(&refusal).is_ok();
    }
    match &fault {
        Some(Fault::ResetBeforeHeaders) => return reset(client),
        Some(Fault::CutRequestBody) => {
            cut_upstream(state, &request);
            return reset(client);
        }
        Some(Fault::Error {
            status,
            code,
            retry_after,
        }) => {
            let extra = retry_after.map(|s| format!("retry-after: {s}\r\n"));
            let response = error_response(*status, code, extra.as_deref().unwrap_or(""));
            return client.write_all(&response).is_ok();
        }
        Some(Fault::OkWithError(code)) => {
            let response = error_response(200, code, "");
            return client.write_all(&response).is_ok();
        }
        Some(Fault::Stall(by)) => std::thread::sleep(*by),
        Some(Fault::Before(hook)) => hook(),
        _ => {}
    }
    let Some((head, body)) = forward(state, &request) else {
        return reset(client);
    };
    let head_only = request.method == "HEAD";
    match fault {
        Some(Fault::ApplyThenReset) => reset(client),
        Some(Fault::ResetAfterHeaders) => {
            let _sent = client.write_all(&reframe(&head, body.len(), head_only));
            reset(client)
        }
        Some(Fault::ResetMidBody) => {
            let _sent = client.write_all(&reframe(&head, body.len(), head_only));
            let _half = client.write_all(body.get(..body.len() / 2).unwrap_or_default());
            reset(client)
        }
        Some(Fault::StallMidBody(by)) => {
            let _sent = client.write_all(&reframe(&head, body.len(), head_only));
            let _half = client.write_all(body.get(..body.len() / 2).unwrap_or_default());
            let _ignored = client.flush();
            std::thread::sleep(by);
            reset(client)
        }
        Some(Fault::TruncateBody) => {
            let _sent = client.write_all(&reframe(&head, body.len(), head_only));
            let _half = client.write_all(body.get(..body.len() / 2).unwrap_or_default());
            let _ignored = client.flush();
            let _closed = client.shutdown(Shutdown::Both);
            false
        }
        Some(Fault::CorruptBody) => {
            let mut body = body;
            let middle = body.len() / 2;
            if let Some(byte) = body.get_mut(middle) {
                *byte ^= 0x01;
            }
            write_response(client, &head, &body, head_only)
        }
        _ => write_response(client, &head, &body, head_only),
    }
}

fn write_response(client: &mut TcpStream, head: &[u8], body: &[u8], head_only: bool) -> bool {
    let mut response = reframe(head, body.len(), head_only);
    if !head_only {
        response.extend_from_slice(body);
    }
    client.write_all(&response).is_ok()
}

/// Ends the connection with a TCP reset.
fn reset(client: &TcpStream) -> bool {
    let _linger = socket2::SockRef::from(client).set_linger(Some(Duration::ZERO));
    let _closed = client.shutdown(Shutdown::Both);
    false
}

/// Sends the request upstream on a fresh connection and reads the whole
/// answer: its status line and headers, and its body (de-chunked).
fn forward(state: &State, request: &Incoming) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut upstream = TcpStream::connect(state.upstream?).ok()?;
    let head = request.head.strip_suffix(b"\r\n\r\n")?;
    upstream.write_all(head).ok()?;
    upstream.write_all(b"\r\nconnection: close\r\n\r\n").ok()?;
    upstream.write_all(&request.body).ok()?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).ok()?;
    let head_end = find(&answer, b"\r\n\r\n")? + 4;
    let body = answer.split_off(head_end);
    let chunked = header_value(&answer, "transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let body = if chunked { dechunk(&body)? } else { body };
    Some((answer, body))
}

/// Sends the head and half the body upstream, then hangs up on it.
fn cut_upstream(state: &State, request: &Incoming) {
    let Some(upstream) = state.upstream else {
        return;
    };
    let Ok(mut upstream) = TcpStream::connect(upstream) else {
        return;
    };
    let half = request
        .body
        .get(..request.body.len() / 2)
        .unwrap_or_default();
    let _head = upstream.write_all(&request.head);
    let _half = upstream.write_all(half);
    let _ignored = upstream.flush();
    std::thread::sleep(Duration::from_millis(50));
    let _linger = socket2::SockRef::from(&upstream).set_linger(Some(Duration::ZERO));
    let _closed = upstream.shutdown(Shutdown::Both);
}

fn header_value(head: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(head);
    text.lines().skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(body, b"\r\n")?;
        let size_text = String::from_utf8_lossy(body.get(..line_end)?).into_owned();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = body.get(line_end + 2..)?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

/// The response head with the framing set to `length` bytes and the
/// connection kept alive.
fn reframe(head: &[u8], length: usize, head_only: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut out = String::new();
    for (index, line) in text.split("\r\n").enumerate() {
        if line.is_empty() {
            continue;
        }
        if index > 0 {
            let name = line
                .split(':')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let framing = name == "transfer-encoding" || name == "connection";
            if framing || (name == "content-length" && !head_only) {
                continue;
            }
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    if !head_only {
        out.push_str(&format!("content-length: {length}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// An S3 error response with `extra` header lines.
fn error_response(status: u16, code: &str, extra: &str) -> Vec<u8> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
         <Message>injected by the fault proxy</Message><RequestId>fault-proxy</RequestId></Error>"
    );
    format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/xml\r\nx-amz-request-id: fault-proxy\r\n{extra}content-length: {}\r\n\r\n{body}",
        reason(status),
        body.len()
    )
    .into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// The refusal of a server whose clock is ahead, when `amz_date` is more
/// than 15 minutes from it.
fn skew_refusal(state: &State, amz_date: Option<&str>) -> Option<Vec<u8>> {
    let ahead = (*lock(&state.clock_ahead))?;
    let server_now = OffsetDateTime::now_utc() + ahead;
    let sent = parse_amz_date(amz_date?)?;
    if (server_now - sent).abs() <= time::Duration::minutes(15) {
        return None;
    }
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>RequestTimeTooSkewed</Code>\
         <Message>The difference between the request time and the current time is too large.</Message>\
         <RequestTime>{}</RequestTime><ServerTime>{}</ServerTime>\
         <MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>",
        amz_date.unwrap_or(""),
        iso8601(server_now)
    );
    Some(
        format!(
            "HTTP/1.1 403 Forbidden\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

/// `20240501T123456Z`.
fn parse_amz_date(text: &str) -> Option<OffsetDateTime> {
    let digits = |range: std::ops::Range<usize>| -> Option<u32> { text.get(range)?.parse().ok() };
    let date = time::Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        time::Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?,
        u8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(digits(9..11)?).ok()?,
        u8::try_from(digits(11..13)?).ok()?,
        u8::try_from(digits(13..15)?).ok()?,
    )
    .ok()?;
    Some(time::PrimitiveDateTime::new(date, clock).assume_utc())
}

/// `2024-05-01T12:55:12Z`.
fn iso8601(at: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}
