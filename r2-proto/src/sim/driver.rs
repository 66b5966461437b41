//! Drivers that run the core's machines against the fake server on a fake
//! clock: the same event/action loops an adapter writes, with the network
//! replaced by [`FakeS3`], [`Faults`] and seeded latencies.
//!
//! Every request is applied when sent and answered after its latency; the
//! driver always delivers the earliest answer next and moves the clock
//! straight to it, or to the machine's deadline when that comes first. A
//! run is a pure function of its inputs and seeds.
//!
//! The drivers check the machines' promises as they go: an upload never has
//! more parts in its window than its concurrency, never has one part number
//! in flight twice, and never finishes with a request still in flight.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::NetworkError;
use crate::error::R2Error;
use crate::exchange::{Action, Event, Exchange};
use crate::ops::{Operation, RequestBody};
use crate::resilience::{Jitter, Note};
use crate::transfer::{
    BodyPlan, Download, DownloadAction, DownloadEvent, DownloadOptions, DownloadOutput, RangeBody,
    Upload, UploadAction, UploadEvent, UploadOptions, UploadOutput, UploadSource, part_of,
};
use crate::{BucketName, ClientCore, Now, ObjectKey, RequestId};
use bytes::Bytes;
use http::{Request, Response};
use time::OffsetDateTime;

use super::fake_s3::{FakeS3, RequestKind, error_response};
use super::faults::{Fault, Faults};

/// How long a lost answer keeps the driver waiting.
pub const LOST_ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// One thing that happened in a run, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum TraceStep {
    /// A request went out, at this time since the start.
    Sent {
        /// What it asked for.
        kind: RequestKind,
        /// When, since the start of the run.
        at: Duration,
    },
    /// The answer to a request of this kind arrived.
    Answered {
        /// What it asked for.
        kind: RequestKind,
    },
    /// The driver read part `part` of the source.
    Read {
        /// The part.
        part: u32,
    },
    /// The clock moved forward with nothing in flight (a backoff or rate-limit wait).
    Waited(Duration),
    /// The machine noted this.
    Note(Note),
}

/// Why a run did not finish as a machine run should.
#[derive(Debug)]
pub enum SimError {
    /// The machine failed (the error it reported).
    Machine(R2Error),
    /// The machine neither acted nor gave a deadline with nothing in flight.
    Stalled,
    /// A promise of the machine was broken.
    Broken(String),
}

impl From<R2Error> for SimError {
    fn from(error: R2Error) -> Self {
        Self::Machine(error)
    }
}

/// How the source of an upload gives its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceMode {
    /// Known length, read at offsets.
    Sized,
    /// A file read at offsets, found `grown` bytes longer from part
    /// `from` on.
    GrowingFile {
        /// The first part read after the file grew.
        from: u32,
        /// How many bytes it grew by.
        grown: u64,
    },
    /// A stream that says it ended with its last bytes.
    StreamEager,
    /// A stream that only notices its end on the next read (0 bytes).
    StreamLazy,
}

/// A scheduled change to the server: after `after` requests, store `data` at `key`.
#[derive(Debug, Clone)]
struct Mutation {
    after: usize,
    bucket: String,
    key: String,
    data: Bytes,
}

/// A request in flight.
#[derive(Debug)]
struct InFlight {
    id: RequestId,
    kind: RequestKind,
    ready_at: Instant,
    answer: Answer,
}

impl InFlight {
    /// The answer as a machine takes it: the whole response, its body cut
    /// where a fault cut it, or the transport failure.
    fn into_event(self) -> Event {
        let id = self.id;
        match self.answer {
            Answer::Response(response) => Event::Response { id, response },
            Answer::Cut(response, keep) => {
                let (parts, body) = response.into_parts();
                let keep = usize::try_from(keep).unwrap_or(usize::MAX).min(body.len());
                Event::Response {
                    id,
                    response: Response::from_parts(parts, body.slice(..keep)),
                }
            }
            Answer::Network(error) => Event::Failed { id, error },
        }
    }
}

#[derive(Debug)]
enum Answer {
    Response(Response<Bytes>),
    /// The response, with its body cut to this many bytes.
    Cut(Response<Bytes>, u64),
    Network(NetworkError),
}

/// The simulated world.
#[derive(Debug)]
pub struct Sim {
    /// The fake server.
    pub server: FakeS3,
    /// The fault schedule.
    pub faults: Faults,
    /// What happened, in order.
    pub trace: Vec<TraceStep>,
    now: Now,
    start: Instant,
    latency: Jitter,
    max_latency: Duration,
    mutations: Vec<Mutation>,
    sent: usize,
}

