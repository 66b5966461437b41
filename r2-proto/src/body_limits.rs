//! How much of an answer's body is read and how long it may take, decided
//! once for every driver: the limits ([`ReadLimits`], part of the
//! [`Config`](crate::Config)), the deadlines of one body as it arrives
//! ([`ReadWatch`]), and a body read whole into memory ([`WholeBody`]).
//!
//! A driver asks the watch when to give up waiting
//! ([`deadline`](ReadWatch::deadline)), tells it what arrived
//! ([`arrived`](ReadWatch::arrived)) or that the deadline passed
//! ([`waited`](ReadWatch::waited)), and stops with the error it returns.
//! No body can hold a request open for ever: a body that sends nothing for
//! [`idle`](ReadLimits::idle), or fewer than
//! [`LowSpeed::min_bytes`] in any [`LowSpeed::window`], fails with
//! [`NetworkError::Timeout`] (retried like any stall), and a body read whole
//! is never larger than [`max_body`](ReadLimits::max_body).

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Request, StatusCode};

use crate::error::{NetworkError, R2Error};
use crate::model::{BodyCheck, broken_off, declared_length};
use crate::ops::{OperationName, RequestInfo};

/// The most bytes an answer's head may take, the interim (1xx) answers
/// before it included (they are skipped): past it the request fails with
/// [`NetworkError::HeadTooLarge`]. Every transport enforces it.
pub const MAX_RESPONSE_HEAD: usize = 64 << 10;
/// Default for [`ReadLimits::max_body`]: 16 MiB, far above any XML answer
/// R2 sends (a 1,000-key listing of 1 KiB keys is about 1.5 MiB).
pub const DEFAULT_MAX_BODY: u64 = 16 << 20;
/// Default for [`ReadLimits::max_error_body`]: 64 KiB.
pub const DEFAULT_MAX_ERROR_BODY: u64 = 64 << 10;
/// Default low-speed limit: at least 32 KiB in every 30 s (about 1 KiB/s).
pub const DEFAULT_LOW_SPEED: LowSpeed = LowSpeed {
    min_bytes: 32 << 10,
    window: Duration::from_secs(30),
};

/// A body slower than `min_bytes` in any `window` (counted from the
/// body's start, window after window) has stalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LowSpeed {
    /// Bytes that must arrive in each window; 0 turns the limit off.
    pub min_bytes: u64,
    /// The window (more than zero).
    pub window: Duration,
}

/// The limits on every answer's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// The longest wait for the next byte (the client's timeout).
    pub idle: Duration,
    /// The least speed a body may arrive at.
    pub low_speed: LowSpeed,
    /// The most bytes of a success body read whole (XML answers, and a
    /// whole-object GET without a `Content-Length`); past it the request
    /// fails with [`NetworkError::BodyTooLarge`].
    pub max_body: u64,
    /// The most bytes of an error body read; the rest is left unread (the
    /// connection is closed) and the error is read from what came.
    pub max_error_body: u64,
}

impl ReadLimits {
    /// The limits `request` carries (the core's signer attaches its call's
    /// limits to every request), else these.
    pub fn of_request<B>(&self, request: &Request<B>) -> ReadLimits {
        request.extensions().get().copied().unwrap_or(*self)
    }

    /// The time `request` allows to connect, for the answer's head and
    /// between two pieces of a body: its limits' `idle`, else `default`.
    pub fn timeout_of<B>(request: &Request<B>, default: Duration) -> Duration {
        request
            .extensions()
            .get::<ReadLimits>()
            .map_or(default, |limits| limits.idle)
    }

    /// The defaults, with `idle` as the wait for the next byte.
    pub fn new(idle: Duration) -> Self {
        Self {
            idle,
            low_speed: DEFAULT_LOW_SPEED,
            max_body: DEFAULT_MAX_BODY,
            max_error_body: DEFAULT_MAX_ERROR_BODY,
        }
    }
}

/// The deadlines of one body as it arrives.
#[derive(Debug, Clone)]
pub struct ReadWatch {
    idle: Duration,
    low_speed: LowSpeed,
    last: Instant,
    /// The end of the current low-speed window, when the limit is on.
    window_end: Option<Instant>,
    in_window: u64,
    /// Since when the caller holds the last piece, if they do.
    paused_at: Option<Instant>,
}

