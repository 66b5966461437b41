//! The download machine: a large object fetched as parallel ranged GETs,
//! pinned to one version with `If-Match`, each range retried on its own.
//!
//! The first request asks for the first part; its answer gives the size and
//! the ETag, and the other ranges follow with `If-Match: <etag>`, so an
//! object replaced mid-way fails with `PreconditionFailed` instead of
//! producing a file mixed from two versions. The driver writes each range at
//! its offset (a file, [`BodyPlan::Write`]), or hands a range's bytes back
//! ([`BodyPlan::Keep`], for a stream): the machine then releases them in
//! order with [`DownloadAction::Deliver`] as the completed prefix grows, so
//! no driver keeps an ordering of its own.
//!
//! The driver's loop: drain [`Download::poll`] until it returns `None`
//! (fetch, note, deliver, done or failed), then wait for the next headers
//! (→ [`Download::on_headers`], which says what to do with the body), the
//! next body outcome (→ [`Download::handle`]) or [`Download::deadline`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};

use crate::attempts::{Attempts, Gate, Verdict};
use crate::body_limits::{ReadLimits, ReadWatch};
use crate::client_core::{ClientCore, Now, RequestId};
use crate::config::{Config, MAX_CONCURRENCY};
use crate::error::{
    Attempted, NetworkError, R2Error, ResponseError, ResponseProblem, TransferError,
};
use crate::model::{ByteRange, ETag, ObjectMetadata};
use crate::names::{BucketName, ObjectKey};
use crate::ops::{GetObject, Operation, OperationName, RequestBody};
use crate::resilience::Note;
use crate::transfer::progress::{DownloadProgress, PROGRESS_INTERVAL, ProgressGate};

/// Settings of one download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadOptions {
    /// Bytes per ranged GET.
    pub part_size: u64,
    /// Ranged GETs at once.
    pub concurrency: usize,
    /// Download only this version of the object.
    pub if_match: Option<ETag>,
    /// Fetch no range that starts more than `concurrency × part_size`
    /// bytes past the first byte not yet received: for drivers that hand
    /// the bytes on in order (a stream), whose buffer this bounds.
    pub in_order: bool,
    /// The least time between two progress reports.
    pub progress_interval: Duration,
}

impl DownloadOptions {
    /// The configuration's part size and concurrency.
    pub fn from_config(config: &Config) -> Self {
        Self {
            part_size: config.part_size(),
            concurrency: config.concurrency(),
            if_match: None,
            in_order: false,
            progress_interval: PROGRESS_INTERVAL,
        }
    }
}

/// A ranged GET to send.
#[derive(Debug)]
pub struct Fetch {
    /// The request's id.
    pub id: RequestId,
    /// The signed request.
    pub request: Request<RequestBody>,
    /// Where its bytes go in the object.
    pub offset: u64,
}

/// What the driver must do next.
#[derive(Debug)]
pub enum DownloadAction {
    /// Send this ranged GET.
    Fetch(Fetch),
    /// Hand these bytes on: the object's bytes from `offset`, released in
    /// order (only for [`BodyPlan::Keep`] downloads).
    Deliver {
        /// Where the bytes start in the object.
        offset: u64,
        /// The bytes, in order.
        chunks: Vec<Bytes>,
    },
    /// Log or count this.
    Note(Note),
    /// The download moved on: report it (every count only grows; at most
    /// once per `progress_interval`, and always the last before `Done`).
    Progress(DownloadProgress),
    /// Every byte arrived.
    Done(DownloadOutput),
    /// The download failed for good.
    Failed(R2Error),
}

/// What happened to a ranged GET after its headers (see [`Download::on_headers`]).
#[derive(Debug)]
pub enum DownloadEvent {
    /// The body was written to its end ([`BodyPlan::Write`]); `received` bytes.
    BodyDone {
        /// The request's id.
        id: RequestId,
        /// Bytes received.
        received: u64,
    },
    /// The body was read to its end and its bytes are handed back
    /// ([`BodyPlan::Keep`]); the machine delivers them in order.
    BodyKept {
        /// The request's id.
        id: RequestId,
        /// The bytes received, in order.
        chunks: Vec<Bytes>,
    },
    /// The body broke off after `received` bytes: a stall stays a
    /// timeout, anything else is a body cut short. Retried as the policy says.
    BodyBroke {
        /// The request's id.
        id: RequestId,
        /// Bytes received before it broke.
        received: u64,
        /// What the transport reported.
        error: NetworkError,
    },
    /// The error body, read because `on_headers` said so.
    ErrorBody {
        /// The request's id.
        id: RequestId,
        /// The body.
        body: Bytes,
    },
    /// The request failed at the transport level (before or during the body).
    Failed {
        /// The request's id.
        id: RequestId,
        /// What failed.
        error: NetworkError,
    },
    /// Writing the body to the local sink failed: the download fails for
    /// good with [`TransferError::SinkFailed`] (retrying cannot help).
    WriteFailed {
        /// The request's id.
        id: RequestId,
        /// Where the failed write started.
        offset: u64,
        /// What went wrong.
        message: String,
    },
}