impl Sim {
    /// A world with `server`, no faults, answers within 0–50 ms drawn from `seed`.
    pub fn new(server: FakeS3, seed: u64) -> Self {
        let start = Instant::now();
        let wall = OffsetDateTime::from_unix_timestamp(1_714_564_800)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Self {
            server,
            faults: Faults::none(),
            trace: Vec::new(),
            now: Now::new(start, wall),
            start,
            latency: Jitter::new(seed),
            max_latency: Duration::from_millis(50),
            mutations: Vec::new(),
            sent: 0,
        }
    }

    /// Sets the fault schedule.
    pub fn with_faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Sets the largest latency (0 makes every answer immediate, in send order).
    pub fn with_max_latency(mut self, max: Duration) -> Self {
        self.max_latency = max;
        self
    }

    /// After `after` requests, another writer stores `data` at `key`.
    pub fn replace_after(
        mut self,
        after: usize,
        bucket: &str,
        key: &str,
        data: impl Into<Bytes>,
    ) -> Self {
        self.mutations.push(Mutation {
            after,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            data: data.into(),
        });
        self
    }

    /// Lets `by` pass with nothing happening.
    pub fn sleep(&mut self, by: Duration) {
        self.now = self.now.advanced(by);
    }

    /// The simulated time now.
    pub fn now(&self) -> Now {
        self.now
    }

