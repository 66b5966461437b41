//! `client.download(bucket, key, sink)`: parallel ranged GETs pinned to one
//! version of the object, driven from the core's [`Download`] machine with
//! a few worker threads.
//!
//! A file sink is written at each range's offset into a temporary file
//! beside the target, renamed into place only when every byte arrived and
//! removed on failure. A writer sink receives the bytes in order, as the
//! machine releases them (ranges that finish early wait in the machine, at
//! most `concurrency × part_size`).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use r2_proto::RequestId;
use r2_proto::error::{NetworkError, R2Error, TransferError};
use r2_proto::ops::OperationName;
use r2_proto::telemetry;
use r2_proto::transfer::{
    BodyPlan, DownloadAction, DownloadEvent, DownloadOutput, DownloadSpec, Fetch, KeptBuffers,
    RangeBody,
};
use r2_proto::{BucketName, ObjectKey, ReadLimits, WholeBody};

use crate::client::{R2Client, now};
use crate::round_trip::{Opened, open, read_all};
use crate::transport::body_error;
use crate::workers::Workers;

/// Where a download's bytes go.
pub enum DownloadSink {
    /// A file, created or replaced once the download succeeds.
    File(PathBuf),
    /// A writer that takes the bytes in order.
    Writer(Box<dyn Write + Send>),
}

impl std::fmt::Debug for DownloadSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Writer(_) => f.write_str("Writer"),
        }
    }
}

impl DownloadSink {
    /// A file.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Self::File(path.as_ref().to_path_buf())
    }

    /// A writer, fed in order.
    pub fn writer(writer: impl Write + Send + 'static) -> Self {
        Self::Writer(Box::new(writer))
    }
}

/// A download being set up; [`run`](Self::run) it.
#[must_use = "a download does nothing until run"]
#[derive(Debug)]
pub struct DownloadRequest<'a> {
    client: &'a R2Client,
    sink: DownloadSink,
    spec: DownloadSpec,
}

impl<'a> DownloadRequest<'a> {
    pub(crate) fn new(
        client: &'a R2Client,
        bucket: BucketName,
        key: ObjectKey,
        sink: DownloadSink,
    ) -> Self {
        Self {
            spec: DownloadSpec::new(client.config(), bucket, key),
            client,
            sink,
        }
    }

    r2_proto::download_setters!();

    /// Runs the download on the calling thread and `concurrency` workers.
    pub fn run(self) -> Result<DownloadOutput, R2Error> {
        let started = Instant::now();
        let Self {
            client,
            sink,
            mut spec,
        } = self;
        let result = match sink {
            DownloadSink::File(path) => {
                let partial = DownloadSpec::partial_path(&path);
                let mut sink = Sink::File(partial.clone());
                let result = drive(client, &mut spec, &mut sink).and_then(|output| {
                    std::fs::rename(&partial, &path)
                        .map(|()| output)
                        .map_err(|e| R2Error::from(TransferError::sink_failed(0, &e)))
                });
                if result.is_err() {
                    let _ignored = std::fs::remove_file(&partial);
                }
                result
            }
            DownloadSink::Writer(writer) => {
                let mut sink = Sink::Ordered {
                    writer,
                    buffers: KeptBuffers::default(),
                };
                drive(client, &mut spec, &mut sink)
            }
        };
        spec.finish(&result, started.elapsed());
        result
    }
}

enum Sink {
    File(PathBuf),
    Ordered {
        writer: Box<dyn Write + Send>,
        /// Buffers of ranges already written, for the next ranges.
        buffers: KeptBuffers,
    },
}

impl Sink {
    /// Creates the (partial) file of a file sink, and names it.
    fn create(&self) -> Result<Option<Arc<PathBuf>>, R2Error> {
        match self {
            Sink::File(path) => match std::fs::File::create(path) {
                Ok(_) => Ok(Some(Arc::new(path.clone()))),
                Err(error) => Err(TransferError::sink_failed(0, &error).into()),
            },
            Sink::Ordered { .. } => Ok(None),
        }
    }

    /// The job that reads one answer's body for this sink.
    fn job(
        &mut self,
        id: RequestId,
        plan: BodyPlan,
        opened: Opened,
        file: &Option<Arc<PathBuf>>,
    ) -> BodyJob {
        let keep = match self {
            Sink::Ordered { buffers, .. } => buffers.for_plan(plan),
            Sink::File(_) => None,
        };
        let file = file.clone();
        BodyJob {
            id,
            plan,
            opened,
            file,
            keep,
        }
    }