/// What to do with a response's body.
///
/// A range can fail mid-body and be fetched again: a driver writing to a
/// file simply writes the retry over the same bytes; a download in order
/// hands each range's bytes back, and the machine releases them.
/// Either way [`RangeBody`] counts the bytes and cuts off any past `len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyPlan {
    /// Write the body at `offset` and report `BodyDone`; it must hold
    /// exactly `len` bytes.
    Write {
        /// Where the bytes go.
        offset: u64,
        /// How many there must be.
        len: u64,
    },
    /// Read the body into memory and hand it back as `BodyKept` (a download
    /// in order); it must hold exactly `len` bytes.
    Keep {
        /// Where the bytes go in the object.
        offset: u64,
        /// How many there must be.
        len: u64,
    },
    /// Read the (small) error body and report it as `ErrorBody`.
    ReadError,
    /// Drop the body: the machine no longer waits for it.
    Discard,
}

/// A range's body as it arrives, for the driver that copies it: where it
/// goes, how many bytes there may be (it cuts off any past the range's
/// end, so no driver keeps or writes more than was asked for), and the
/// event that reports how it ended.
#[derive(Debug, Clone)]
pub struct RangeBody {
    id: RequestId,
    offset: u64,
    len: u64,
    keep: bool,
    received: u64,
    watch: ReadWatch,
}

impl RangeBody {
    /// The body `plan` asks to copy, whose head arrived at `now`, read
    /// within `limits`; `None` when it is an error body or dropped.
    pub fn of(id: RequestId, plan: BodyPlan, limits: &ReadLimits, now: Instant) -> Option<Self> {
        let (offset, len, keep) = match plan {
            BodyPlan::Write { offset, len } => (offset, len, false),
            BodyPlan::Keep { offset, len } => (offset, len, true),
            BodyPlan::ReadError | BodyPlan::Discard => return None,
        };
        Some(Self {
            id,
            offset,
            len,
            keep,
            received: 0,
            watch: ReadWatch::start(limits, now),
        })
    }

    /// When to stop waiting for the next piece (see [`ReadWatch::deadline`]).
    pub fn deadline(&self) -> Instant {
        self.watch.deadline()
    }

    /// The deadline passed with nothing new: `Err` (the event to end in)
    /// when the body stalled, `Ok` to wait again.
    pub fn waited(&mut self, now: Instant) -> Result<(), DownloadEvent> {
        self.watch.waited(now).map_err(|error| self.broke(error))
    }

    /// Where the range starts in the object (and the file).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// True when the bytes go back to the machine ([`BodyPlan::Keep`]),
    /// false when they are written at [`offset`](Self::offset).
    pub fn keeps(&self) -> bool {
        self.keep
    }

    /// The part of `chunk`, arrived at `now`, that belongs to the range
    /// (all of it, or the bytes up to the range's end), counted. `Err`
    /// (the event to end in) when the body came too slowly.
    pub fn take(&mut self, mut chunk: Bytes, now: Instant) -> Result<Bytes, DownloadEvent> {
        chunk.truncate(self.fits(chunk.len(), now)?);
        Ok(chunk)
    }

    /// How many of `available` bytes, arrived at `now`, belong to the range
    /// (the first ones), counted: for a driver that reads into a buffer of
    /// its own. `Err` (the event to end in) when the body came too slowly.
    pub fn fits(&mut self, available: usize, now: Instant) -> Result<usize, DownloadEvent> {
        if let Err(error) = self.watch.arrived(available, now) {
            return Err(self.broke(error));
        }
        let room = self.len.saturating_sub(self.received);
        let fits = usize::try_from(room).unwrap_or(usize::MAX).min(available);
        self.received += fits as u64;
        Ok(fits)
    }