    /// Time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now.instant.saturating_duration_since(self.start)
    }

    /// The kinds of the requests sent, in order.
    pub fn sent_kinds(&self) -> Vec<RequestKind> {
        self.trace
            .iter()
            .filter_map(|s| match s {
                TraceStep::Sent { kind, .. } => Some(*kind),
                _ => None,
            })
            .collect()
    }

    /// The kinds of the answers received, in order.
    pub fn answered_kinds(&self) -> Vec<RequestKind> {
        self.trace
            .iter()
            .filter_map(|s| match s {
                TraceStep::Answered { kind } => Some(*kind),
                _ => None,
            })
            .collect()
    }

    /// The waits, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.trace
            .iter()
            .filter_map(|s| match s {
                TraceStep::Waited(d) => Some(*d),
                _ => None,
            })
            .collect()
    }

    /// The notes, in order.
    pub fn notes(&self) -> Vec<&Note> {
        self.trace
            .iter()
            .filter_map(|s| match s {
                TraceStep::Note(n) => Some(n),
                _ => None,
            })
            .collect()
    }

    fn advance_to(&mut self, at: Instant, idle: bool) {
        let by = at.saturating_duration_since(self.now.instant);
        if by.is_zero() {
            return;
        }
        if idle {
            self.trace.push(TraceStep::Waited(by));
        }
        self.now = self.now.advanced(by);
    }

    /// Moves the clock to a machine's deadline. A deadline already passed
    /// after the machine was polled would make a real driver spin.
    fn wait_for(&mut self, deadline: Instant, idle: bool) -> Result<(), SimError> {
        if deadline <= self.now.instant {
            return Err(SimError::Broken(
                "a deadline that has passed, with nothing to do".into(),
            ));
        }
        self.advance_to(deadline, idle);
        Ok(())
    }

    fn draw_latency(&mut self) -> Duration {
        let max = u64::try_from(self.max_latency.as_micros()).unwrap_or(u64::MAX);
        Duration::from_micros(self.latency.up_to(max))
    }

    /// Sends `request`: the server applies it now (unless a fault stops it)
    /// and its answer is due after a latency.
    fn send(&mut self, id: RequestId, request: &Request<RequestBody>) -> InFlight {
        let kind = RequestKind::of(request);
        self.trace.push(TraceStep::Sent {
            kind,
            at: self.elapsed(),
        });
        self.sent += 1;
        let sent = self.sent;
        let due: Vec<Mutation> = self
            .mutations
            .iter()
            .filter(|m| m.after + 1 == sent)
            .cloned()
            .collect();
        for m in due {
            self.server.put(&m.bucket, &m.key, m.data);
        }
        let mut latency = self.draw_latency();
        let wall = self.now.wall;
        let answer = match self.faults.pick(kind) {
            None => Answer::Response(self.server.handle(request, wall)),
            Some(Fault::Error {
                status,
                code,
                retry_after,
            }) => {
                let mut response = error_response(status, code, "injected", "");
                if let Some(seconds) = retry_after
                    && let Ok(value) = http::HeaderValue::from_str(&seconds.to_string())
                {
                    response
                        .headers_mut()
                        .insert(http::header::RETRY_AFTER, value);
                }
                Answer::Response(response)
            }
            Some(Fault::Refused) => {
                Answer::Network(NetworkError::ConnectionFailed("injected: refused".into()))
            }
            Some(Fault::LostAnswer) => {
                self.server.handle(request, wall);
                latency = LOST_ANSWER_TIMEOUT;
                Answer::Network(NetworkError::Timeout(LOST_ANSWER_TIMEOUT))
            }
            Some(Fault::AppliedThenError { status, code }) => {
                self.server.handle(request, wall);
                Answer::Response(error_response(
                    status,
                    code,
                    "injected after the work was done",
                    "",
                ))
            }
            Some(Fault::AppliedWithBody(body)) => {
                let (parts, _) = self.server.handle(request, wall).into_parts();
                Answer::Response(http::Response::from_parts(
                    parts,
                    Bytes::from_static(body.as_bytes()),
                ))
            }
            Some(Fault::AppliedWithHeader(name, value)) => {
                let mut answer = self.server.handle(request, wall);
                answer
                    .headers_mut()
                    .insert(name, http::HeaderValue::from_static(value));
                Answer::Response(answer)
            }
            Some(Fault::CutBody(keep)) => Answer::Cut(self.server.handle(request, wall), keep),
            Some(Fault::Delay(delay)) => {
                latency = delay;
                Answer::Response(self.server.handle(request, wall))
            }
        };
        InFlight {
            id,
            kind,
            ready_at: self.now.instant + latency,
            answer,
        }
    }

    fn note(&mut self, note: Note) {
        self.trace.push(TraceStep::Note(note));
    }

    /// Runs `operation` to its end with an [`Exchange`].
    pub fn run_exchange<O: Operation>(
        &mut self,
        core: &Arc<ClientCore>,
        operation: O,
    ) -> Result<O::Output, SimError> {
        let mut exchange = Exchange::new(core.clone(), operation)?;
        let mut in_flight: Option<InFlight> = None;
        loop {
            while let Some(action) = exchange.poll(self.now) {
                match action {
                    Action::Send { id, request } => {
                        if in_flight.is_some() {
                            return Err(SimError::Broken("two attempts in flight at once".into()));
                        }
                        in_flight = Some(self.send(id, &request));
                    }
                    Action::Note(note) => self.note(note),
                    Action::Done(result) => return result.map_err(SimError::Machine),
                }
            }
            match in_flight.take() {
                Some(flight) => {
                    self.advance_to(flight.ready_at, false);
                    self.trace.push(TraceStep::Answered { kind: flight.kind });
                    exchange.handle(self.now, flight.into_event());
                }
                None => match exchange.deadline() {
                    Some(deadline) => self.wait_for(deadline, true)?,
                    None => return Err(SimError::Stalled),
                },
            }
        }
    }

    /// Uploads `source` with the [`Upload`] machine.
    pub fn run_upload(
        &mut self,
        core: &Arc<ClientCore>,
        bucket: &str,
        key: &str,
        source: Bytes,
        mode: SourceMode,
        options: UploadOptions,
    ) -> Result<UploadOutput, SimError> {
        let bucket = BucketName::new(bucket).map_err(R2Error::from)?;
        let key = ObjectKey::new(key).map_err(R2Error::from)?;
        let kind = match mode {
            SourceMode::Sized | SourceMode::GrowingFile { .. } => {
                UploadSource::Sized(source.len() as u64)
            }
            SourceMode::StreamEager | SourceMode::StreamLazy => UploadSource::Stream,
        };
        let concurrency = options.concurrency;
        let mut upload = Upload::new(core.clone(), bucket, key, kind, options)?;
        self.drive_upload(&mut upload, source, mode, concurrency, None)
    }

    /// Drives an upload already made (a resumed one, say); `read_fails`
    /// makes the read of that part fail.
    pub fn drive_upload(
        &mut self,
        upload: &mut Upload,
        source: Bytes,
        mode: SourceMode,
        concurrency: usize,
        read_fails: Option<u32>,
    ) -> Result<UploadOutput, SimError> {
        let mut flights: Vec<InFlight> = Vec::new();
        let mut reads: Vec<(Instant, UploadEvent)> = Vec::new();
        let mut stream_at = 0usize;
        let mut confirmed = 0u64;
        loop {
            while let Some(action) = upload.poll(self.now) {
                match action {
                    UploadAction::ReadPart { part, offset, len } => {
                        self.trace.push(TraceStep::Read { part });
                        let event = if read_fails == Some(part) {
                            UploadEvent::ReadFailed {
                                part,
                                message: "injected read failure".into(),
                            }
                        } else {
                            let data = part_of(&source, offset, len);
                            match mode {
                                SourceMode::GrowingFile { from, grown } => {
                                    let size = source.len() as u64;
                                    let file_len = if part >= from { size + grown } else { size };
                                    UploadEvent::file_part_read(part, Ok((data, file_len)))
                                }
                                _ => UploadEvent::PartRead { part, data },
                            }
                        };
                        reads.push((self.now.instant, event));
                    }
                    UploadAction::ReadStream { part, max } => {
                        self.trace.push(TraceStep::Read { part });
                        let end_at = stream_at
                            .saturating_add(usize::try_from(max).unwrap_or(usize::MAX))
                            .min(source.len());
                        let data = source.slice(stream_at..end_at);
                        stream_at = end_at;
                        let end = match mode {
                            SourceMode::StreamLazy => (data.len() as u64) < max,
                            _ => stream_at == source.len(),
                        };
                        let event = if read_fails == Some(part) {
                            UploadEvent::ReadFailed {
                                part,
                                message: "injected read failure".into(),
                            }
                        } else {
                            UploadEvent::StreamRead { part, data, end }
                        };
                        reads.push((self.now.instant, event));
                    }
                    UploadAction::Send { id, request } => {
                        let flight = self.send(id, &request);
                        if let RequestKind::UploadPart(n) = flight.kind
                            && flights.iter().any(|f| f.kind == RequestKind::UploadPart(n))
                        {
                            return Err(SimError::Broken(format!("part {n} in flight twice")));
                        }
                        flights.push(flight);
                    }
                    UploadAction::Note { note, .. } => self.note(note),
                    UploadAction::Progress(progress) => {
                        if progress.confirmed < confirmed {
                            return Err(SimError::Broken("the progress went back".into()));
                        }
                        confirmed = progress.confirmed;
                    }
                    UploadAction::SaveState(_) => {}
                    UploadAction::Done(output) => {
                        return if confirmed != output.size {
                            Err(SimError::Broken(format!(
                                "done after progress to {confirmed} of {}",
                                output.size
                            )))
                        } else if flights.is_empty() {
                            Ok(output)
                        } else {
                            Err(SimError::Broken("done with requests in flight".into()))
                        };
                    }
                    UploadAction::Failed(error) => {
                        return if flights.is_empty() {
                            Err(SimError::Machine(error))
                        } else {
                            Err(SimError::Broken("failed with requests in flight".into()))
                        };
                    }
                }
            }
            if upload.parts_in_window() > concurrency {
                return Err(SimError::Broken(format!(
                    "{} parts in the window, concurrency {concurrency}",
                    upload.parts_in_window()
                )));
            }
            // Reads finish first (local disk), then the earliest answer.
            if !reads.is_empty() {
                let (_, event) = reads.remove(0);
                upload.handle(self.now, event);
                continue;
            }
            let earliest = flights
                .iter()
                .enumerate()
                .min_by_key(|(_, f)| f.ready_at)
                .map(|(i, f)| (i, f.ready_at));
            match (earliest, upload.deadline()) {
                (Some((_, ready)), Some(deadline)) if deadline < ready => {
                    self.wait_for(deadline, false)?;
                }
                (Some((index, _)), _) => {
                    let flight = flights.remove(index);
                    self.advance_to(flight.ready_at, false);
                    self.trace.push(TraceStep::Answered { kind: flight.kind });
                    upload.handle(self.now, flight.into_event().into());
                }
                (None, Some(deadline)) => self.wait_for(deadline, true)?,
                (None, None) => return Err(SimError::Stalled),
            }
        }
    }

    /// Downloads `key` with the [`Download`] machine; returns the bytes
    /// written at their offsets.
    pub fn run_download(
        &mut self,
        core: &Arc<ClientCore>,
        bucket: &str,
        key: &str,
        options: DownloadOptions,
    ) -> Result<(Vec<u8>, DownloadOutput), SimError> {
        let bucket = BucketName::new(bucket).map_err(R2Error::from)?;
        let key = ObjectKey::new(key).map_err(R2Error::from)?;
        let concurrency = options.concurrency;
        let mut download = Download::new(core.clone(), bucket, key, options);
        let mut flights: Vec<InFlight> = Vec::new();
        let mut file: Vec<u8> = Vec::new();
        let mut prefix = 0;
        let mut received = 0;
        loop {
            while let Some(action) = download.poll(self.now) {
                match action {
                    DownloadAction::Fetch(fetch) => {
                        flights.push(self.send(fetch.id, &fetch.request))
                    }
                    DownloadAction::Note(note) => self.note(note),
                    DownloadAction::Progress(progress) => {
                        if progress.received < received
                            || progress.total.is_some_and(|t| progress.received > t)
                        {
                            return Err(SimError::Broken(format!(
                                "download progress {progress:?} after {received} bytes"
                            )));
                        }
                        received = progress.received;
                    }
                    DownloadAction::Deliver { offset, chunks } => {
                        if offset != file.len() as u64 || offset >= download.completed_prefix() {
                            return Err(SimError::Broken(format!(
                                "bytes at {offset} delivered after {} of {} complete",
                                file.len(),
                                download.completed_prefix()
                            )));
                        }
                        chunks
                            .iter()
                            .for_each(|chunk| file.extend_from_slice(chunk));
                    }
                    DownloadAction::Done(output) => {
                        return if received != output.size {
                            Err(SimError::Broken(format!(
                                "done after progress to {received} of {}",
                                output.size
                            )))
                        } else if flights.is_empty() {
                            Ok((file, output))
                        } else {
                            Err(SimError::Broken("done with ranges in flight".into()))
                        };
                    }
                    DownloadAction::Failed(error) => return Err(SimError::Machine(error)),
                }
            }
            if flights.len() > concurrency {
                return Err(SimError::Broken(format!(
                    "{} ranges in flight",
                    flights.len()
                )));
            }
            let ids: HashSet<RequestId> = flights.iter().map(|f| f.id).collect();
            if ids.len() != flights.len() {
                return Err(SimError::Broken("one id in flight twice".into()));
            }
            let earliest = flights
                .iter()
                .enumerate()
                .min_by_key(|(_, f)| f.ready_at)
                .map(|(i, f)| (i, f.ready_at));
            match (earliest, download.deadline()) {
                (Some((_, ready)), Some(deadline)) if deadline < ready => {
                    self.wait_for(deadline, false)?
                }
                (Some((index, _)), _) => {
                    let flight = flights.remove(index);
                    self.advance_to(flight.ready_at, false);
                    self.trace.push(TraceStep::Answered { kind: flight.kind });
                    self.deliver_range(&mut download, flight, &mut file);
                }
                (None, Some(deadline)) => self.wait_for(deadline, true)?,
                (None, None) => return Err(SimError::Stalled),
            }
            let now_prefix = download.completed_prefix();
            if now_prefix < prefix {
                return Err(SimError::Broken("the completed prefix went back".into()));
            }
            prefix = now_prefix;
        }
    }

    fn deliver_range(&mut self, download: &mut Download, flight: InFlight, file: &mut Vec<u8>) {
        let id = flight.id;
        let (response, keep) = match flight.answer {
            Answer::Network(error) => {
                return download.handle(self.now, DownloadEvent::Failed { id, error });
            }
            Answer::Response(response) => (response, None),
            Answer::Cut(response, keep) => (response, Some(keep)),
        };
        let (parts, body) = response.into_parts();
        let plan = download.on_headers(self.now, id, parts.status, &parts.headers);
        let limits = crate::ReadLimits::new(LOST_ANSWER_TIMEOUT);
        let Some(mut range) = RangeBody::of(id, plan, &limits, self.now.instant) else {
            if plan == BodyPlan::ReadError {
                download.handle(self.now, DownloadEvent::ErrorBody { id, body });
            }
            return;
        };
        let cut = keep.map_or(body.len(), |k| {
            usize::try_from(k).unwrap_or(usize::MAX).min(body.len())
        });
        let body = match range.take(body.slice(..cut), self.now.instant) {
            Ok(body) => body,
            Err(event) => return download.handle(self.now, event),
        };
        if range.keeps() {
            return download.handle(self.now, range.ended(vec![body]));
        }
        let start = usize::try_from(range.offset()).unwrap_or(usize::MAX);
        let end = start.saturating_add(body.len());
        if file.len() < end {
            file.resize(end, 0);
        }
        if let Some(slot) = file.get_mut(start..end) {
            slot.copy_from_slice(&body);
        }
        download.handle(self.now, range.ended(Vec::new()));
    }
}