impl ReadWatch {
    /// The watch of a body whose head arrived at `now`.
    pub fn start(limits: &ReadLimits, now: Instant) -> Self {
        let low_speed = limits.low_speed;
        let on = low_speed.min_bytes > 0 && !low_speed.window.is_zero();
        Self {
            idle: limits.idle,
            low_speed,
            last: now,
            window_end: on.then(|| now + low_speed.window),
            in_window: 0,
            paused_at: None,
        }
    }

    /// The driver handed a piece on to a caller who reads at their own
    /// pace (a streamed GET): the time until [`resumed`](Self::resumed)
    /// is not the server's and does not count.
    pub fn paused(&mut self, now: Instant) {
        self.paused_at = Some(now);
    }

    /// The caller asked for more, at `now`, after [`paused`](Self::paused).
    pub fn resumed(&mut self, now: Instant) {
        if let Some(since) = self.paused_at.take() {
            let pause = now.saturating_duration_since(since);
            self.last += pause;
            self.window_end = self.window_end.map(|end| end + pause);
        }
    }

    /// When to stop waiting if nothing arrives: the idle deadline, or the
    /// end of the low-speed window, whichever comes first.
    pub fn deadline(&self) -> Instant {
        let idle = self.last + self.idle;
        self.window_end.map_or(idle, |end| end.min(idle))
    }

    /// `n` bytes arrived at `now`. `Err` when the windows that ended
    /// before them were too slow.
    pub fn arrived(&mut self, n: usize, now: Instant) -> Result<(), NetworkError> {
        self.close_windows(now)?;
        self.in_window += n as u64;
        self.last = now;
        Ok(())
    }

    /// The [`deadline`](Self::deadline) passed with nothing new. `Err` when
    /// the body idled too long or was too slow; `Ok` to wait again, until
    /// the new deadline.
    pub fn waited(&mut self, now: Instant) -> Result<(), NetworkError> {
        if now >= self.last + self.idle {
            return Err(NetworkError::Timeout(self.idle));
        }
        self.close_windows(now)
    }

    /// Closes every window that ended by `now`, each one checked.
    fn close_windows(&mut self, now: Instant) -> Result<(), NetworkError> {
        while let Some(end) = self.window_end
            && now >= end
        {
            if self.in_window < self.low_speed.min_bytes {
                return Err(NetworkError::Timeout(self.low_speed.window));
            }
            self.in_window = 0;
            self.window_end = Some(end + self.low_speed.window);
        }
        Ok(())
    }
}

/// An answer's body read whole into memory, within its limits.
#[derive(Debug)]
pub struct WholeBody {
    /// The `Content-Length` the answer announced.
    declared: Option<u64>,
    /// The most bytes kept.
    limit: u64,
    /// An error body: past `limit` the rest is left unread, not refused.
    error_body: bool,
    /// A body that arrives in one piece is handed on without a copy.
    first: Option<Bytes>,
    joined: BytesMut,
    received: u64,
    watch: ReadWatch,
}

impl WholeBody {
    /// The body of the answer to `request` whose `head` arrived at `now`,
    /// within the limits `request` carries (else `limits`).
    /// A success body may take [`max_body`](ReadLimits::max_body) bytes (a whole-object GET: its
    /// `Content-Length`, however large: the caller asked for the object in
    /// memory); one that announces more fails at once, unread. An error body
    /// keeps at most [`max_error_body`](ReadLimits::max_error_body).
    pub fn answer<B>(
        limits: &ReadLimits,
        request: &Request<B>,
        head: &http::response::Parts,
        now: Instant,
    ) -> Result<Self, NetworkError> {
        let limits = &limits.of_request(request);
        let headers = &head.headers;
        if !head.status.is_success() {
            return Ok(Self::error(limits, headers, now));
        }
        // An answer to HEAD, and a 204, has no body: its Content-Length is
        // the object's, not the body's.
        if request.method() == http::Method::HEAD || head.status == http::StatusCode::NO_CONTENT {
            let mut empty = Self::new(limits, 0, false, headers, now);
            empty.declared = Some(0);
            return Ok(empty);
        }
        let declared = declared_length(headers);
        let object =
            RequestInfo::of(request).is_some_and(|info| info.operation == OperationName::GetObject);
        let limit = match (object, declared) {
            (true, Some(declared)) => declared,
            _ => limits.max_body,
        };
        if declared.is_some_and(|declared| declared > limit) {
            return Err(NetworkError::BodyTooLarge { limit });
        }
        Ok(Self::new(limits, limit, false, headers, now))
    }