    /// Bytes taken so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The body came to its end: written (`kept` is empty), or these bytes
    /// handed back.
    pub fn ended(&self, kept: Vec<Bytes>) -> DownloadEvent {
        let id = self.id;
        if self.keep {
            DownloadEvent::BodyKept { id, chunks: kept }
        } else {
            DownloadEvent::BodyDone {
                id,
                received: self.received,
            }
        }
    }

    /// The body broke off with the transport's `error`.
    pub fn broke(&self, error: NetworkError) -> DownloadEvent {
        DownloadEvent::BodyBroke {
            id: self.id,
            received: self.received,
            error,
        }
    }

    /// Writing the range to the local file failed.
    pub fn write_failed(&self, error: &std::io::Error) -> DownloadEvent {
        DownloadEvent::WriteFailed {
            id: self.id,
            offset: self.offset,
            message: error.to_string(),
        }
    }
}

/// The downloaded object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadOutput {
    /// Its size.
    pub size: u64,
    /// Its metadata, from the first answer.
    pub metadata: ObjectMetadata,
    /// Ranged GETs it took (retries included).
    pub requests: u32,
}

#[derive(Debug)]
enum RangeState {
    /// Not asked for yet.
    Waiting,
    /// Waiting to retry (or for the rate limiter).
    Backoff(Instant),
    /// Asked for; headers not yet seen.
    Sent(RequestId),
    /// Its body is being written.
    Streaming(RequestId),
    /// Its error body is being read.
    ReadingError(RequestId, StatusCode, Box<HeaderMap>),
    /// All its bytes arrived.
    Done,
}

#[derive(Debug)]
struct Range {
    offset: u64,
    /// `None` for the first range while the size is unknown.
    len: Option<u64>,
    state: RangeState,
    attempts: Attempts,
    /// A finished range's bytes, until the prefix reaches it (in order only).
    kept: Vec<Bytes>,
}

/// One download.
///
/// Every step costs O(concurrency), not O(ranges): the machine keeps the
/// ranges in flight, the ranges waiting to retry, and a cursor over the rest.
#[derive(Debug)]
pub struct Download {
    core: Arc<ClientCore>,
    bucket: BucketName,
    key: ObjectKey,
    options: DownloadOptions,
    ranges: Vec<Range>,
    /// The first range never asked for.
    next: usize,
    /// Ranges waiting to retry.
    retrying: Vec<usize>,
    /// Ranges in flight, by request id.
    in_flight: Vec<(RequestId, usize)>,
    /// Ranges whose bytes all arrived.
    done: usize,
    /// The first range not done, and the bytes before it.
    prefix: (usize, u64),
    metadata: Option<ObjectMetadata>,
    size: Option<u64>,
    etag: Option<ETag>,
    requests: u32,
    notes: VecDeque<Note>,
    /// Bytes the prefix has reached, to hand on in order.
    deliveries: VecDeque<(u64, Vec<Bytes>)>,
    /// A fetch made while notes were waiting: it goes out after them.
    outbox: Option<Fetch>,
    finished: Option<Option<Result<DownloadOutput, R2Error>>>,
    /// Bytes of the ranges done.
    received: u64,
    /// When the first range was asked for.
    started: Option<Instant>,
    /// Lets [`DownloadAction::Progress`] out once per interval.
    gate: ProgressGate<DownloadProgress>,
}

fn response_problem(problem: ResponseProblem) -> R2Error {
    ResponseError {
        operation: OperationName::GetObject,
        problem,
    }
    .into()
}

impl Download {
    /// A download of `key` from `bucket`.
    pub fn new(
        core: Arc<ClientCore>,
        bucket: BucketName,
        key: ObjectKey,
        options: DownloadOptions,
    ) -> Self {
        let first = Range {
            offset: 0,
            len: None,
            state: RangeState::Waiting,
            attempts: Attempts::new(Some(bucket.as_str())),
            kept: Vec::new(),
        };
        Self {
            etag: options.if_match.clone(),
            core,
            bucket,
            key,
            options: DownloadOptions {
                concurrency: options.concurrency.clamp(1, MAX_CONCURRENCY),
                part_size: options.part_size.max(1),
                ..options
            },
            ranges: vec![first],
            next: 0,
            retrying: Vec::new(),
            in_flight: Vec::new(),
            done: 0,
            prefix: (0, 0),
            metadata: None,
            size: None,
            requests: 0,
            notes: VecDeque::new(),
            deliveries: VecDeque::new(),
            outbox: None,
            finished: None,
            received: 0,
            started: None,
            gate: ProgressGate::new(options.progress_interval, DownloadProgress::default()),
        }
    }

