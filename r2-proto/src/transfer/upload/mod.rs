//! The upload machine: a single PutObject for small sources, otherwise a
//! concurrent multipart upload with equal-sized parts, per-part retries,
//! abort or keep-for-resume on failure, and resume from ListParts.
//!
//! Memory stays within `concurrency × part_size`: a part is read only when
//! fewer than `concurrency` parts are being read or sent, and its bytes are
//! dropped as soon as the server confirms it.
//!
//! The phases (each file below holds one concern):
//!
//! ```text
//!  Listing ─(every page)─┐                      (listing.rs: resume)
//!                        ▼
//!  Starting ─(small)─▶ ReadingSingle ─▶ Single ───────────────┐
//!     │ (stream: buffered until its size decides; stream.rs)  │
//!     └─(large)─▶ Creating ─▶ Parts ─▶ Completing ─(ok)──────▶ Finished
//!                              │  (parts.rs)  │ (uncertain) ▲     ▲
//!                              │              ▼             │     │
//!                              │          Verifying ─(there)┘     │
//!                              │              │ (not yet)         │
//!                              │              ▼                   │
//!                              │        CompleteBackoff ─▶ Completing
//!                              ▼ (a part or Complete fails for good)
//!                          Draining ─(kept)──────────────────────▶│
//!                              └─▶ Aborting ─────────────────────▶┘
//!                                                       (complete.rs)
//! ```

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::Request;

use super::plan::{MAX_PARTS, PartPlan};
use super::progress::{ProgressGate, UploadProgress};
use crate::client_core::{ClientCore, Now, RequestId};
use crate::config::{Config, MAX_CONCURRENCY, MAX_SINGLE_UPLOAD, MIN_PART_SIZE};
use crate::error::UploadFailure;
use crate::error::{MultipartError, R2Error, RequestError, TransferError};
use crate::exchange::{Action, Event, Exchange};
use crate::model::{Checksum, ChecksumAlgorithm, ChecksumType, ETag, Integrity, md5_hex};
use crate::names::{BucketName, ObjectKey};
use crate::ops::{
    AbortMultipartUpload, CompleteMultipartUpload, CompletedPart, CreateMultipartUpload,
    HeadObject, ListParts, ObjectAttributes, Operation, OperationName, PartPages, PartSummary,
    PutObject, RequestBody, UploadPart,
};
use crate::resilience::{Note, RetryClass};
use crate::resume_state::ResumeState;

mod complete;
mod listing;
mod options;
mod parts;
mod phases;
mod stream;

pub use options::{PartIntegrity, UploadOptions, UploadSource};
use parts::{Confirmed, Part, PartState};
use phases::{Phase, PhaseExchange, Step, split};

/// What the driver must do next.
#[derive(Debug)]
pub enum UploadAction {
    /// Read `len` bytes at `offset` of a sized source, as part `part`.
    ReadPart {
        /// The part.
        part: u32,
        /// Where it starts.
        offset: u64,
        /// Its length.
        len: u64,
    },
    /// Read the stream's next `max` bytes (fewer only where it ends) as part `part`.
    ReadStream {
        /// The part.
        part: u32,
        /// Bytes wanted.
        max: u64,
    },
    /// Send this signed request; report its answer with `id`.
    Send {
        /// The request's id.
        id: RequestId,
        /// The signed request.
        request: Request<RequestBody>,
    },
    /// Log or count this, for the operation it concerns.
    Note {
        /// The request's operation (a part, Create, Complete, Abort...).
        operation: OperationName,
        /// What happened.
        note: Note,
    },
    /// Keep this: what resuming the upload needs, once, as soon as the
    /// multipart upload exists (so it can be saved before parts go out).
    SaveState(ResumeState),
    /// The upload moved on: report it (every count only grows; at most
    /// once per `progress_interval`, and always the last before `Done`).
    Progress(UploadProgress),
    /// The object is stored.
    Done(UploadOutput),
    /// The upload failed for good ([`R2Error::Upload`] for multipart uploads).
    Failed(R2Error),
}

