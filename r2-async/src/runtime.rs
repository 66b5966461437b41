//! What a runtime gives the driver: one request sent and its head back, a
//! body read chunk by chunk, timers, a blocking pool for files, and the
//! caller's readers and writers. Everything else (what to send, when to
//! retry, how long to wait, which bytes to keep) is decided by the core
//! or, once for every runtime, by this crate.

use std::fmt::Debug;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;

/// A future that is `Send` and borrows for `'a`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An async runtime that the driver runs on: its HTTP/1.1 transport, its
/// timers and its blocking pool.
pub trait Runtime: Debug + Sized + Send + Sync + 'static {
    /// The pooled HTTP client.
    type Transport: Transport;
    /// A timer (its output is not used).
    type Timer: Future + Debug + Send + 'static;

    /// A timer firing at `deadline`.
    fn timer(deadline: Instant) -> Self::Timer;

    /// Moves `timer` to fire at `deadline`.
    fn reset(timer: Pin<&mut Self::Timer>, deadline: Instant);

    /// Runs `job` where blocking is allowed (the runtime's blocking
    /// pool), for file I/O; an error if the job could not finish.
    fn unblock<T: Send + 'static>(
        job: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = io::Result<T>> + Send;

    /// Runs `task` in the background, detached (the clean-up of a dropped
    /// upload). `false` when no runtime can take it here.
    fn spawn(task: impl Future<Output = ()> + Send + 'static) -> bool;
}

/// A pooled HTTP/1.1 client that sends what the core signed.
pub trait Transport: Debug + Send + Sync + Sized + 'static {
    /// A response body still on its connection, which it holds until the
    /// body is read to its end or dropped.
    type Body: ResponseBody;

    /// A client as `settings` say.
    fn connect(settings: TransportSettings) -> Result<Self, NetworkError>;

    /// The adapter's name and version, for the `User-Agent`
    /// (`"r2-tokio/0.1.0"`).
    const NAME: &'static str;

    /// Sends the signed request exactly as signed and returns once the
    /// response head is in.
    fn send<'a>(
        &'a self,
        request: &'a Request<RequestBody>,
    ) -> impl Future<Output = Result<Response<Self::Body>, NetworkError>> + Send + 'a;
}

/// What a transport is built with, the same for every runtime.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransportSettings {
    /// Connections at most.
    pub pool_size: usize,
    /// How long an idle connection is kept for reuse (zero: none is).
    pub pool_idle_timeout: Duration,
    /// Idle connections kept per host at most.
    pub pool_max_idle_per_host: usize,
    /// The longest wait to connect and for a response head, for a request
    /// that carries no limits of its own (the core's carry them).
    pub timeout: Duration,
    /// The proxies requests go through (tunnelled with `CONNECT`).
    pub proxies: r2_proto::proxy::Proxies,
    /// Plain http allowed (loopback tests); otherwise only https goes out.
    pub allow_http: bool,
    /// rustls with the ring provider, TLS 1.2 and 1.3, webpki's roots.
    pub tls: std::sync::Arc<rustls::ClientConfig>,
    /// The `User-Agent` of every request (added after signing).
    pub user_agent: http::HeaderValue,
}

/// A response body on its connection, read piece by piece.
pub trait ResponseBody: Debug + Send + Unpin + 'static {
    /// The next piece of the body, `None` at its end.
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, NetworkError>>>;
}

/// A runtime that can read the caller's `T` (its `AsyncRead`).
pub trait Reads<T>: Runtime {
    /// Appends up to `max` bytes read from `reader` to `buffer`; 0 at its end.
    fn read_into<'a>(
        reader: &'a mut T,
        buffer: &'a mut BytesMut,
        max: usize,
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;
}

/// A runtime that can write to the caller's `T` (its `AsyncWrite`).
pub trait Writes<T: ?Sized>: Runtime {
    /// Writes all of `bytes` to `writer`.
    fn write_all<'a>(
        writer: &'a mut T,
        bytes: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;

    /// Flushes `writer`.
    fn flush(writer: &mut T) -> impl Future<Output = io::Result<()>> + Send + '_;
}

/// A reader of unknown length, its type erased.
pub(crate) trait StreamReader: Send {
    fn read_into<'a>(
        &'a mut self,
        buffer: &'a mut BytesMut,
        max: usize,
    ) -> BoxFuture<'a, io::Result<usize>>;
}

/// A writer fed in order, its type erased.
pub(crate) trait StreamWriter: Send {
    fn write_all<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>>;
    fn flush(&mut self) -> BoxFuture<'_, io::Result<()>>;
}

/// The caller's reader or writer `T`, read or written through `R`.
pub(crate) struct Erased<R, T> {
    inner: T,
    runtime: std::marker::PhantomData<fn() -> R>,
}

impl<R, T> Erased<R, T> {
    pub(crate) fn new(inner: T) -> Self {
        Self {
            inner,
            runtime: std::marker::PhantomData,
        }
    }
}

impl<R: Reads<T>, T: Send> StreamReader for Erased<R, T> {
    fn read_into<'a>(
        &'a mut self,
        buffer: &'a mut BytesMut,
        max: usize,
    ) -> BoxFuture<'a, io::Result<usize>> {
        Box::pin(R::read_into(&mut self.inner, buffer, max))
    }
}

impl<R: Writes<T>, T: Send> StreamWriter for Erased<R, T> {
    fn write_all<'a>(&'a mut self, bytes: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(R::write_all(&mut self.inner, bytes))
    }

    fn flush(&mut self) -> BoxFuture<'_, io::Result<()>> {
        Box::pin(R::flush(&mut self.inner))
    }
}