    /// How far the download is.
    pub fn progress(&self) -> DownloadProgress {
        DownloadProgress {
            total: self.size,
            received: self.received,
            ranges_done: u32::try_from(self.done).unwrap_or(u32::MAX),
        }
    }

    /// The object's size, once known.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    /// The ETag the download is pinned to, once known.
    pub fn etag(&self) -> Option<&ETag> {
        self.etag.as_ref()
    }

    /// Bytes from the start of the object that have all arrived: what an
    /// in-order writer may release.
    pub fn completed_prefix(&self) -> u64 {
        self.prefix.1
    }

    /// Ranged GETs in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// The most ranges the machine keeps in flight at once (its options'
    /// concurrency, within 1 ..= 16).
    pub fn concurrency(&self) -> usize {
        self.options.concurrency
    }

    /// When the machine next needs a poll without an event: the end of the
    /// first retry wait, unless every slot is busy (then only an answer can
    /// let the retry go).
    pub fn deadline(&self) -> Option<Instant> {
        let progress = self.gate.due(self.progress());
        if self.in_flight.len() >= self.limit() {
            return progress;
        }
        self.retrying
            .iter()
            .filter_map(|&i| match self.ranges.get(i).map(|r| &r.state) {
                Some(RangeState::Backoff(until)) => Some(*until),
                _ => None,
            })
            .chain(progress)
            .min()
    }

    fn fail(&mut self, error: R2Error) {
        if self.finished.is_none() {
            self.finished = Some(Some(Err(error)));
        }
    }

    /// Moves range `index` to `state`, keeping the in-flight, retry and
    /// done lists in step.
    fn set_state(&mut self, index: usize, state: RangeState) {
        let Some(range) = self.ranges.get_mut(index) else {
            debug_assert!(false, "range {index} is not in the plan");
            return;
        };
        let id = match state {
            RangeState::Sent(id) | RangeState::Streaming(id) | RangeState::ReadingError(id, ..) => {
                Some(id)
            }
            _ => None,
        };
        let backoff = matches!(state, RangeState::Backoff(_));
        let done = matches!(state, RangeState::Done) && !matches!(range.state, RangeState::Done);
        let len = range.len.unwrap_or(0);
        range.state = state;
        self.in_flight.retain(|&(_, i)| i != index);
        if let Some(id) = id {
            self.in_flight.push((id, index));
        }
        self.retrying.retain(|&i| i != index);
        if backoff {
            self.retrying.push(index);
        }
        if done {
            self.done += 1;
            self.received += len;
            while let Some(range) = self.ranges.get_mut(self.prefix.0)
                && matches!(range.state, RangeState::Done)
            {
                let kept = std::mem::take(&mut range.kept);
                if !kept.is_empty() {
                    self.deliveries.push_back((range.offset, kept));
                }
                self.prefix = (self.prefix.0 + 1, self.prefix.1 + range.len.unwrap_or(0));
            }
        }
    }

    /// Requests allowed in flight: one until the first answer gives the size.
    fn limit(&self) -> usize {
        if self.size.is_none() {
            1
        } else {
            self.options.concurrency
        }
    }

    /// The next range that may be asked for now: one whose retry wait is
    /// over, else the next never asked for.
    fn next_ready(&self, now: Instant) -> Option<usize> {
        let retry = self.retrying.iter().copied().find(|&i| {
            matches!(self.ranges.get(i).map(|r| &r.state), Some(RangeState::Backoff(until)) if now >= *until)
        });
        let window = self
            .options
            .part_size
            .saturating_mul(self.options.concurrency as u64);
        let within = |range: &Range| {
            !self.options.in_order || range.offset < self.prefix.1.saturating_add(window)
        };
        retry.or_else(|| {
            self.ranges
                .get(self.next)
                .filter(|range| within(range))
                .map(|_| self.next)
        })
    }

