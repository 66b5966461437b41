//! One request on the wire: the live, recording or replaying route (written
//! once for every runtime), response bodies read with an idle timeout, and
//! the round trip a machine takes as one event, logged and counted.

use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use futures_util::future::{Either, select};
use http::{Request, Response};
use r2_proto::error::NetworkError;
use r2_proto::exchange::Event;
use r2_proto::ops::RequestBody;
use r2_proto::replay::Route;
use r2_proto::telemetry::RequestTrace;
use r2_proto::{ReadLimits, RequestId, WholeBody};
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

    /// The next piece of the body, waiting for it until `deadline`.
    pub(crate) async fn next_piece(&mut self, deadline: Instant) -> Result<Piece, NetworkError> {
        // A piece already in (or the end) needs no timer: most of a busy
        // body, and every empty one. A `Pending` here is polled again below.
        if let Poll::Ready(chunk) = self.poll_chunk(&mut Context::from_waker(Waker::noop())) {
            return Piece::of(chunk);
        }
        let chunk = pin!(std::future::poll_fn(|cx| self.poll_chunk(cx)));
        match select(chunk, pin!(R::timer(deadline))).await {
            Either::Left((chunk, _)) => Piece::of(chunk),
            Either::Right(_) => Ok(Piece::Late),
        }
    }
}

/// What one wait on a body brought.
pub(crate) enum Piece {
    /// The next bytes.
    Chunk(Bytes),
    /// The end of the body.
    End,
    /// Nothing by the deadline.
    Late,
}

impl Piece {
    fn of(chunk: Option<Result<Bytes, NetworkError>>) -> Result<Self, NetworkError> {
        chunk.map_or(Ok(Self::End), |chunk| chunk.map(Self::Chunk))
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

/// Reads a body whole, within the limits and deadlines the core's
/// [`WholeBody`] keeps; a body that breaks off is handed over as far as it
/// came or fails, as the core decides.
pub(crate) async fn read_all<R: Runtime>(
    body: &mut Body<R>,
    mut whole: WholeBody,
) -> Result<Bytes, NetworkError> {
    loop {
        match body.next_piece(whole.deadline()).await {
            Ok(Piece::Chunk(chunk)) => {
                if !whole.take(chunk, Instant::now())? {
                    return Ok(whole.ended());
                }
            }
            Ok(Piece::End) => return Ok(whole.ended()),
            Ok(Piece::Late) => whole.waited(Instant::now())?,
            Err(error) => return whole.broke(error),
        }
    }
}

/// The runtime's transport behind the client's route.
#[derive(Debug)]
pub(crate) struct Wire<R: Runtime> {
    transport: R::Transport,
    limits: ReadLimits,
    route: Route,
}

impl<R: Runtime> Wire<R> {
    pub(crate) fn new(transport: R::Transport, limits: ReadLimits, route: Route) -> Self {
        Self {
            transport,
            limits,
            route,
        }
    }

    /// The limits on every answer's body.
    pub(crate) fn limits(&self) -> &ReadLimits {
        &self.limits
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
        let mut body = Body::<R>::Wire(body);
        let whole = WholeBody::answer(&self.limits, request, &parts, Instant::now())?;
        let bytes = read_all(&mut body, whole).await?;
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
    let read = async {
        let whole = WholeBody::answer(wire.limits(), request, &parts, Instant::now())?;
        read_all(&mut body, whole).await
    }
    .instrument(trace.span().clone())
    .await;
    trace.body_read(request, &parts, &read);
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
