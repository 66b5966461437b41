//! One operation, carried out with retries: the machine an adapter drives
//! for every single request (and that the transfer machines use per part).
//!
//! ```text
//! let mut exchange = Exchange::new(core.clone(), GetObject::new(bucket, key))?;
//! loop {
//!     while let Some(action) = exchange.poll(now()) {
//!         match action {
//!             Action::Send { id, request } => in_flight.push(send(id, request)),
//!             Action::Note(note) => log(note),
//!             Action::Done(result) => return result,
//!         }
//!     }
//!     match wait_for(in_flight.next(), exchange.deadline()) {
//!         Some((id, Ok(response))) => exchange.handle(now(), Event::Response { id, response }),
//!         Some((id, Err(error))) => exchange.handle(now(), Event::Failed { id, error }),
//!         None => {} // the deadline passed: poll again
//!     }
//! }
//! ```

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::Request;

use crate::client_core::{ClientCore, Now, RequestId};
use crate::error::{NetworkError, R2Error};
use crate::names::BucketName;
use crate::ops::{Operation, PreparedRequest, RequestBody};
use crate::resilience::{Attempts, Gate, Note, Verdict};

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
    /// The id of the request it answers.
    pub fn id(&self) -> RequestId {
        match self {
            Self::Response { id, .. } | Self::Failed { id, .. } => *id,
        }
    }
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
}

impl<O: Operation> Exchange<O> {
    /// Prepares `operation`; a request that cannot be built fails here.
    pub fn new(core: Arc<ClientCore>, operation: O) -> Result<Self, R2Error> {
        Self::with_retries(core, operation, true)
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

    /// Takes the outcome of the request in flight; answers to other ids
    /// (stale or foreign) are ignored.
    pub fn handle(&mut self, now: Now, event: Event) {
        if self.in_flight() != Some(event.id()) {
            return;
        }
        let outcome = match event {
            Event::Response { response, .. } => self.operation.parse(&response),
            Event::Failed { error, .. } => Err(R2Error::Network(error)),
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
                Verdict::GiveUp => self.state = State::Finished(Some(Err(error))),
            },
        }
    }
}