    /// The next action, or `None` until an event arrives or the deadline passes.
    pub fn poll(&mut self, now: Now) -> Option<DownloadAction> {
        loop {
            if let Some(note) = self.notes.pop_front() {
                return Some(DownloadAction::Note(note));
            }
            if let Some((offset, chunks)) = self.deliveries.pop_front() {
                return Some(DownloadAction::Deliver { offset, chunks });
            }
            if let Some(fetch) = self.outbox.take() {
                return Some(DownloadAction::Fetch(fetch));
            }
            if self.finished.is_none()
                && let Some(progress) = self.gate.pass(now.instant, self.progress())
            {
                return Some(DownloadAction::Progress(progress));
            }
            if let Some(result) = &mut self.finished {
                return result.take().map(|r| match r {
                    Ok(output) => DownloadAction::Done(output),
                    Err(error) => DownloadAction::Failed(error),
                });
            }
            if self.size.is_some() && self.done == self.ranges.len() {
                if let Some(last) = self.gate.flush(now.instant, self.progress()) {
                    return Some(DownloadAction::Progress(last));
                }
                let metadata = self.metadata.clone()?;
                self.finished = Some(None);
                return Some(DownloadAction::Done(DownloadOutput {
                    size: self.size.unwrap_or(0),
                    metadata,
                    requests: self.requests,
                }));
            }
            if self.in_flight.len() >= self.limit() {
                return None;
            }
            let index = self.next_ready(now.instant)?;
            if index == self.next {
                self.next += 1;
            }
            self.start(now, index);
        }
    }

    /// Asks for range `index`, unless the rate limiter or the breaker says no.
    fn start(&mut self, now: Now, index: usize) {
        let part_size = self.options.part_size;
        let Some(range) = self.ranges.get_mut(index) else {
            debug_assert!(false, "range {index} is not in the plan");
            return;
        };
        match range.attempts.gate(&self.core, now, &mut self.notes) {
            Gate::Go => {}
            Gate::WaitUntil(until) => {
                self.set_state(index, RangeState::Backoff(until));
                return;
            }
            Gate::Refused(error) => {
                self.set_state(index, RangeState::Waiting);
                self.fail(error);
                return;
            }
        }
        let (offset, len) = (range.offset, range.len.unwrap_or(part_size));
        let signed = ByteRange::from_len(offset, len)
            .map_err(R2Error::from)
            .and_then(|byte_range| {
                let mut get =
                    GetObject::new(self.bucket.clone(), self.key.clone()).range(byte_range);
                if let Some(etag) = &self.etag {
                    get = get.if_match(etag.clone());
                }
                let prepared = get.to_request(self.core.config().endpoint())?;
                Ok(self.core.sign(&prepared, now.wall)?)
            });
        match signed {
            Ok(request) => {
                self.started.get_or_insert(now.instant);
                let id = self.core.next_request_id();
                self.set_state(index, RangeState::Sent(id));
                self.requests += 1;
                self.outbox = Some(Fetch {
                    id,
                    request,
                    offset,
                });
            }
            Err(error) => {
                self.set_state(index, RangeState::Waiting);
                self.fail(error);
            }
        }
    }

    fn index_of(&self, id: RequestId) -> Option<usize> {
        self.in_flight
            .iter()
            .find(|(i, _)| *i == id)
            .map(|&(_, index)| index)
    }