/// What happened.
#[derive(Debug)]
pub enum UploadEvent {
    /// The bytes of a `ReadPart`.
    PartRead {
        /// The part.
        part: u32,
        /// Its bytes.
        data: Bytes,
    },
    /// The bytes of a `ReadPart` from a file, with the file's length when
    /// it was read: a file that grew or shrank since the upload began
    /// ends it with [`TransferError::SourceChanged`].
    FilePartRead {
        /// The part.
        part: u32,
        /// Its bytes.
        data: Bytes,
        /// The file's length at the read.
        file_len: u64,
    },
    /// The bytes of a `ReadStream`; `end` when the stream has no more.
    StreamRead {
        /// The part.
        part: u32,
        /// Its bytes.
        data: Bytes,
        /// True when the stream ended.
        end: bool,
    },
    /// A read failed.
    ReadFailed {
        /// The part.
        part: u32,
        /// What went wrong.
        message: String,
    },
    /// The answer to a request the machine sent (or its transport failure).
    Answer(Event),
}

impl UploadEvent {
    /// The outcome of reading part `part` at its offset.
    pub fn part_read(part: u32, read: std::io::Result<Bytes>) -> Self {
        match read {
            Ok(data) => Self::PartRead { part, data },
            Err(error) => Self::read_failed(part, &error),
        }
    }

    /// The outcome of reading part `part` at its offset in a file: its
    /// bytes and the file's length then.
    pub fn file_part_read(part: u32, read: std::io::Result<(Bytes, u64)>) -> Self {
        match read {
            Ok((data, file_len)) => Self::FilePartRead {
                part,
                data,
                file_len,
            },
            Err(error) => Self::read_failed(part, &error),
        }
    }

    /// The outcome of filling stream part `part`: its bytes, and whether
    /// the stream ended.
    pub fn stream_read(part: u32, read: std::io::Result<(Bytes, bool)>) -> Self {
        match read {
            Ok((data, end)) => Self::StreamRead { part, data, end },
            Err(error) => Self::read_failed(part, &error),
        }
    }

    /// Reading part `part` failed.
    pub fn read_failed(part: u32, error: &std::io::Error) -> Self {
        Self::ReadFailed {
            part,
            message: error.to_string(),
        }
    }
}

/// The bytes of part `offset .. offset + len` of an object held in memory
/// (as far as it goes): what a driver answers a `ReadPart` with.
pub fn part_of(bytes: &Bytes, offset: u64, len: u64) -> Bytes {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let end = start
        .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
        .min(bytes.len());
    bytes.slice(start..end)
}

impl From<Event> for UploadEvent {
    fn from(event: Event) -> Self {
        Self::Answer(event)
    }
}

/// The stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadOutput {
    /// Its ETag (`…-N` for multipart objects).
    pub etag: ETag,
    /// The multipart upload id, if multipart was used.
    pub upload_id: Option<String>,
    /// Parts uploaded (1 for a single PutObject).
    pub parts: u32,
    /// Bytes stored.
    pub size: u64,
}

/// One upload.
#[derive(Debug)]
pub struct Upload {
    core: Arc<ClientCore>,
    bucket: BucketName,
    key: ObjectKey,
    options: UploadOptions,
    source: UploadSource,
    /// The plan, once the size is known (at once for sized sources).
    plan: Option<PartPlan>,
    part_size: u64,
    parts: Vec<Part>,
    /// Indices of the parts in the window (read, buffered or being sent),
    /// so each step costs O(concurrency), not O(parts).
    active: Vec<usize>,
    /// Index of the first part that may still need reading.
    next_read: usize,
    upload_id: Option<String>,
    stream_ended: bool,
    stream_reading: bool,
    phase: Phase,
    progress: UploadProgress,
    /// Lets [`UploadAction::Progress`] out once per interval.
    gate: ProgressGate<UploadProgress>,
    /// Done, held back while the last progress goes out first.
    done: Option<UploadAction>,
    /// True once the resume state was announced ([`UploadAction::SaveState`]).
    state_announced: bool,
    notes: VecDeque<Note>,
}

fn failure(part: Option<u32>, cause: R2Error) -> Box<UploadFailure> {
    Box::new(UploadFailure {
        part,
        upload_id: None,
        aborted: false,
        resume: None,
        cause,
    })
}

fn part_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

/// The index of part `number` (parts count from 1); `None` for 0, which no
/// part has.
fn part_index(number: u32) -> Option<usize> {
    (number as usize).checked_sub(1)
}