    /// An error body whose head arrived at `now`: at most
    /// [`max_error_body`](ReadLimits::max_error_body) bytes are kept.
    pub fn error(limits: &ReadLimits, headers: &HeaderMap, now: Instant) -> Self {
        Self::new(limits, limits.max_error_body, true, headers, now)
    }

    fn new(
        limits: &ReadLimits,
        limit: u64,
        error_body: bool,
        headers: &HeaderMap,
        now: Instant,
    ) -> Self {
        Self {
            declared: declared_length(headers),
            limit,
            error_body,
            first: None,
            joined: BytesMut::new(),
            received: 0,
            watch: ReadWatch::start(limits, now),
        }
    }

    /// When to stop waiting for the next piece (see [`ReadWatch::deadline`]).
    pub fn deadline(&self) -> Instant {
        self.watch.deadline()
    }

    /// The size of read buffer worth having for this body, for a driver
    /// that reads into one of its own: `max`, or less when the body
    /// announced less (a small answer needs no large, zeroed buffer).
    pub fn buffer_size(&self, max: usize) -> usize {
        let declared = self.declared.unwrap_or(u64::MAX);
        let left = declared.min(self.limit).saturating_sub(self.received);
        usize::try_from(left)
            .unwrap_or(usize::MAX)
            .clamp(1, max.max(1))
    }

    /// The deadline passed with nothing new (see [`ReadWatch::waited`]).
    pub fn waited(&mut self, now: Instant) -> Result<(), NetworkError> {
        self.watch.waited(now)
    }

    /// Takes the next piece, arrived at `now`. `Ok(true)`: read on;
    /// `Ok(false)`: an error body has all it may keep, stop reading (and
    /// close the connection); `Err`: the body is too large or too slow.
    pub fn take(&mut self, mut chunk: Bytes, now: Instant) -> Result<bool, NetworkError> {
        self.watch.arrived(chunk.len(), now)?;
        let room = self.limit - self.received;
        if chunk.len() as u64 > room {
            if !self.error_body {
                return Err(NetworkError::BodyTooLarge { limit: self.limit });
            }
            chunk.truncate(usize::try_from(room).unwrap_or(usize::MAX));
        }
        self.received += chunk.len() as u64;
        match self.first.take() {
            None if self.joined.is_empty() => self.first = Some(chunk),
            None => self.joined.extend_from_slice(&chunk),
            Some(previous) => {
                self.joined.reserve(previous.len() + chunk.len());
                self.joined.extend_from_slice(&previous);
                self.joined.extend_from_slice(&chunk);
            }
        }
        Ok(!self.error_body || self.received < self.limit)
    }

    /// [`take`](Self::take) for a driver that reads into a buffer of its
    /// own: the bytes are copied once, into the body.
    pub fn take_slice(&mut self, piece: &[u8], now: Instant) -> Result<bool, NetworkError> {
        self.watch.arrived(piece.len(), now)?;
        let room = usize::try_from(self.limit - self.received).unwrap_or(usize::MAX);
        if piece.len() > room && !self.error_body {
            return Err(NetworkError::BodyTooLarge { limit: self.limit });
        }
        let piece = piece.get(..room.min(piece.len())).unwrap_or_default();
        self.received += piece.len() as u64;
        if let Some(first) = self.first.take() {
            self.joined.extend_from_slice(&first);
        }
        self.joined.extend_from_slice(piece);
        Ok(!self.error_body || self.received < self.limit)
    }

    /// The body ended (or an error body reached its limit): its bytes.
    pub fn ended(self) -> Bytes {
        self.first.unwrap_or_else(|| self.joined.freeze())
    }

    /// The body broke off with the transport's `error`: the bytes that came,
    /// when the operation is to judge them (a body cut short of its
    /// `Content-Length`, as [`broken_body`](crate::model::broken_body)
    /// decides), else the error; a stall always stays a timeout.
    pub fn broke(self, error: NetworkError) -> Result<Bytes, NetworkError> {
        broken_off(self.declared, self.received, error)?;
        Ok(self.ended())
    }
}

/// A [`BodyCheck`] over a body handed on to the caller as it arrives, with
/// its deadlines: the stream is over once it ended (and was verified) or
/// first failed, and gives nothing more after that.
#[derive(Debug)]
pub struct StreamCheck {
    check: Option<BodyCheck>,
    watch: ReadWatch,
}