    /// Reads a response's status and headers and says what to do with its body.
    pub fn on_headers(
        &mut self,
        now: Now,
        id: RequestId,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> BodyPlan {
        let Some(index) = self.index_of(id) else {
            return BodyPlan::Discard;
        };
        if self.finished.is_some() {
            self.set_state(index, RangeState::Waiting);
            return BodyPlan::Discard;
        }
        if !status.is_success() {
            self.set_state(
                index,
                RangeState::ReadingError(id, status, Box::new(headers.clone())),
            );
            return BodyPlan::ReadError;
        }
        let get = GetObject::new(self.bucket.clone(), self.key.clone());
        let metadata = match get.parse_metadata(status, headers) {
            Ok(metadata) => metadata,
            Err(error) => {
                self.range_failed(now, index, error);
                return BodyPlan::Discard;
            }
        };
        if self.size.is_none() {
            if let Err(error) = self.plan(&metadata, status) {
                self.set_state(index, RangeState::Waiting);
                self.fail(error);
                return BodyPlan::Discard;
            }
            self.metadata = Some(metadata.clone());
        }
        if let (Some(pinned), Some(found)) = (&self.etag, &metadata.etag)
            && pinned != found
        {
            let error = TransferError::ObjectChanged {
                expected: pinned.as_str().to_owned(),
                found: found.as_str().to_owned(),
            };
            self.set_state(index, RangeState::Waiting);
            self.fail(error.into());
            return BodyPlan::Discard;
        }
        // Once pinned, every answer must show the pinned version: one without
        // an ETag could be any version, and its bytes are not taken.
        if self.etag.is_some() && metadata.etag.is_none() {
            self.set_state(index, RangeState::Waiting);
            self.fail(response_problem(ResponseProblem::MissingHeader("etag")));
            return BodyPlan::Discard;
        }
        let whole_object = self.ranges.len() == 1;
        let Some(range) = self.ranges.get(index) else {
            return BodyPlan::Discard;
        };
        let (offset, len) = (range.offset, range.len.unwrap_or(0));
        // The length announced must be the range's; a whole-object answer
        // must announce it (it has no Content-Range to say what it holds).
        let length_ok = match metadata.content_length {
            Some(announced) => announced == len,
            None => metadata.content_range.is_some(),
        };
        if !length_ok {
            let error = response_problem(ResponseProblem::InvalidHeader {
                header: "content-length",
                value: format!("{:?}", metadata.content_length),
            });
            self.set_state(index, RangeState::Waiting);
            self.fail(error);
            return BodyPlan::Discard;
        }
        // The server must send exactly the range asked for.
        let matches = match metadata.content_range {
            Some(cr) => cr.first == offset && cr.last + 1 == offset + len,
            None => status == StatusCode::OK && offset == 0 && whole_object,
        };
        if !matches {
            let error = response_problem(ResponseProblem::InvalidHeader {
                header: "content-range",
                value: format!("{:?}", metadata.content_range),
            });
            self.set_state(index, RangeState::Waiting);
            self.fail(error);
            return BodyPlan::Discard;
        }
        self.set_state(index, RangeState::Streaming(id));
        if self.options.in_order {
            BodyPlan::Keep { offset, len }
        } else {
            BodyPlan::Write { offset, len }
        }
    }

    /// Plans every range from the first answer: size from `Content-Range`
    /// (or `Content-Length` when the server sent the whole object), pinned to its ETag.
    fn plan(&mut self, metadata: &ObjectMetadata, status: StatusCode) -> Result<(), R2Error> {
        let size = match (status, metadata.content_range) {
            (StatusCode::PARTIAL_CONTENT, Some(range)) => range.total,
            (StatusCode::OK, None) => metadata.content_length,
            _ => None,
        }
        .ok_or_else(|| response_problem(ResponseProblem::MissingHeader("content-range")))?;
        self.size = Some(size);
        if self.etag.is_none() {
            self.etag = metadata.etag.clone();
        }
        let part_size = if status == StatusCode::OK {
            size.max(1)
        } else {
            self.options.part_size
        };
        if let Some(first) = self.ranges.first_mut() {
            first.len = Some(part_size.min(size));
        }
        let count = usize::try_from(size.div_ceil(part_size)).unwrap_or(usize::MAX);
        self.ranges.reserve(count.saturating_sub(1));
        let mut offset = part_size;
        while offset < size {
            self.ranges.push(Range {
                offset,
                len: Some(part_size.min(size - offset)),
                state: RangeState::Waiting,
                attempts: Attempts::new(Some(self.bucket.as_str())),
                kept: Vec::new(),
            });
            offset += part_size;
        }
        Ok(())
    }

    /// Takes what happened to a range's body.
    pub fn handle(&mut self, now: Now, event: DownloadEvent) {
        match event {
            DownloadEvent::BodyDone { id, received } => {
                self.body_ended(now, id, received, Vec::new());
            }
            DownloadEvent::BodyKept { id, chunks } => {
                let received = chunks.iter().map(|c| c.len() as u64).sum();
                self.body_ended(now, id, received, chunks);
            }
            DownloadEvent::BodyBroke {
                id,
                received,
                error,
            } => {
                let Some(index) = self.index_of(id) else {
                    return;
                };
                let error = match error {
                    NetworkError::Timeout(_) => R2Error::from(error),
                    _ => {
                        let expected = self.ranges.get(index).and_then(|r| r.len).unwrap_or(0);
                        TransferError::IncompleteBody { expected, received }.into()
                    }
                };
                self.range_failed(now, index, error);
            }
            DownloadEvent::ErrorBody { id, body } => {
                let Some(index) = self.index_of(id) else {
                    return;
                };
                let Some(RangeState::ReadingError(_, status, headers)) =
                    self.ranges.get(index).map(|r| &r.state)
                else {
                    return;
                };
                let (status, headers) = (*status, (**headers).clone());
                if status == StatusCode::RANGE_NOT_SATISFIABLE
                    && self.size.is_none()
                    && self.empty_object(&headers)
                {
                    self.set_state(index, RangeState::Done);
                    return;
                }
                let mut builder = http::Response::builder().status(status);
                if let Some(map) = builder.headers_mut() {
                    *map = headers;
                }
                let error = match builder.body(body) {
                    Ok(response) => GetObject::new(self.bucket.clone(), self.key.clone())
                        .parse(&response)
                        .err()
                        .unwrap_or_else(|| {
                            response_problem(ResponseProblem::MissingHeader("status"))
                        }),
                    Err(e) => response_problem(ResponseProblem::MalformedXml(e.to_string())),
                };
                self.range_failed(now, index, error);
            }
            DownloadEvent::Failed { id, error } => {
                let Some(index) = self.index_of(id) else {
                    return;
                };
                self.range_failed(now, index, R2Error::from(error));
            }
            DownloadEvent::WriteFailed {
                id,
                offset,
                message,
            } => {
                let Some(index) = self.index_of(id) else {
                    return;
                };
                self.set_state(index, RangeState::Waiting);
                self.fail(TransferError::SinkFailed { offset, message }.into());
            }
        }
    }

    /// A range's body came to its end with `received` bytes (`kept`, when
    /// handed back): done when it holds the whole range, else cut short.
    fn body_ended(&mut self, now: Now, id: RequestId, received: u64, kept: Vec<Bytes>) {
        let Some(index) = self.index_of(id) else {
            return;
        };
        let Some(range) = self.ranges.get_mut(index) else {
            debug_assert!(false, "an in-flight range that does not exist");
            return;
        };
        let expected = range.len.unwrap_or(0);
        if received == expected {
            range.attempts.succeeded(&self.core, &mut self.notes);
            range.kept = kept;
            self.set_state(index, RangeState::Done);
        } else {
            let error = TransferError::IncompleteBody { expected, received }.into();
            self.range_failed(now, index, error);
        }
    }

    /// An empty object answers the first ranged GET with 416 and
    /// `Content-Range: bytes */0`: the download is then done, with no bytes.
    fn empty_object(&mut self, headers: &HeaderMap) -> bool {
        if headers
            .get(http::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            != Some("bytes */0")
        {
            return false;
        }
        let mut headers = headers.clone();
        headers.remove(http::header::CONTENT_RANGE);
        headers.remove(http::header::CONTENT_LENGTH);
        let get = GetObject::new(self.bucket.clone(), self.key.clone());
        let Ok(metadata) = get.parse_metadata(StatusCode::OK, &headers) else {
            return false;
        };
        self.size = Some(0);
        if self.etag.is_none() {
            self.etag = metadata.etag.clone();
        }
        self.metadata = Some(ObjectMetadata {
            content_length: Some(0),
            content_range: None,
            ..metadata
        });
        if let Some(first) = self.ranges.first_mut() {
            first.len = Some(0);
        }
        true
    }

    fn range_failed(&mut self, now: Now, index: usize, error: R2Error) {
        let Some(range) = self.ranges.get_mut(index) else {
            return;
        };
        match range
            .attempts
            .failed(&self.core, now, &error, &mut self.notes)
        {
            Verdict::RetryAt(at) => self.set_state(index, RangeState::Backoff(at)),
            Verdict::GiveUp => {
                let attempts = range.attempts.sent();
                let error = error.attempted(|| Attempted {
                    operation: OperationName::GetObject,
                    bucket: Some(self.bucket.clone()),
                    key: Some(self.key.clone()),
                    host: self.core.config().endpoint().authority().to_string(),
                    attempts,
                    elapsed: self
                        .started
                        .map(|at| now.instant.saturating_duration_since(at))
                        .unwrap_or_default(),
                });
                self.set_state(index, RangeState::Waiting);
                self.fail(error);
            }
        }
    }
}