impl Upload {
    /// A new upload of `source` to `key` in `bucket`.
    pub fn new(
        core: Arc<ClientCore>,
        bucket: BucketName,
        key: ObjectKey,
        source: UploadSource,
        options: UploadOptions,
    ) -> Result<Self, R2Error> {
        if !(1..=MAX_CONCURRENCY).contains(&options.concurrency) {
            return Err(RequestError::OutOfRange {
                parameter: "concurrency",
                expected: "1 ..= 16",
                got: options.concurrency.to_string(),
            }
            .into());
        }
        if options.multipart_threshold > MAX_SINGLE_UPLOAD {
            return Err(RequestError::OutOfRange {
                parameter: "multipart threshold",
                expected: "at most 5 GiB - 5 MiB, the largest single PutObject",
                got: options.multipart_threshold.to_string(),
            }
            .into());
        }
        if let Some(algorithm) = options.part_integrity.algorithm() {
            algorithm.check_multipart(ChecksumType::Composite)?;
        }
        let plan = match source {
            UploadSource::Sized(total) => Some(PartPlan::for_size(total, options.part_size)?),
            UploadSource::Stream => None,
        };
        let part_size = plan.map_or(
            options.part_size.clamp(MIN_PART_SIZE, MAX_SINGLE_UPLOAD),
            |p| p.part_size(),
        );
        let mut upload = Self {
            core,
            bucket,
            key,
            source,
            plan,
            part_size,
            parts: Vec::new(),
            active: Vec::new(),
            next_read: 0,
            upload_id: None,
            stream_ended: false,
            stream_reading: false,
            phase: Phase::Starting,
            progress: UploadProgress {
                total: plan.map(|p| p.total()),
                ..UploadProgress::default()
            },
            gate: ProgressGate::new(options.progress_interval, UploadProgress::default()),
            done: None,
            state_announced: false,
            notes: VecDeque::new(),
            options,
        };
        if let Some(plan) = plan {
            upload.lay_out(plan);
        }
        // Nothing has moved yet: the first report is the first change.
        upload.gate = ProgressGate::new(upload.options.progress_interval, upload.progress);
        Ok(upload)
    }

    fn lay_out(&mut self, plan: PartPlan) {
        self.plan = Some(plan);
        self.part_size = plan.part_size();
        self.parts = (1..=plan.parts())
            .map(|n| Part {
                size: plan.range(n).1,
                state: PartState::Waiting,
                counted: false,
            })
            .collect();
    }

    /// How far the upload is.
    pub fn progress(&self) -> UploadProgress {
        self.progress
    }

    /// The multipart upload id, once created.
    pub fn upload_id(&self) -> Option<&str> {
        self.upload_id.as_deref()
    }

    /// What a driver whose upload is given up part-way (an async upload
    /// future dropped before it ended) sends so that nothing is left behind
    /// on the server: the abort of the multipart upload, unless the upload
    /// is kept for resuming ([`UploadOptions::keep_on_failure`]), has none
    /// yet, or already ended.
    pub fn abandoned(&self) -> Option<AbortMultipartUpload> {
        let over = matches!(self.phase, Phase::Finished(_) | Phase::Aborting(..));
        if over || self.options.keep_on_failure {
            return None;
        }
        let id = self.upload_id.clone()?;
        Some(AbortMultipartUpload::new(
            self.bucket.clone(),
            self.key.clone(),
            id,
        ))
    }

    /// The part size in use.
    pub fn part_size(&self) -> u64 {
        self.part_size
    }

    /// The state needed to resume, for sized sources with a multipart upload.
    pub fn resume_state(&self) -> Option<ResumeState> {
        Some(ResumeState {
            bucket: self.bucket.as_str().to_owned(),
            key: self.key.as_str().to_owned(),
            upload_id: self.upload_id.clone()?,
            part_size: self.part_size,
            total: self.plan?.total(),
        })
    }

    /// Parts being read, buffered or sent (never more than the concurrency).
    pub fn parts_in_window(&self) -> usize {
        self.active.len()
    }

    /// When the machine next needs a poll without an event.
    pub fn deadline(&self) -> Option<Instant> {
        let phase = match &self.phase {
            Phase::CompleteBackoff(until, _) => Some(*until),
            phase => phase.exchange().and_then(PhaseExchange::deadline),
        };
        let parts = self
            .active
            .iter()
            .filter_map(|&i| match self.parts.get(i).map(|p| &p.state) {
                Some(PartState::Sending(e, _)) => e.deadline(),
                _ => None,
            });
        let progress = self.gate.due(self.progress);
        phase.into_iter().chain(parts).chain(progress).min()
    }

    fn finish(&mut self, result: Result<UploadOutput, R2Error>) {
        self.phase = Phase::Finished(Some(result));
    }

    /// True once the upload is failing or over: reads still arriving are dropped.
    fn ending(&self) -> bool {
        matches!(
            self.phase,
            Phase::Draining(_) | Phase::Aborting(..) | Phase::Finished(_)
        )
    }

