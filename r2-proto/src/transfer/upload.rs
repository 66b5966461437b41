//! The upload machine: a single PutObject for small sources, otherwise a
//! concurrent multipart upload with equal-sized parts, per-part retries,
//! abort or keep-for-resume on failure, and resume from ListParts.
//!
//! Memory stays within `concurrency × part_size`: a part is read only when
//! fewer than `concurrency` parts are being read or sent, and its bytes are
//! dropped as soon as the server confirms it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::Request;
use md5::{Digest, Md5};

use super::UploadFailure;
use super::plan::{MAX_PARTS, PartPlan};
use super::resume::ResumeState;
use crate::client_core::{ClientCore, Now, RequestId};
use crate::config::{Config, MAX_CONCURRENCY, MAX_SINGLE_UPLOAD, MIN_PART_SIZE};
use crate::error::{MultipartError, R2Error, RequestError, TransferError};
use crate::exchange::{Action, Event, Exchange};
use crate::model::{Checksum, ChecksumAlgorithm, ChecksumType, ETag, Integrity};
use crate::names::{BucketName, ObjectKey};
use crate::ops::{
    AbortMultipartUpload, CompleteMultipartUpload, CompletedPart, CreateMultipartUpload,
    HeadObject, ListParts, ObjectAttributes, Operation, OperationName, PartPages, PartSummary,
    PutObject, RequestBody, UploadPart,
};
use crate::resilience::{Note, RetryClass};

/// Where the bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadSource {
    /// A source of known length that can be read at any offset (bytes, a file).
    Sized(u64),
    /// A stream of unknown length, read front to back once.
    Stream,
}

/// The integrity header each part carries. The default is a composite
/// CRC32: the server refuses a part altered on the way, for about 16 ms of
/// CPU per GiB (Content-MD5 costs about 1.5 s, SHA-256 about 0.5 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartIntegrity {
    /// None: TLS protects the bytes in transit.
    None,
    /// `Content-MD5`, computed by the machine: the server refuses a part
    /// whose bytes changed on the way (and its ETag is then that MD5).
    ContentMd5,
    /// One `x-amz-checksum-<algorithm>` per part, declared as a composite
    /// checksum at creation and echoed per part in Complete, as R2 requires.
    /// CRC32, CRC32C, SHA-1 or SHA-256 (R2 takes no composite CRC64NVME).
    Checksum(ChecksumAlgorithm),
}

impl Default for PartIntegrity {
    fn default() -> Self {
        Self::Checksum(ChecksumAlgorithm::Crc32)
    }
}

impl PartIntegrity {
    /// The checksum algorithm, if one is used.
    fn algorithm(self) -> Option<ChecksumAlgorithm> {
        match self {
            Self::Checksum(algorithm) => Some(algorithm),
            Self::None | Self::ContentMd5 => None,
        }
    }

    /// The header for a body made of `chunks`, and the checksum to echo in Complete.
    fn header<C: AsRef<[u8]>>(self, chunks: &[C]) -> (Option<Integrity>, Option<Checksum>) {
        match self {
            Self::None => (None, None),
            Self::ContentMd5 => (Some(Integrity::content_md5_of_chunks(chunks)), None),
            Self::Checksum(algorithm) => {
                let checksum = Checksum::of_chunks(algorithm, chunks);
                (checksum.map(Integrity::Checksum), checksum)
            }
        }
    }
}

/// Settings of one upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOptions {
    /// Bytes per part (grown when needed to fit 10,000 parts).
    pub part_size: u64,
    /// Parts read or sent at once (1..=16).
    pub concurrency: usize,
    /// Sources of at least this size use multipart.
    pub multipart_threshold: u64,
    /// On failure, keep the upload for resuming instead of aborting it
    /// (sized sources only: a stream cannot be read again, so a failed
    /// stream upload is aborted all the same).
    pub keep_on_failure: bool,
    /// Re-read parts found by ListParts when resuming, and compare their MD5
    /// with the listed ETag before trusting them.
    pub verify_resumed_parts: bool,
    /// The integrity header of each part.
    pub part_integrity: PartIntegrity,
    /// What the object is stored with (content type, metadata, …).
    pub attributes: ObjectAttributes,
}

impl UploadOptions {
    /// The configuration's part size, concurrency and threshold.
    pub fn from_config(config: &Config) -> Self {
        Self {
            part_size: config.part_size(),
            concurrency: config.concurrency(),
            multipart_threshold: config.multipart_threshold(),
            keep_on_failure: false,
            verify_resumed_parts: true,
            part_integrity: PartIntegrity::default(),
            attributes: ObjectAttributes::default(),
        }
    }
}

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
    /// The upload moved on: report it (monotonic; once per change).
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

