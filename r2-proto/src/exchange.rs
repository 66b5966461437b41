//! One operation, carried out with retries: the machine an adapter drives
//! for every single request (and that the transfer machines use per part).
//!
//! A driver that sends one request at a time takes [`Exchange::next`],
//! which logs the notes and a failure on the way:
//!
//! ```
//! # use std::sync::Arc;
//! # use r2_proto::exchange::{Event, Exchange, Next};
//! # use r2_proto::ops::GetObject;
//! # use r2_proto::error::R2Error;
//! # use r2_proto::{BucketName, ClientCore, Config, Credentials, Now, ObjectKey};
//! # fn main() -> Result<(), R2Error> {
//! # let config = Config::for_account("0123456789abcdef0123456789abcdef",
//! #     Credentials::new("AKIDEXAMPLE", "secret")?).build()?;
//! # let core = Arc::new(ClientCore::new(config));
//! # let now = || Now::new(std::time::Instant::now(), time::OffsetDateTime::now_utc());
//! # let bucket = BucketName::new("photos")?;
//! # let key = ObjectKey::new("cat.jpg")?;
//! # let send = |id, _request| Event::Failed { id, error: r2_proto::error::NetworkError::Timeout(std::time::Duration::ZERO) };
//! # let sleep_until = |_at| {};
//! let mut exchange = Exchange::whole(core, GetObject::new(bucket, key))?;
//! let result = loop {
//!     match exchange.next(now()) {
//!         Next::Send { id, request } => {
//!             let event = send(id, request); // the whole answer, or the transport's error
//!             exchange.handle(now(), event);
//!         }
//!         Next::Sleep(until) => sleep_until(until), // a backoff or rate-limit wait
//!         Next::Done(result) => break result,
//!     }
//! };
//! # assert!(result.is_err());
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::Request;

use crate::attempts::{Attempts, Gate, Verdict};
use crate::client_core::{ClientCore, Now, RequestId};
use crate::error::{Attempted, NetworkError, R2Error, RequestError};
use crate::model::check_echo;
use crate::names::BucketName;
use crate::ops::{Operation, PreparedRequest, RequestBody};
use crate::resilience::Note;
use crate::telemetry;

/// What the driver must do next.
#[derive(Debug)]
pub enum Action<T> {
    /// Send this signed request; report its answer with `id`.
    Send {
        /// The request's id.
        id: RequestId,
        /// The signed request.
        request: Request<RequestBody>,
    },
    /// Log or count this.
    Note(Note),
    /// The operation finished.
    Done(Result<T, R2Error>),
}

/// What happened to a request the machine asked for.
#[derive(Debug)]
pub enum Event {
    /// The complete answer.
    Response {
        /// The request's id.
        id: RequestId,
        /// The answer, body read in full.
        response: http::Response<Bytes>,
    },
    /// The request failed at the transport level.
    Failed {
        /// The request's id.
        id: RequestId,
        /// What failed.
        error: NetworkError,
    },
}

impl Event {
    /// The event for an answer whose body was read whole (`Ok`), or broke
    /// off with the transport's error.
    pub fn read(
        id: RequestId,
        parts: http::response::Parts,
        body: Result<Bytes, NetworkError>,
    ) -> Self {
        match body {
            Ok(bytes) => Self::Response {
                id,
                response: http::Response::from_parts(parts, bytes),
            },
            Err(error) => Self::Failed { id, error },
        }
    }

    /// The id of the request it answers.
    pub fn id(&self) -> RequestId {
        match self {
            Self::Response { id, .. } | Self::Failed { id, .. } => *id,
        }
    }
}

/// What a driver that sends one request at a time does next (see
/// [`Exchange::next`]).
#[derive(Debug)]
#[expect(
    clippy::large_enum_variant,
    reason = "a step is moved once, straight out to the driver; boxing would allocate per request"
)]
pub enum Next<T> {
    /// Send this signed request and hand its outcome to [`Exchange::handle`].
    Send {
        /// The request's id.
        id: RequestId,
        /// The signed request.
        request: Request<RequestBody>,
    },
    /// Nothing to do until this instant (a backoff or rate-limit wait).
    Sleep(Instant),
    /// The operation finished.
    Done(Result<T, R2Error>),
}

/// A machine that neither acts nor waits: a bug in the driver, reported
/// instead of hanging.
pub fn stalled() -> R2Error {
    NetworkError::ConnectionFailed("internal error: the request machine stalled".into()).into()
}

#[derive(Debug)]
enum State<T> {
    Ready,
    Waiting(Instant),
    InFlight(RequestId),
    Finished(Option<Result<T, R2Error>>),
}

/// One operation with its retries.
#[derive(Debug)]
pub struct Exchange<O: Operation> {
    core: Arc<ClientCore>,
    operation: O,
    prepared: PreparedRequest,
    attempts: Attempts,
    state: State<O::Output>,
    notes: VecDeque<Note>,
    /// A request signed while notes were waiting: it goes out after them,
    /// so a "half-open" note comes before the probe it announces.
    outbox: Option<(RequestId, Request<RequestBody>)>,
    /// When the first attempt went out.
    started: Option<Instant>,
}

impl<O: Operation> Exchange<O> {
    /// Prepares `operation`; a request that cannot be built fails here.
    pub fn new(core: Arc<ClientCore>, operation: O) -> Result<Self, R2Error> {
        Self::with_retries(core, operation, true)
    }