    /// Writes bytes the machine released, and keeps their buffers.
    fn deliver(&mut self, offset: u64, chunks: Vec<Bytes>) -> Result<(), R2Error> {
        let Sink::Ordered { writer, buffers } = self else {
            debug_assert!(false, "bytes delivered to a file sink");
            return Ok(());
        };
        let mut at = offset;
        for chunk in chunks {
            writer
                .write_all(&chunk)
                .map_err(|e| TransferError::sink_failed(at, &e))?;
            at += chunk.len() as u64;
            buffers.recycle(chunk);
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), R2Error> {
        match self {
            Sink::Ordered { writer, .. } => writer
                .flush()
                .map_err(|e| R2Error::from(TransferError::sink_failed(0, &e))),
            Sink::File(_) => Ok(()),
        }
    }
}

/// What a worker reports back to the loop.
enum Task {
    Headers(RequestId, Result<Opened, NetworkError>),
    Body(DownloadEvent),
}

fn drive(
    client: &R2Client,
    spec: &mut DownloadSpec,
    sink: &mut Sink,
) -> Result<DownloadOutput, R2Error> {
    let transport = &client.inner.transport;
    let limits = *client.core().config().read_limits();
    let file = sink.create()?;
    let mut download = spec.machine(Arc::clone(client.core()), file.is_none());
    // A range's head and its body each take a worker.
    let mut workers = Workers::new(download.concurrency() * 2);
    loop {
        while let Some(action) = download.poll(now()) {
            match action {
                DownloadAction::Fetch(Fetch { id, request, .. }) => {
                    let transport = transport.clone();
                    workers.run(move || Task::Headers(id, open(&transport, id, &request)));
                }
                DownloadAction::Note(note) => telemetry::note(OperationName::GetObject, &note),
                DownloadAction::Progress(progress) => spec.report(progress),
                DownloadAction::Deliver { offset, chunks } => sink.deliver(offset, chunks)?,
                DownloadAction::Done(output) => return sink.flush().map(|()| output),
                DownloadAction::Failed(error) => return Err(error),
            }
        }
        match workers.next(download.deadline())? {
            Some(Task::Headers(id, Ok(opened))) => {
                let (status, headers) = (opened.response.status(), opened.response.headers());
                let plan = download.on_headers(now(), id, status, headers);
                if plan != BodyPlan::Discard {
                    let job = sink.job(id, plan, opened, &file);
                    workers.run(move || Task::Body(job.read(&limits)));
                }
            }
            Some(Task::Headers(id, Err(error))) => {
                download.handle(now(), DownloadEvent::Failed { id, error });
            }
            Some(Task::Body(event)) => download.handle(now(), event),
            None => {}
        }
    }
}

/// One answer's body to read on a worker, with what the plan needs.
struct BodyJob {
    id: RequestId,
    plan: BodyPlan,
    opened: Opened,
    file: Option<Arc<PathBuf>>,
    keep: Option<BytesMut>,
}

impl BodyJob {
    /// Reads the body as the machine's plan says: a range written at its
    /// offset in the file or kept (in `keep`) for the machine, or an error
    /// body.
    fn read(self, limits: &ReadLimits) -> DownloadEvent {
        let Self {
            id,
            plan,
            opened,
            file,
            keep,
        } = self;
        let (parts, body) = opened.response.into_parts();
        let file = file.as_deref().map(PathBuf::as_path);
        let Some(mut range) = RangeBody::of(id, plan, limits, Instant::now()) else {
            let error_body = WholeBody::error(limits, &parts.headers, Instant::now());
            return match read_all(body, error_body, limits.idle) {
                Ok(body) => DownloadEvent::ErrorBody { id, body },
                Err(error) => DownloadEvent::Failed { id, error },
            };
        };
        let mut handle = match file
            .filter(|_| !range.keeps())
            .map(|p| open_at(p, range.offset()))
        {
            Some(Err(error)) => return range.write_failed(&error),
            handle => handle.and_then(Result::ok),
        };
        let mut kept = keep.unwrap_or_default();
        let mut reader = body;
        let mut buffer = vec![0u8; 256 << 10];
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => match range.fits(n, Instant::now()) {
                    Ok(n) => n,
                    Err(event) => return event,
                },
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(error) => return range.broke(body_error(&error, limits.idle)),
            };
            let chunk = buffer.get(..n).unwrap_or_default();
            match handle.as_mut().map(|file| file.write_all(chunk)) {
                Some(Err(error)) => return range.write_failed(&error),
                Some(Ok(())) => {}
                None => kept.extend_from_slice(chunk),
            }
        }
        match handle.as_mut().map(Write::flush) {
            Some(Err(error)) => range.write_failed(&error),
            Some(Ok(())) => range.ended(Vec::new()),
            None => range.ended(vec![kept.freeze()]),
        }
    }
}

fn open_at(path: &Path, offset: u64) -> std::io::Result<std::fs::File> {
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    Ok(file)
}