/// How far an upload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadProgress {
    /// Bytes in all, when known.
    pub total: Option<u64>,
    /// Bytes handed to the driver to send (each part counted once).
    pub sent: u64,
    /// Bytes the server confirmed.
    pub confirmed: u64,
    /// Parts confirmed.
    pub parts_done: u32,
}

/// A part the server holds: its ETag and the checksum Complete must echo.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Confirmed {
    etag: ETag,
    checksum: Option<Checksum>,
}

#[derive(Debug)]
enum PartState {
    /// Not read yet.
    Waiting,
    /// Found by ListParts when resuming; to be read and checked.
    Listed(Confirmed),
    /// Being read to be sent.
    Reading,
    /// Being read to be checked against what ListParts gave.
    Checking(Confirmed),
    /// Read, waiting for the upload id (a stream buffered before deciding).
    Buffered(Bytes),
    /// Being sent (with its retries), with the checksum it carries.
    Sending(Box<Exchange<UploadPart>>, Option<Checksum>),
    /// Confirmed.
    Done(Confirmed),
}

#[derive(Debug)]
struct Part {
    size: u64,
    state: PartState,
}

impl Part {
    /// True while the part holds or is fetching bytes.
    fn in_window(&self) -> bool {
        matches!(
            self.state,
            PartState::Reading
                | PartState::Checking(_)
                | PartState::Buffered(_)
                | PartState::Sending(..)
        )
    }
}

#[derive(Debug)]
enum Phase {
    /// Resuming: paging through the parts the kept upload holds.
    Listing(Box<Exchange<ListParts>>, PartPages, Vec<PartSummary>),
    /// Before choosing single or multipart (streams read here first).
    Starting,
    /// Reading the one part of a single PutObject.
    ReadingSingle,
    /// A single PutObject.
    Single(Box<Exchange<PutObject>>),
    /// Creating the multipart upload.
    Creating(Box<Exchange<CreateMultipartUpload>>),
    /// Sending parts.
    Parts,
    /// Completing; `tries` attempts so far.
    Completing(Box<Exchange<CompleteMultipartUpload>>, u32),
    /// Checking whether an uncertain Complete took effect.
    Verifying(Box<Exchange<HeadObject>>, u32, R2Error),
    /// Waiting before trying Complete again.
    CompleteBackoff(Instant, u32),
    /// Waiting for parts in flight to finish before aborting or giving up.
    Draining(Box<UploadFailure>),
    /// Aborting.
    Aborting(Box<Exchange<AbortMultipartUpload>>, Box<UploadFailure>),
    /// Finished.
    Finished(Option<Result<UploadOutput, R2Error>>),
}

/// Tries of CompleteMultipartUpload whose outcome stayed uncertain.
const MAX_COMPLETE_TRIES: u32 = 3;

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
    /// The progress last announced with [`UploadAction::Progress`].
    announced: Option<UploadProgress>,
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