    /// An exchange whose answer is read whole, as `send` does: a streamed
    /// `PutObject` holds no bytes in the core and is refused (its bytes go
    /// through `put_stream` or `upload`); a failure here is logged.
    pub fn whole(core: Arc<ClientCore>, operation: O) -> Result<Self, R2Error> {
        let exchange = Self::new(core, operation).and_then(|exchange| {
            if matches!(exchange.prepared().body(), RequestBody::Stream { .. }) {
                return Err(RequestError::ConflictingOptions(
                    "a streamed PutObject takes its bytes from put_stream or upload, not send"
                        .into(),
                )
                .into());
            }
            Ok(exchange)
        });
        exchange.inspect_err(|error| telemetry::operation_failed(O::NAME, error))
    }

    /// Like [`new`](Self::new), a failure here logged as the operation's.
    pub fn logged(core: Arc<ClientCore>, operation: O) -> Result<Self, R2Error> {
        Self::new(core, operation).inspect_err(|error| telemetry::operation_failed(O::NAME, error))
    }

    /// Like [`new`](Self::new), without retries: for steps whose retry the
    /// caller decides (a CompleteMultipartUpload whose outcome is uncertain).
    pub fn single_attempt(core: Arc<ClientCore>, operation: O) -> Result<Self, R2Error> {
        Self::with_retries(core, operation, false)
    }

    fn with_retries(core: Arc<ClientCore>, operation: O, retries: bool) -> Result<Self, R2Error> {
        let prepared = operation.to_request(core.config().endpoint())?;
        let bucket = prepared.bucket().map(BucketName::as_str);
        let attempts = if retries {
            Attempts::new(bucket)
        } else {
            Attempts::single(bucket)
        };
        Ok(Self {
            core,
            operation,
            prepared,
            attempts,
            state: State::Ready,
            notes: VecDeque::new(),
            outbox: None,
            started: None,
        })
    }

    /// The operation.
    pub fn operation(&self) -> &O {
        &self.operation
    }

    /// The request it sends (unsigned).
    pub fn prepared(&self) -> &PreparedRequest {
        &self.prepared
    }

    /// Attempts sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts.sent()
    }

    /// The id of the request in flight, if any.
    pub fn in_flight(&self) -> Option<RequestId> {
        match self.state {
            State::InFlight(id) => Some(id),
            _ => None,
        }
    }

    /// When the machine next needs to be polled without an event (a backoff
    /// or rate-limit wait ending).
    pub fn deadline(&self) -> Option<Instant> {
        match self.state {
            State::Waiting(until) => Some(until),
            _ => None,
        }
    }

    /// The next action, or `None` until an event arrives or the deadline passes.
    pub fn poll(&mut self, now: Now) -> Option<Action<O::Output>> {
        loop {
            if let Some(note) = self.notes.pop_front() {
                return Some(Action::Note(note));
            }
            if let Some((id, request)) = self.outbox.take() {
                return Some(Action::Send { id, request });
            }
            match &mut self.state {
                State::Waiting(until) if now.instant < *until => return None,
                State::Waiting(_) => self.state = State::Ready,
                State::InFlight(_) => return None,
                State::Finished(result) => return result.take().map(Action::Done),
                State::Ready => match self.attempts.gate(&self.core, now, &mut self.notes) {
                    Gate::Go => match self.core.sign(&self.prepared, now.wall) {
                        Ok(request) => {
                            self.started.get_or_insert(now.instant);
                            let id = self.core.next_request_id();
                            self.state = State::InFlight(id);
                            self.outbox = Some((id, request));
                        }
                        Err(error) => self.state = State::Finished(Some(Err(error.into()))),
                    },
                    Gate::WaitUntil(until) => self.state = State::Waiting(until),
                    Gate::Refused(error) => self.state = State::Finished(Some(Err(error))),
                },
            }
        }
    }

    /// The next step for a driver that sends one request at a time: the
    /// notes on the way are logged under the operation's name, a failure
    /// for good is logged and counted, and a machine that could never move
    /// again ends with [`stalled`].
    pub fn next(&mut self, now: Now) -> Next<O::Output> {
        loop {
            match self.poll(now) {
                Some(Action::Send { id, request }) => return Next::Send { id, request },
                Some(Action::Note(note)) => telemetry::note(O::NAME, &note),
                Some(Action::Done(result)) => {
                    if let Err(error) = &result {
                        telemetry::operation_failed(O::NAME, error);
                    }
                    return Next::Done(result);
                }
                None => {
                    return match self.deadline() {
                        Some(until) => Next::Sleep(until),
                        None => Next::Done(Err(stalled())),
                    };
                }
            }
        }
    }

    /// Takes the outcome of the request in flight; answers to other ids
    /// (stale or foreign) are ignored.
    pub fn handle(&mut self, now: Now, event: Event) {
        if self.in_flight() != Some(event.id()) {
            return;
        }
        let outcome = match event {
            Event::Response { response, .. } => {
                self.operation.parse(&response).and_then(|output| {
                    if response.status().is_success() {
                        check_echo(self.prepared.headers(), response.headers())?;
                    }
                    Ok(output)
                })
            }
            Event::Failed { error, .. } => Err(R2Error::from(error)),
        };
        match outcome {
            Ok(output) => {
                self.attempts.succeeded(&self.core, &mut self.notes);
                self.state = State::Finished(Some(Ok(output)));
            }
            Err(error) => match self
                .attempts
                .failed(&self.core, now, &error, &mut self.notes)
            {
                Verdict::RetryAt(at) => self.state = State::Waiting(at),
                Verdict::GiveUp => {
                    let error = error.attempted(|| {
                        let host = self.core.config().endpoint().authority().to_string();
                        let elapsed = self
                            .started
                            .map(|at| now.instant.saturating_duration_since(at));
                        let attempts = self.attempts.sent();
                        Attempted::new(
                            self.prepared.info(),
                            host,
                            attempts,
                            elapsed.unwrap_or_default(),
                        )
                    });
                    self.state = State::Finished(Some(Err(error)));
                }
            },
        }
    }
}
