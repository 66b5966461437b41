//! What a runtime gives the driver: one request sent and its head back, a
//! body read chunk by chunk, timers, a blocking pool for files, and the
//! caller's readers and writers. Everything else (what to send, when to retry, how long to
//! wait, which bytes to keep) is decided by the core or, once for every
//! runtime, by this crate.

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

/// An async runtime and HTTP/1.1 transport that the driver runs on.
pub trait Runtime: Debug + Sized + Send + Sync + 'static {
    /// The pooled HTTP client.
    type Transport: Debug + Send + Sync + 'static;
    /// A response body still on its connection, which it holds until the
    /// body is read to its end or dropped.
    type Body: Debug + Send + Unpin + 'static;
    /// A timer (its output is not used).
    type Timer: Future + Debug + Send + 'static;

    /// A client with up to `pool_size` connections; plain http only when
    /// `allow_http`, TLS (1.2+, certificate validation) otherwise.
    fn transport(
        pool_size: usize,
        timeout: Duration,
        allow_http: bool,
    ) -> Result<Self::Transport, NetworkError>;

    /// Sends the signed request exactly as signed and returns once the
    /// response head is in (the driver bounds how long that may take).
    fn send<'a>(
        transport: &'a Self::Transport,
        request: &'a Request<RequestBody>,
    ) -> impl Future<Output = Result<Response<Self::Body>, NetworkError>> + Send + 'a;

    /// The next piece of the body, `None` at its end.
    fn poll_chunk(
        body: &mut Self::Body,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, NetworkError>>>;

    /// A timer firing at `deadline`.
    fn timer(deadline: Instant) -> Self::Timer;

    /// Moves `timer` to fire at `deadline`.
    fn reset(timer: Pin<&mut Self::Timer>, deadline: Instant);

    /// Runs `job` where blocking is allowed (the runtime's blocking
    /// pool), for file I/O; an error if the job could not finish.
    fn unblock<T: Send + 'static>(
        job: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = io::Result<T>> + Send;
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