fn md5_hex(data: &[u8]) -> String {
    let digest: [u8; 16] = Md5::digest(data).into();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The ETag S3 and R2 give a multipart object: the MD5 of the parts' MD5s
/// and the part count. `None` if a part's ETag is not an MD5.
fn multipart_etag(etags: &[&ETag]) -> Option<ETag> {
    let mut md5s = Md5::new();
    for etag in etags {
        let hex = etag.md5_hex()?;
        let mut bytes = [0u8; 16];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        md5s.update(bytes);
    }
    let digest: [u8; 16] = md5s.finalize().into();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Some(ETag::new(format!("\"{hex}-{}\"", etags.len())))
}

fn part_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn part_index(number: u32) -> usize {
    (number as usize).wrapping_sub(1)
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
            announced: None,
            state_announced: false,
            notes: VecDeque::new(),
            options,
        };
        if let Some(plan) = plan {
            upload.lay_out(plan);
        }
        // Nothing has moved yet: the first report is the first change.
        upload.announced = Some(upload.progress);
        Ok(upload)
    }

    fn lay_out(&mut self, plan: PartPlan) {
        self.plan = Some(plan);
        self.part_size = plan.part_size();
        self.parts = (1..=plan.parts())
            .map(|n| Part {
                size: plan.range(n).1,
                state: PartState::Waiting,
            })
            .collect();
    }

    /// Resumes an upload from its saved state and the parts ListParts found
    /// (every page of them). A listed part is kept only if its size fits the
    /// plan, and, when `verify_resumed_parts` is set, once the MD5 of the
    /// local bytes equals its ETag; any other part is uploaded again.
    pub fn resume(
        core: Arc<ClientCore>,
        state: &ResumeState,
        listed: &[PartSummary],
        options: UploadOptions,
    ) -> Result<Self, R2Error> {
        let mut upload = Self::kept(core, state, options)?;
        upload.take_listed(listed);
        upload.phase = Phase::Parts;
        Ok(upload)
    }

    /// Resumes an upload from its saved state, paging through ListParts
    /// itself first (then as [`resume`](Self::resume)).
    pub fn resuming(
        core: Arc<ClientCore>,
        state: &ResumeState,
        options: UploadOptions,
    ) -> Result<Self, R2Error> {
        let mut upload = Self::kept(core, state, options)?;
        let pages = ListParts::new(
            upload.bucket.clone(),
            upload.key.clone(),
            state.upload_id.clone(),
        )
        .pages();
        upload.list_next(pages, Vec::new());
        Ok(upload)
    }

    /// The kept upload of `state`, laid out, before its parts are known.
    fn kept(
        core: Arc<ClientCore>,
        state: &ResumeState,
        mut options: UploadOptions,
    ) -> Result<Self, R2Error> {
        let bucket = BucketName::new(state.bucket.clone())?;
        let key = ObjectKey::new(state.key.clone())?;
        let plan = PartPlan::resumed(state.total, state.part_size)?;
        options.part_size = state.part_size;
        let mut upload = Self::new(core, bucket, key, UploadSource::Sized(state.total), options)?;
        upload.lay_out(plan);
        upload.upload_id = Some(state.upload_id.clone());
        Ok(upload)
    }

    /// Asks for the next page of the kept upload's parts, or, with every
    /// page in, takes the parts found and starts sending.
    fn list_next(&mut self, pages: PartPages, found: Vec<PartSummary>) {
        let Some(request) = pages.next_request().cloned() else {
            self.take_listed(&found);
            self.phase = Phase::Parts;
            return;
        };
        match Exchange::new(Arc::clone(&self.core), request) {
            Ok(exchange) => self.phase = Phase::Listing(Box::new(exchange), pages, found),
            Err(error) => self.finish(Err(error)),
        }
    }

    /// Takes the parts ListParts found: a part is kept only if its size fits
    /// the plan (see [`resume`](Self::resume)).
    fn take_listed(&mut self, listed: &[PartSummary]) {
        let algorithm = self.options.part_integrity.algorithm();
        for found in listed {
            let index = part_index(found.part_number);
            let Some(part) = self.parts.get_mut(index) else {
                continue;
            };
            if found.size != part.size {
                continue;
            }
            let checksum = algorithm.and_then(|a| {
                found
                    .checksums
                    .get(a)
                    .and_then(|text| Checksum::from_base64(a, text))
            });
            let listed = Confirmed {
                etag: found.etag.clone(),
                checksum,
            };
            if self.options.verify_resumed_parts {
                part.state = PartState::Listed(listed);
            } else if algorithm.is_none() || listed.checksum.is_some() {
                part.state = PartState::Done(listed);
                self.progress.confirmed += part.size;
                self.progress.parts_done += 1;
            }
        }
    }

    /// How far the upload is.
    pub fn progress(&self) -> UploadProgress {
        self.progress
    }

    /// The multipart upload id, once created.
    pub fn upload_id(&self) -> Option<&str> {
        self.upload_id.as_deref()
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
            Phase::Listing(e, ..) => e.deadline(),
            Phase::Single(e) => e.deadline(),
            Phase::Creating(e) => e.deadline(),
            Phase::Completing(e, _) => e.deadline(),
            Phase::Verifying(e, _, _) => e.deadline(),
            Phase::Aborting(e, _) => e.deadline(),
            Phase::CompleteBackoff(until, _) => Some(*until),
            _ => None,
        };
        let parts = self
            .active
            .iter()
            .filter_map(|&i| match self.parts.get(i).map(|p| &p.state) {
                Some(PartState::Sending(e, _)) => e.deadline(),
                _ => None,
            });
        phase.into_iter().chain(parts).min()
    }

    /// Moves part `index` to `state`, keeping the window list in step.
    fn set_state(&mut self, index: usize, state: PartState) -> PartState {
        let Some(part) = self.parts.get_mut(index) else {
            return state;
        };
        let was = part.in_window();
        let old = std::mem::replace(&mut part.state, state);
        let is = part.in_window();
        if was && !is {
            self.active.retain(|&i| i != index);
        } else if is && !was {
            self.active.push(index);
        }
        old
    }

    fn confirm(&mut self, index: usize, confirmed: Confirmed) {
        let size = self.parts.get(index).map_or(0, |p| p.size);
        self.set_state(index, PartState::Done(confirmed));
        self.progress.confirmed += size;
        self.progress.parts_done += 1;
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
            if let Some(action) = self.announcement() {
                return Some(action);
            }
            match self.step(now) {
                Step::Act(action) => return Some(action),
                Step::Again => {}
                Step::Idle => return self.announcement(),
            }
        }
    }

    /// The resume state, once, as soon as the multipart upload exists; then
    /// the progress, whenever it moved.
    fn announcement(&mut self) -> Option<UploadAction> {
        if !self.state_announced
            && let Some(state) = self.resume_state()
        {
            self.state_announced = true;
            return Some(UploadAction::SaveState(state));
        }
        if self.announced != Some(self.progress) {
            self.announced = Some(self.progress);
            return Some(UploadAction::Progress(self.progress));
        }
        None
    }

    fn step(&mut self, now: Now) -> Step {
        match std::mem::replace(&mut self.phase, Phase::Starting) {
            Phase::Listing(mut exchange, mut pages, mut found) => {
                match exchange.poll(now).map(split::<ListParts>) {
                    None => {
                        self.phase = Phase::Listing(exchange, pages, found);
                        Step::Idle
                    }
                    Some(Ok(action)) => {
                        self.phase = Phase::Listing(exchange, pages, found);
                        Step::Act(action)
                    }
                    Some(Err(Ok(page))) => {
                        match pages.advance(&page) {
                            Ok(()) => {
                                found.extend(page.parts);
                                self.list_next(pages, found);
                            }
                            Err(error) => self.finish(Err(error)),
                        }
                        Step::Again
                    }
                    Some(Err(Err(error))) => {
                        self.finish(Err(error));
                        Step::Again
                    }
                }
            }
            Phase::Starting => self.start(),
            Phase::ReadingSingle => {
                self.phase = Phase::ReadingSingle;
                Step::Idle
            }
            Phase::Single(mut exchange) => match exchange.poll(now).map(split::<PutObject>) {
                None => {
                    self.phase = Phase::Single(exchange);
                    Step::Idle
                }
                Some(Err(result)) => {
                    let size = exchange.operation().body().content_length();
                    if result.is_ok() {
                        self.progress.confirmed = size;
                        self.progress.parts_done = 1;
                    }
                    self.finish(result.map(|out| UploadOutput {
                        etag: out.etag,
                        upload_id: None,
                        parts: 1,
                        size,
                    }));
                    Step::Again
                }
                Some(Ok(action)) => {
                    self.phase = Phase::Single(exchange);
                    Step::Act(action)
                }
            },
            Phase::Creating(mut exchange) => {
                match exchange.poll(now).map(split::<CreateMultipartUpload>) {
                    None => {
                        self.phase = Phase::Creating(exchange);
                        Step::Idle
                    }
                    Some(Err(Ok(created))) => {
                        self.upload_id = Some(created.upload_id);
                        self.phase = Phase::Parts;
                        for index in self.active.clone() {
                            if let PartState::Buffered(data) =
                                self.set_state(index, PartState::Waiting)
                            {
                                self.send_part(index, data);
                            }
                        }
                        Step::Again
                    }
                    Some(Err(Err(error))) => {
                        self.finish(Err(error));
                        Step::Again
                    }
                    Some(Ok(action)) => {
                        self.phase = Phase::Creating(exchange);
                        Step::Act(action)
                    }
                }
            }
            Phase::Parts => {
                self.phase = Phase::Parts;
                self.step_parts(now)
            }
            Phase::Completing(mut exchange, tries) => {
                match exchange.poll(now).map(split::<CompleteMultipartUpload>) {
                    None => {
                        self.phase = Phase::Completing(exchange, tries);
                        Step::Idle
                    }
                    Some(Err(Ok(out))) => {
                        self.finish(Ok(self.output(out.etag)));
                        Step::Again
                    }
                    Some(Err(Err(error))) => {
                        self.after_complete_failure(tries, error);
                        Step::Again
                    }
                    Some(Ok(action)) => {
                        self.phase = Phase::Completing(exchange, tries);
                        Step::Act(action)
                    }
                }
            }
            Phase::Verifying(mut exchange, tries, error) => {
                match exchange.poll(now).map(split::<HeadObject>) {
                    None => {
                        self.phase = Phase::Verifying(exchange, tries, error);
                        Step::Idle
                    }
                    Some(Err(result)) => {
                        let expected = self.expected_etag();
                        let total = self.plan.map(|p| p.total()).or(self.progress.total);
                        match result {
                            Ok(head)
                                if expected.is_some()
                                    && head.etag == expected
                                    && head.content_length == total =>
                            {
                                let etag = head.etag.unwrap_or_else(|| ETag::new(""));
                                self.finish(Ok(self.output(etag)));
                            }
                            _ => self.retry_complete(now, tries, error),
                        }
                        Step::Again
                    }
                    Some(Ok(action)) => {
                        self.phase = Phase::Verifying(exchange, tries, error);
                        Step::Act(action)
                    }
                }
            }
            Phase::CompleteBackoff(until, tries) => {
                if now.instant < until {
                    self.phase = Phase::CompleteBackoff(until, tries);
                    return Step::Idle;
                }
                self.start_complete(tries);
                Step::Again
            }
            Phase::Draining(failure) => {
                if !self.active.is_empty() {
                    self.phase = Phase::Draining(failure);
                    return Step::Idle;
                }
                self.after_drain(failure);
                Step::Again
            }
            Phase::Aborting(mut exchange, mut failure) => {
                match exchange.poll(now).map(split::<AbortMultipartUpload>) {
                    None => {
                        self.phase = Phase::Aborting(exchange, failure);
                        Step::Idle
                    }
                    Some(Err(result)) => {
                        // `NoSuchUpload` on a retried abort: the first one took effect.
                        failure.aborted = match result {
                            Ok(_) => true,
                            Err(R2Error::Multipart(MultipartError::NoSuchUpload(_))) => {
                                exchange.attempts() > 1
                            }
                            Err(_) => false,
                        };
                        if !failure.aborted {
                            // The upload still exists: say how to resume (or abort) it.
                            failure.resume = self.resume_state();
                        }
                        self.finish(Err(R2Error::Upload(failure)));
                        Step::Again
                    }
                    Some(Ok(action)) => {
                        self.phase = Phase::Aborting(exchange, failure);
                        Step::Act(action)
                    }
                }
            }
            Phase::Finished(mut result) => {
                let action = result.take().map(|r| match r {
                    Ok(output) => UploadAction::Done(output),
                    Err(error) => UploadAction::Failed(error),
                });
                self.phase = Phase::Finished(None);
                action.map_or(Step::Idle, Step::Act)
            }
        }
    }

    fn output(&self, etag: ETag) -> UploadOutput {
        UploadOutput {
            etag,
            upload_id: self.upload_id.clone(),
            parts: u32::try_from(self.parts.len()).unwrap_or(u32::MAX),
            size: self.progress.confirmed,
        }
    }

    fn start(&mut self) -> Step {
        match (self.source, self.plan) {
            (UploadSource::Sized(total), Some(plan))
                if total < self.options.multipart_threshold =>
            {
                if total == 0 {
                    self.start_single(Vec::new());
                    return Step::Again;
                }
                self.phase = Phase::ReadingSingle;
                Step::Act(UploadAction::ReadPart {
                    part: 1,
                    offset: 0,
                    len: plan.total(),
                })
            }
            (UploadSource::Sized(_), _) => {
                self.start_create();
                Step::Again
            }
            (UploadSource::Stream, _) => self.stream_step(),
        }
    }

    /// The most a stream is buffered before choosing single or multipart.
    fn stream_buffer_cap(&self) -> u64 {
        let window = self.part_size * self.options.concurrency as u64;
        window.min(self.options.multipart_threshold)
    }

    /// Stream before the decision: read until it ends (single PutObject) or
    /// the buffer is full (multipart).
    fn stream_step(&mut self) -> Step {
        if self.stream_reading {
            return Step::Idle;
        }
        let buffered: u64 = self.parts.iter().map(|p| p.size).sum();
        if self.stream_ended {
            if buffered < self.options.multipart_threshold || self.parts.is_empty() {
                let chunks = self
                    .parts
                    .drain(..)
                    .filter_map(|p| match p.state {
                        PartState::Buffered(data) => Some(data),
                        _ => None,
                    })
                    .collect();
                self.active.clear();
                self.start_single(chunks);
            } else {
                self.start_create();
            }
            return Step::Again;
        }
        if !self.parts.is_empty() && buffered >= self.stream_buffer_cap() {
            self.start_create();
            return Step::Again;
        }
        self.read_stream()
    }

    fn read_stream(&mut self) -> Step {
        let number = self.parts.len() as u64 + 1;
        if number > MAX_PARTS {
            let limit = self.part_size * MAX_PARTS;
            self.fail(failure(
                u32::try_from(number).ok(),
                RequestError::TooLarge {
                    bytes: limit + 1,
                    limit,
                }
                .into(),
            ));
            return Step::Again;
        }
        self.stream_reading = true;
        self.parts.push(Part {
            size: 0,
            state: PartState::Waiting,
        });
        let index = self.parts.len() - 1;
        self.set_state(index, PartState::Reading);
        Step::Act(UploadAction::ReadStream {
            part: part_number(index),
            max: self.part_size,
        })
    }

    fn start_single(&mut self, chunks: Vec<Bytes>) {
        let (integrity, _) = self.options.part_integrity.header(&chunks);
        let mut put = PutObject::from_chunks(self.bucket.clone(), self.key.clone(), chunks)
            .attributes(self.options.attributes.clone());
        put = match integrity {
            Some(integrity) => put.integrity(integrity),
            None => put.no_integrity(),
        };
        match Exchange::new(self.core.clone(), put) {
            Ok(exchange) => {
                self.progress.sent = exchange.operation().body().content_length();
                self.progress.total = Some(self.progress.sent);
                self.phase = Phase::Single(Box::new(exchange));
            }
            Err(error) => self.finish(Err(error)),
        }
    }

    fn start_create(&mut self) {
        let mut create = CreateMultipartUpload::new(self.bucket.clone(), self.key.clone())
            .attributes(self.options.attributes.clone());
        if let Some(algorithm) = self.options.part_integrity.algorithm() {
            create = create.checksum(algorithm, ChecksumType::Composite);
        }
        match Exchange::new(self.core.clone(), create) {
            Ok(exchange) => self.phase = Phase::Creating(Box::new(exchange)),
            Err(error) => self.finish(Err(error)),
        }
    }

    /// Sends part `index` (its bytes just read), or buffers it until the upload exists.
    fn send_part(&mut self, index: usize, data: Bytes) {
        let Some(upload_id) = self.upload_id.clone() else {
            self.set_state(index, PartState::Buffered(data));
            return;
        };
        let number = part_number(index);
        let size = data.len() as u64;
        let (integrity, checksum) = self.options.part_integrity.header(&[&data]);
        let mut op = UploadPart::new(
            self.bucket.clone(),
            self.key.clone(),
            upload_id,
            number,
            data,
        );
        if let Some(integrity) = integrity {
            op = op.integrity(integrity);
        }
        match Exchange::new(self.core.clone(), op) {
            Ok(exchange) => {
                self.progress.sent += size;
                self.set_state(index, PartState::Sending(Box::new(exchange), checksum));
            }
            Err(error) => {
                self.set_state(index, PartState::Waiting);
                self.fail(failure(Some(number), error));
            }
        }
    }

    fn step_parts(&mut self, now: Now) -> Step {
        // Parts being sent: relay their actions, collect their outcomes.
        for slot in 0..self.active.len() {
            let Some(&index) = self.active.get(slot) else {
                break;
            };
            let Some(PartState::Sending(exchange, checksum)) =
                self.parts.get_mut(index).map(|p| &mut p.state)
            else {
                continue;
            };
            let checksum = *checksum;
            match exchange.poll(now).map(split::<UploadPart>) {
                None => {}
                Some(Err(Ok(out))) => {
                    self.confirm(
                        index,
                        Confirmed {
                            etag: out.etag,
                            checksum,
                        },
                    );
                    return Step::Again;
                }
                Some(Err(Err(error))) => {
                    self.set_state(index, PartState::Waiting);
                    self.fail(failure(Some(part_number(index)), error));
                    return Step::Again;
                }
                Some(Ok(action)) => return Step::Act(action),
            }
        }
        // More reads, within the window.
        if self.active.len() < self.options.concurrency {
            match self.source {
                UploadSource::Sized(_) => {
                    while let Some(part) = self.parts.get(self.next_read) {
                        if matches!(part.state, PartState::Waiting | PartState::Listed(_)) {
                            return self.read_part(self.next_read);
                        }
                        self.next_read += 1;
                    }
                }
                UploadSource::Stream if !self.stream_ended && !self.stream_reading => {
                    return self.read_stream();
                }
                UploadSource::Stream => {}
            }
        }
        let all_done = self.progress.parts_done as usize == self.parts.len();
        let source_done = self.source != UploadSource::Stream || self.stream_ended;
        if all_done && source_done && self.active.is_empty() {
            self.start_complete(0);
            return Step::Again;
        }
        Step::Idle
    }

    fn read_part(&mut self, index: usize) -> Step {
        let Some(plan) = self.plan else {
            return Step::Idle;
        };
        let next = match self.set_state(index, PartState::Reading) {
            PartState::Listed(listed) => PartState::Checking(listed),
            _ => PartState::Reading,
        };
        self.set_state(index, next);
        let number = part_number(index);
        let (offset, len) = plan.range(number);
        Step::Act(UploadAction::ReadPart {
            part: number,
            offset,
            len,
        })
    }

    /// The parts as confirmed, in order; `None` if one is not.
    fn confirmed_parts(&self) -> Option<Vec<&Confirmed>> {
        self.parts
            .iter()
            .map(|p| match &p.state {
                PartState::Done(confirmed) => Some(confirmed),
                _ => None,
            })
            .collect()
    }

    /// The ETag the object will have if CompleteMultipartUpload took effect.
    fn expected_etag(&self) -> Option<ETag> {
        let parts = self.confirmed_parts()?;
        let etags: Vec<&ETag> = parts.iter().map(|c| &c.etag).collect();
        multipart_etag(&etags)
    }

    fn start_complete(&mut self, tries: u32) {
        let (Some(upload_id), Some(confirmed)) = (self.upload_id.clone(), self.confirmed_parts())
        else {
            return;
        };
        let parts = confirmed
            .iter()
            .enumerate()
            .map(|(index, c)| {
                let part = CompletedPart::new(part_number(index), c.etag.clone());
                match c.checksum {
                    Some(checksum) => part.checksum(checksum),
                    None => part,
                }
            })
            .collect();
        let complete =
            CompleteMultipartUpload::new(self.bucket.clone(), self.key.clone(), upload_id, parts);
        match Exchange::single_attempt(self.core.clone(), complete) {
            Ok(exchange) => self.phase = Phase::Completing(Box::new(exchange), tries + 1),
            Err(error) => self.fail(failure(None, error)),
        }
    }

    /// A Complete that failed: a final refusal ends the upload; an uncertain
    /// outcome (transport failure, server error, or `NoSuchUpload`, which a
    /// lost earlier success also produces) is checked with HeadObject
    /// before Complete is tried again.
    fn after_complete_failure(&mut self, tries: u32, error: R2Error) {
        let uncertain = RetryClass::of(&error) != RetryClass::Permanent
            || matches!(error, R2Error::Multipart(MultipartError::NoSuchUpload(_)));
        if !uncertain {
            self.fail(failure(None, error));
            return;
        }
        match Exchange::new(
            self.core.clone(),
            HeadObject::new(self.bucket.clone(), self.key.clone()),
        ) {
            Ok(exchange) => self.phase = Phase::Verifying(Box::new(exchange), tries, error),
            Err(head_error) => self.fail(failure(None, head_error)),
        }
    }

    /// The object is not (yet) there: wait and try Complete again, unless
    /// the tries are spent or the error says the upload is gone.
    fn retry_complete(&mut self, now: Now, tries: u32, error: R2Error) {
        let class = RetryClass::of(&error);
        let delay = if tries >= MAX_COMPLETE_TRIES {
            None
        } else {
            let mut shared = self.core.shared();
            self.core
                .retry_policy()
                .delay(class, tries, error.retry_after(), &mut shared.jitter)
        };
        match delay {
            Some(after) => {
                self.notes.push_back(Note::Retrying {
                    attempt: tries,
                    after,
                    class,
                    error,
                });
                self.phase = Phase::CompleteBackoff(now.instant + after, tries);
            }
            None => self.fail(failure(None, error)),
        }
    }

    fn after_drain(&mut self, mut failure: Box<UploadFailure>) {
        let Some(upload_id) = self.upload_id.clone() else {
            self.finish(Err(failure.cause));
            return;
        };
        // A stream cannot be read again, so it has no resume state: its
        // upload is aborted even when asked to keep it, never left behind.
        if self.options.keep_on_failure
            && let Some(state) = self.resume_state()
        {
            failure.resume = Some(state);
            self.finish(Err(R2Error::Upload(failure)));
            return;
        }
        let abort = AbortMultipartUpload::new(self.bucket.clone(), self.key.clone(), upload_id);
        match Exchange::new(self.core.clone(), abort) {
            Ok(exchange) => self.phase = Phase::Aborting(Box::new(exchange), failure),
            Err(_) => {
                failure.resume = self.resume_state();
                self.finish(Err(R2Error::Upload(failure)));
            }
        }
    }

    /// Takes what happened. Reads that arrive once the upload is ending, and
    /// answers to requests the machine no longer waits for, are dropped.
    pub fn handle(&mut self, now: Now, event: UploadEvent) {
        match event {
            UploadEvent::PartRead { .. }
            | UploadEvent::StreamRead { .. }
            | UploadEvent::ReadFailed { .. }
                if self.ending() => {}
            UploadEvent::PartRead { part, data } => self.part_read(part, data),
            UploadEvent::StreamRead { part, data, end } => self.stream_read(part, data, end),
            UploadEvent::ReadFailed { part, message } => {
                self.stream_reading = false;
                self.set_state(part_index(part), PartState::Waiting);
                self.source_failed(part, message);
            }
            UploadEvent::Answer(event) => self.route(now, event),
        }
    }

    fn part_read(&mut self, number: u32, data: Bytes) {
        if matches!(self.phase, Phase::ReadingSingle) {
            let expected = self.plan.map_or(0, |p| p.total());
            if data.len() as u64 == expected {
                self.start_single(vec![data]);
            } else {
                self.source_failed(
                    number,
                    format!("read {} bytes, expected {expected}", data.len()),
                );
            }
            return;
        }
        let index = part_index(number);
        let Some(part) = self.parts.get(index) else {
            return;
        };
        if !matches!(part.state, PartState::Reading | PartState::Checking(_)) {
            return;
        }
        if data.len() as u64 != part.size {
            let message = format!("read {} bytes, expected {}", data.len(), part.size);
            self.set_state(index, PartState::Waiting);
            self.source_failed(number, message);
            return;
        }
        match self.set_state(index, PartState::Reading) {
            PartState::Checking(listed) => {
                let (_, checksum) = self.options.part_integrity.header(&[&data]);
                let same_checksum = listed.checksum.is_none() || listed.checksum == checksum;
                if listed.etag.md5_hex() == Some(md5_hex(&data).as_str()) && same_checksum {
                    self.confirm(
                        index,
                        Confirmed {
                            etag: listed.etag,
                            checksum,
                        },
                    );
                } else {
                    self.send_part(index, data);
                }
            }
            _ => self.send_part(index, data),
        }
    }

    fn stream_read(&mut self, number: u32, data: Bytes, end: bool) {
        let index = part_index(number);
        let is_pending = index + 1 == self.parts.len()
            && matches!(
                self.parts.get(index).map(|p| &p.state),
                Some(PartState::Reading)
            );
        if !self.stream_reading || !is_pending {
            return;
        }
        self.stream_reading = false;
        let len = data.len() as u64;
        if len > self.part_size || (!end && len != self.part_size) {
            let message = format!(
                "the stream gave {len} bytes for part {number}; every part but the last must have {}",
                self.part_size
            );
            self.set_state(index, PartState::Waiting);
            self.source_failed(number, message);
            return;
        }
        if end {
            self.stream_ended = true;
            let before: u64 = self.parts.iter().map(|p| p.size).sum();
            self.progress.total = Some(before + len);
        }
        if len == 0 && end {
            self.set_state(index, PartState::Waiting);
            self.parts.pop();
            return;
        }
        if let Some(part) = self.parts.get_mut(index) {
            part.size = len;
        }
        self.send_part(index, data);
    }

    /// Hands an answer to the exchange waiting for it.
    fn route(&mut self, now: Now, event: Event) {
        let id = event.id();
        match &mut self.phase {
            Phase::Listing(e, ..) if e.in_flight() == Some(id) => return e.handle(now, event),
            Phase::Single(e) if e.in_flight() == Some(id) => return e.handle(now, event),
            Phase::Creating(e) if e.in_flight() == Some(id) => return e.handle(now, event),
            Phase::Completing(e, _) if e.in_flight() == Some(id) => return e.handle(now, event),
            Phase::Verifying(e, _, _) if e.in_flight() == Some(id) => return e.handle(now, event),
            Phase::Aborting(e, _) if e.in_flight() == Some(id) => return e.handle(now, event),
            _ => {}
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

/// An exchange's action: one to relay to the driver, or its end.
fn split<O: Operation>(
    action: Action<O::Output>,
) -> Result<UploadAction, Result<O::Output, R2Error>> {
    match action {
        Action::Send { id, request } => Ok(UploadAction::Send { id, request }),
        Action::Note(note) => Ok(UploadAction::Note {
            operation: O::NAME,
            note,
        }),
        Action::Done(result) => Err(result),
    }
}

/// What one step of the machine produced.
#[expect(
    clippy::large_enum_variant,
    reason = "a step is moved once, straight out to the driver; boxing would allocate per request"
)]
enum Step {
    /// An action for the driver.
    Act(UploadAction),
    /// Something changed: step again.
    Again,
    /// Nothing to do until an event or the deadline.
    Idle,
}
