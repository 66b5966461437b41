//! One request on the wire: the live, recording or replaying route (written
//! once for every runtime), response bodies read with an idle timeout, and
//! the round trip a machine takes as one event, logged and counted.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::future::{Either, select};
use http::{HeaderMap, Request, Response};
use r2_proto::RequestId;
use r2_proto::error::NetworkError;
use r2_proto::exchange::Event;
use r2_proto::model::broken_body;
use r2_proto::ops::RequestBody;
use r2_proto::replay::Route;
use r2_proto::telemetry::RequestTrace;
use tracing::Instrument;

use crate::runtime::{ResponseBody, Runtime, Transport};

/// A response body: on its connection, or whole in memory (recorded or
/// replayed).
#[derive(Debug)]
pub(crate) enum Body<R: Runtime> {
    /// Still on the connection.
    Wire(<R::Transport as Transport>::Body),
    /// In memory.
    Whole(Option<Bytes>),
}

impl<R: Runtime> Body<R> {
    /// The next piece of the body, `None` at its end.
    pub(crate) fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, NetworkError>>> {
        match self {
            Self::Wire(body) => body.poll_chunk(cx),
            Self::Whole(bytes) => Poll::Ready(bytes.take().map(Ok)),
        }
    }

    /// The next piece of the body, waiting at most `timeout` for it.
    pub(crate) async fn next_chunk(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<Bytes>, NetworkError> {
        // A piece already in (or the end) needs no timer: most of a busy
        // body, and every empty one. A `Pending` here is polled again below.
        if let Poll::Ready(chunk) = self.poll_chunk(&mut Context::from_waker(Waker::noop())) {
            return chunk.transpose();
        }
        within::<R, _>(
            timeout,
            std::future::poll_fn(|cx| self.poll_chunk(cx).map(Option::transpose)),
        )
        .await
    }
}

/// `future`, or a timeout once `timeout` has passed.
pub(crate) async fn within<R: Runtime, T>(
    timeout: Duration,
    future: impl Future<Output = Result<T, NetworkError>>,
) -> Result<T, NetworkError> {
    let future = pin!(future);
    let timer = pin!(R::timer(Instant::now() + timeout));
    match select(future, timer).await {
        Either::Left((result, _)) => result,
        Either::Right((_, _)) => Err(NetworkError::Timeout(timeout)),
    }
}

/// Sleeps until `deadline`; forever when there is none.
pub(crate) async fn sleep_until<R: Runtime>(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => {
            R::timer(deadline).await;
        }
        None => std::future::pending().await,
    }
}

/// The whole body. A body that breaks off is handed over as far as it came
/// or fails, as the core's [`broken_body`] decides.
pub(crate) async fn read_all<R: Runtime>(
    body: &mut Body<R>,
    headers: &HeaderMap,
    timeout: Duration,
) -> Result<Bytes, NetworkError> {
    let mut first: Option<Bytes> = None;
    let mut joined = BytesMut::new();
    loop {
        let chunk = match body.next_chunk(timeout).await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(error) => {
                let received = first.as_ref().map_or(joined.len(), Bytes::len) as u64;
                broken_body(headers, received, error)?;
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

/// The runtime's transport behind the client's route.
#[derive(Debug)]
pub(crate) struct Wire<R: Runtime> {
    transport: R::Transport,
    timeout: Duration,
    route: Route,
}

impl<R: Runtime> Wire<R> {
    pub(crate) fn new(transport: R::Transport, timeout: Duration, route: Route) -> Self {
        Self {
            transport,
            timeout,
            route,
        }
    }

    /// The per-request timeout (to the response head, and between body chunks).
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends a signed request; the answer's head is in, its body not yet
    /// read (when recording or replaying, the body is already whole).
    pub(crate) async fn send(
        &self,
        request: &Request<RequestBody>,
    ) -> Result<Response<Body<R>>, NetworkError> {
        match &self.route {
            Route::Live => Ok(self.transport.send(request).await?.map(Body::Wire)),
            Route::Record(recorder) => {
                let pending = recorder.begin(request);
                let started = Instant::now();
                let whole = self.send_whole(request).await;
                recorder.finish(pending, whole.as_ref(), started.elapsed());
                whole.map(|response| response.map(|body| Body::Whole(Some(body))))
            }
            Route::Replay(replayer) => {
                let replayed = replayer.answer(request)?;
                if let Some(delay) = replayed.delay {
                    R::timer(Instant::now() + delay).await;
                }
                replayed
                    .outcome
                    .map(|response| response.map(|body| Body::Whole(Some(body))))
            }
        }
    }

    /// Sends `request` and reads its whole answer (for the recorder).
    async fn send_whole(
        &self,
        request: &Request<RequestBody>,
    ) -> Result<Response<Bytes>, NetworkError> {
        let (parts, body) = self.transport.send(request).await?.into_parts();
        let bytes = read_all(&mut Body::<R>::Wire(body), &parts.headers, self.timeout).await?;
        Ok(Response::from_parts(parts, bytes))
    }
}

/// What came back for a request whose body the caller reads.
pub(crate) struct Opened<R: Runtime> {
    /// The response, body still on the wire.
    pub(crate) response: Response<Body<R>>,
    /// The request's telemetry, to record the body on.
    pub(crate) trace: RequestTrace,
}

/// Sends `request` and returns as soon as the head is in.
pub(crate) async fn open<R: Runtime>(
    wire: &Wire<R>,
    id: RequestId,
    request: &Request<RequestBody>,
) -> Result<Opened<R>, NetworkError> {
    let trace = RequestTrace::start(id, request, Instant::now());
    let sent = wire.send(request).instrument(trace.span().clone()).await;
    trace.sent(request, &sent, Instant::now());
    sent.map(|response| Opened { response, trace })
}

/// The event for an opened answer whose body is read whole.
pub(crate) async fn read_whole<R: Runtime>(
    wire: &Wire<R>,
    request: &Request<RequestBody>,
    opened: Opened<R>,
    id: RequestId,
) -> Event {
    let Opened { response, trace } = opened;
    let (parts, mut body) = response.into_parts();
    let read = read_all(&mut body, &parts.headers, wire.timeout())
        .instrument(trace.span().clone())
        .await;
    trace.body_read(request, &read);
    Event::read(id, parts, read)
}

/// Sends `request` and reads the whole answer: the event a machine takes.
pub(crate) async fn round_trip<R: Runtime>(
    wire: &Wire<R>,
    id: RequestId,
    request: &Request<RequestBody>,
) -> Event {
    match open(wire, id, request).await {
        Ok(opened) => read_whole(wire, request, opened, id).await,
        Err(error) => Event::Failed { id, error },
    }
}