impl StreamCheck {
    /// The checks and deadlines of a response whose head (`status`,
    /// `headers`) arrived at `now`.
    pub fn for_response(
        limits: &ReadLimits,
        status: StatusCode,
        headers: &HeaderMap,
        now: Instant,
    ) -> Self {
        Self {
            check: Some(BodyCheck::for_response(status, headers)),
            watch: ReadWatch::start(limits, now),
        }
    }

    /// True once the stream ended or failed.
    pub fn is_over(&self) -> bool {
        self.check.is_none()
    }

    /// When to stop waiting for the next piece (see [`ReadWatch::deadline`]).
    pub fn deadline(&self) -> Instant {
        self.watch.deadline()
    }

    /// The caller asked for the next piece at `now` (the time they held
    /// the last one does not count against the server).
    pub fn resumed(&mut self, now: Instant) {
        self.watch.resumed(now);
    }

    /// A piece of the body arrived at `now` and goes to the caller. `Err`
    /// when the body came too slowly: the stream is over.
    pub fn passed(&mut self, chunk: &[u8], now: Instant) -> Result<(), R2Error> {
        if let Err(error) = self.watch.arrived(chunk.len(), now) {
            return Err(self.broke(error));
        }
        self.watch.paused(now);
        if let Some(check) = self.check.as_mut() {
            check.update(chunk);
        }
        Ok(())
    }

    /// The [`deadline`](Self::deadline) passed with nothing new. `Err` when
    /// the body stalled (the stream is over); `Ok` to wait again.
    pub fn waited(&mut self, now: Instant) -> Result<(), R2Error> {
        self.watch.waited(now).map_err(|error| self.broke(error))
    }

    /// The body ended: every byte announced arrived and every digest
    /// matches (`Ok` too when the stream was already over).
    pub fn ended(&mut self) -> Result<(), R2Error> {
        self.check
            .take()
            .map_or(Ok(()), |check| Ok(check.finish()?))
    }

    /// The body broke off with the transport's `error` (a stall, a reset):
    /// the error the caller gets, and the stream is over.
    pub fn broke(&mut self, error: NetworkError) -> R2Error {
        match self.check.take() {
            Some(check) => check.broken(error),
            None => error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{GetObject, ListObjectsV2, Operation};
    use crate::{BucketName, Endpoint, ObjectKey};

    fn limits() -> ReadLimits {
        ReadLimits {
            idle: Duration::from_secs(10),
            low_speed: LowSpeed {
                min_bytes: 100,
                window: Duration::from_secs(4),
            },
            max_body: 1000,
            max_error_body: 50,
        }
    }

    fn signed(prepared: &crate::ops::PreparedRequest) -> Request<()> {
        let credentials = crate::Credentials::new("AKID", "secret").unwrap();
        let signer = crate::Signer::new(credentials);
        let request = prepared.sign(&signer, time::OffsetDateTime::UNIX_EPOCH);
        request.unwrap().map(|_| ())
    }

    fn list() -> Request<()> {
        let endpoint = Endpoint::parse("http://127.0.0.1:9000").unwrap();
        let bucket = BucketName::new("bkt").unwrap();
        signed(&ListObjectsV2::new(bucket).to_request(&endpoint).unwrap())
    }

    fn get() -> Request<()> {
        let endpoint = Endpoint::parse("http://127.0.0.1:9000").unwrap();
        let (bucket, key) = (
            BucketName::new("bkt").unwrap(),
            ObjectKey::new("k").unwrap(),
        );
        signed(&GetObject::new(bucket, key).to_request(&endpoint).unwrap())
    }

    fn head(status: StatusCode, headers: HeaderMap) -> http::response::Parts {
        let (mut parts, ()) = http::Response::new(()).into_parts();
        parts.status = status;
        parts.headers = headers;
        parts
    }

    fn length(n: u64) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_LENGTH, n.into());
        headers
    }

    #[test]
    fn a_head_answer_has_no_body_whatever_its_length_says() {
        let endpoint = Endpoint::parse("http://127.0.0.1:9000").unwrap();
        let (bucket, key) = (
            BucketName::new("bkt").unwrap(),
            ObjectKey::new("k").unwrap(),
        );
        let request = signed(
            &crate::ops::HeadObject::new(bucket, key)
                .to_request(&endpoint)
                .unwrap(),
        );
        let mut headers = HeaderMap::new();
        headers.insert(http::header::CONTENT_LENGTH, "17825795".parse().unwrap());
        let whole = WholeBody::answer(
            &limits(),
            &request,
            &head(StatusCode::OK, headers),
            Instant::now(),
        )
        .expect("a large object's HEAD is no body over the limit");
        assert_eq!(whole.buffer_size(64 << 10), 1);
        assert!(whole.ended().is_empty());
    }