    /// Ends the upload with `failure`: waits for parts in flight, then aborts
    /// the multipart upload, or keeps it when asked to.
    fn fail(&mut self, mut failure: Box<UploadFailure>) {
        failure.upload_id = self.upload_id.clone();
        if self.upload_id.is_none() {
            self.finish(Err(failure.cause));
            return;
        }
        for index in self.active.clone() {
            let in_flight = matches!(
                self.parts.get(index).map(|p| &p.state),
                Some(PartState::Sending(e, _)) if e.in_flight().is_some()
            );
            if !in_flight {
                self.set_state(index, PartState::Waiting);
            }
        }
        self.phase = Phase::Draining(failure);
    }

    fn source_failed(&mut self, part: u32, message: String) {
        self.fail(failure(
            Some(part),
            TransferError::SourceFailed { part, message }.into(),
        ));
    }

    /// The next action, or `None` until an event arrives or the deadline passes.
    pub fn poll(&mut self, now: Now) -> Option<UploadAction> {
        loop {
            if let Some(note) = self.notes.pop_front() {
                // Only Complete's own retries are queued here.
                let operation = OperationName::CompleteMultipartUpload;
                return Some(UploadAction::Note { operation, note });
            }
            if let Some(done) = self.done.take() {
                return Some(done);
            }
            if let Some(action) = self.announcement(now.instant) {
                return Some(action);
            }
            match self.step(now) {
                Step::Act(done @ UploadAction::Done(_)) => {
                    let Some(last) = self.gate.flush(now.instant, self.progress) else {
                        return Some(done);
                    };
                    self.done = Some(done);
                    return Some(UploadAction::Progress(last));
                }
                Step::Act(action) => return Some(action),
                Step::Again => {}
                Step::Idle => return self.announcement(now.instant),
            }
        }
    }

    /// The resume state, once, as soon as the multipart upload exists; then
    /// the progress, when it moved and the interval has passed (the last
    /// progress goes out before Done whatever the time).
    fn announcement(&mut self, now: Instant) -> Option<UploadAction> {
        if !self.state_announced
            && let Some(state) = self.resume_state()
        {
            self.state_announced = true;
            return Some(UploadAction::SaveState(state));
        }
        if let Some(progress) = self.gate.pass(now, self.progress) {
            return Some(UploadAction::Progress(progress));
        }
        None
    }

    /// Takes what happened. Reads that arrive once the upload is ending, and
    /// answers to requests the machine no longer waits for, are dropped.
    pub fn handle(&mut self, now: Now, event: UploadEvent) {
        match event {
            UploadEvent::PartRead { .. }
            | UploadEvent::FilePartRead { .. }
            | UploadEvent::StreamRead { .. }
            | UploadEvent::ReadFailed { .. }
                if self.ending() => {}
            UploadEvent::PartRead { part, data } => self.part_read(part, data),
            UploadEvent::FilePartRead {
                part,
                data,
                file_len,
            } => match self.plan.map(|plan| plan.total()) {
                Some(expected) if expected != file_len => {
                    if let Some(index) = part_index(part) {
                        self.set_state(index, PartState::Waiting);
                    }
                    let changed = TransferError::SourceChanged {
                        expected,
                        found: file_len,
                    };
                    self.fail(failure(Some(part), changed.into()));
                }
                _ => self.part_read(part, data),
            },
            UploadEvent::StreamRead { part, data, end } => self.stream_read(part, data, end),
            UploadEvent::ReadFailed { part, message } => {
                self.stream_reading = false;
                if let Some(index) = part_index(part) {
                    self.set_state(index, PartState::Waiting);
                }
                self.source_failed(part, message);
            }
            UploadEvent::Answer(event) => self.route(now, event),
        }
    }

    /// Hands an answer to the exchange waiting for it.
    fn route(&mut self, now: Now, event: Event) {
        let id = event.id();
        if let Some(exchange) = self.phase.exchange_mut()
            && exchange.in_flight() == Some(id)
        {
            return exchange.handle(now, event);
        }
        let draining = matches!(self.phase, Phase::Draining(_));
        for slot in 0..self.active.len() {
            let Some(&index) = self.active.get(slot) else {
                break;
            };
            if let Some(PartState::Sending(exchange, _)) =
                self.parts.get_mut(index).map(|p| &mut p.state)
                && exchange.in_flight() == Some(id)
            {
                if draining {
                    // The upload is ending: the outcome no longer matters.
                    self.set_state(index, PartState::Waiting);
                } else {
                    exchange.handle(now, event);
                }
                return;
            }
        }
    }
}