    #[test]
    fn a_body_that_idles_or_trickles_times_out() {
        let start = Instant::now();
        let mut watch = ReadWatch::start(&limits(), start);
        assert_eq!(watch.deadline(), start + Duration::from_secs(4));
        watch.arrived(150, start + Duration::from_secs(1)).unwrap();
        // The first window had enough; the second starts at 4 s.
        watch.waited(start + Duration::from_secs(4)).unwrap();
        assert_eq!(watch.deadline(), start + Duration::from_secs(8));
        watch.arrived(60, start + Duration::from_secs(5)).unwrap();
        let slow = watch.arrived(1, start + Duration::from_secs(8));
        assert_eq!(slow, Err(NetworkError::Timeout(Duration::from_secs(4))));

        let off = ReadLimits {
            low_speed: LowSpeed {
                min_bytes: 0,
                window: Duration::from_secs(1),
            },
            ..limits()
        };
        let mut watch = ReadWatch::start(&off, start);
        assert_eq!(watch.deadline(), start + Duration::from_secs(10));
        watch.arrived(1, start + Duration::from_secs(9)).unwrap();
        watch.waited(start + Duration::from_secs(12)).unwrap();
        let idle = watch.waited(start + Duration::from_secs(19));
        assert_eq!(idle, Err(NetworkError::Timeout(Duration::from_secs(10))));
    }

    #[test]
    fn a_success_body_past_its_limit_fails_and_an_error_body_is_cut() {
        let now = Instant::now();
        let announced =
            WholeBody::answer(&limits(), &list(), &head(StatusCode::OK, length(2000)), now);
        assert_eq!(
            announced.unwrap_err(),
            NetworkError::BodyTooLarge { limit: 1000 }
        );
        let mut chunked = WholeBody::answer(
            &limits(),
            &list(),
            &head(StatusCode::OK, HeaderMap::new()),
            now,
        )
        .unwrap();
        assert_eq!(chunked.take(Bytes::from(vec![b'a'; 600]), now), Ok(true));
        assert_eq!(
            chunked.take(Bytes::from(vec![b'a'; 600]), now),
            Err(NetworkError::BodyTooLarge { limit: 1000 })
        );

        let mut error = WholeBody::answer(
            &limits(),
            &list(),
            &head(StatusCode::FORBIDDEN, length(1 << 30)),
            now,
        )
        .unwrap();
        assert_eq!(error.take(Bytes::from_static(b"0123456789"), now), Ok(true));
        assert_eq!(error.take(Bytes::from(vec![b'x'; 100]), now), Ok(false));
        let kept = error.ended();
        assert_eq!(kept.len(), 50);
        assert!(kept.starts_with(b"0123456789xxx"));
    }

    #[test]
    fn a_whole_object_may_take_its_announced_length() {
        let now = Instant::now();
        let mut body =
            WholeBody::answer(&limits(), &get(), &head(StatusCode::OK, length(5000)), now).unwrap();
        assert_eq!(body.take(Bytes::from(vec![0; 3000]), now), Ok(true));
        assert_eq!(body.take(Bytes::from(vec![0; 2000]), now), Ok(true));
        assert_eq!(body.ended().len(), 5000);
        let unannounced = WholeBody::answer(
            &limits(),
            &get(),
            &head(StatusCode::OK, HeaderMap::new()),
            now,
        );
        let mut unannounced = unannounced.unwrap();
        assert!(unannounced.take(Bytes::from(vec![0; 1001]), now).is_err());
    }

    #[test]
    fn a_body_cut_short_goes_to_the_operation_and_one_piece_is_not_copied() {
        let now = Instant::now();
        let mut body =
            WholeBody::answer(&limits(), &list(), &head(StatusCode::OK, length(10)), now).unwrap();
        let piece = Bytes::from_static(b"abc");
        body.take(piece.clone(), now).unwrap();
        let reset = NetworkError::StreamInterrupted("reset".into());
        let kept = body.broke(reset).unwrap();
        assert_eq!(kept.as_ptr(), piece.as_ptr());
        let mut body =
            WholeBody::answer(&limits(), &list(), &head(StatusCode::OK, length(10)), now).unwrap();
        body.take(piece, now).unwrap();
        let stall = NetworkError::Timeout(Duration::from_secs(1));
        assert_eq!(body.broke(stall.clone()), Err(stall));
    }
}
