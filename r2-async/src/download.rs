//! `client.download(bucket, key, sink)`: parallel ranged GETs pinned to one
//! version of the object, driven from the core's
//! [`Download`](r2_proto::transfer::Download) machine.
//!
//! A file sink is written at each range's offset into a temporary file
//! beside the target, renamed into place only when every byte arrived and
//! removed on failure: a failed download never leaves a partial file under
//! the target's name. A writer sink receives the bytes in order, as the
//! machine releases them.

use std::future::{Future, IntoFuture};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures_util::stream::FuturesUnordered;
use r2_proto::RequestId;
use r2_proto::error::{NetworkError, R2Error, TransferError};
use r2_proto::ops::OperationName;
use r2_proto::telemetry;
use r2_proto::transfer::{
    BodyPlan, DownloadAction, DownloadEvent, DownloadOutput, DownloadSpec, Fetch, RangeBody,
};
use r2_proto::{BucketName, ObjectKey, ReadLimits, WholeBody};

use crate::client::{R2Client, now};
use crate::driving::next_event;
use crate::files::{self, RangeWriter};
use crate::runtime::{Erased, Runtime, StreamWriter, Writes};
use crate::wire::{Body, Opened, Piece, Wire, open, read_all};

/// Where a download's bytes go.
pub enum DownloadSink<R: Runtime> {
    /// A file, created or replaced once the download succeeds.
    File(PathBuf),
    /// A writer that takes the bytes in order.
    Writer(StreamTarget<R>),
}

/// A writer fed in order, made by [`DownloadSink::writer`].
pub struct StreamTarget<R> {
    writer: Box<dyn StreamWriter>,
    runtime: std::marker::PhantomData<fn() -> R>,
}

impl<R: Runtime> std::fmt::Debug for DownloadSink<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Writer(_) => f.write_str("Writer"),
        }
    }
}

impl<R: Runtime> DownloadSink<R> {
    /// A file.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Self::File(path.as_ref().to_path_buf())
    }

    /// A writer, fed in order (the runtime's `AsyncWrite`).
    pub fn writer<T>(writer: T) -> Self
    where
        R: Writes<T>,
        T: Send + 'static,
    {
        Self::Writer(StreamTarget {
            writer: Box::new(Erased::<R, T>::new(writer)),
            runtime: std::marker::PhantomData,
        })
    }
}

/// A download being set up; `.await` it to run it.
#[must_use = "a download does nothing until awaited"]
pub struct DownloadRequest<'a, R: Runtime> {
    client: &'a R2Client<R>,
    sink: DownloadSink<R>,
    spec: DownloadSpec,
}

impl<R: Runtime> std::fmt::Debug for DownloadRequest<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadRequest")
            .field("sink", &self.sink)
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> R2Client<R> {
    /// Downloads `key` into `sink` with parallel ranged GETs pinned to one
    /// version of the object. Options on the returned [`DownloadRequest`].
    pub fn download(
        &self,
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        sink: DownloadSink<R>,
    ) -> DownloadRequest<'_, R> {
        DownloadRequest {
            spec: DownloadSpec::new(self.config(), bucket, key),
            client: self,
            sink,
        }
    }
}

impl<R: Runtime> DownloadRequest<'_, R> {
    r2_proto::download_setters!();

    async fn run(self) -> Result<DownloadOutput, R2Error> {
        let started = Instant::now();
        let Self {
            client,
            sink,
            mut spec,
        } = self;
        let result = match sink {
            DownloadSink::File(path) => {
                let at = DownloadSpec::partial_path(&path);
                let mut partial = Partial(Some(at.clone()));
                let result = match drive(client, &mut spec, Sink::File(&at)).await {
                    Ok(output) => files::rename::<R>(&at, &path)
                        .await
                        .map(|()| output)
                        .map_err(|e| R2Error::from(TransferError::sink_failed(0, &e))),
                    Err(error) => Err(error),
                };
                if result.is_ok() {
                    partial.0 = None;
                }
                result
            }
            DownloadSink::Writer(mut target) => {
                drive(client, &mut spec, Sink::Writer(&mut *target.writer)).await
            }
        };
        spec.finish(&result, started.elapsed());
        result
    }
}

impl<'a, R: Runtime> IntoFuture for DownloadRequest<'a, R> {
    type Output = Result<DownloadOutput, R2Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// The partial file of a file download, removed unless the download
/// renamed it into place: when it failed, and when its future was dropped
/// part-way.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ignored = std::fs::remove_file(path);
        }
    }
}

/// Where the bytes go while the download runs.
enum Sink<'s> {
    /// Each range at its offset.
    File(&'s Path),
    /// In order, as the machine delivers them.
    Writer(&'s mut dyn StreamWriter),
}

/// What a task reports back to the loop.
enum Task<R: Runtime> {
    Headers(RequestId, Result<Opened<R>, NetworkError>),
    Body(DownloadEvent),
}

type Tasks<'a, R> = FuturesUnordered<Pin<Box<dyn Future<Output = Task<R>> + Send + 'a>>>;

async fn drive<R: Runtime>(
    client: &R2Client<R>,
    spec: &mut DownloadSpec,
    mut sink: Sink<'_>,
) -> Result<DownloadOutput, R2Error> {
    let wire = &client.inner.wire;
    let limits = *client.core().config().read_limits();
    let file = sink.file();
    if let Some(path) = file {
        files::create::<R>(path)
            .await
            .map_err(|e| TransferError::sink_failed(0, &e))?;
    }
    let mut download = spec.machine(Arc::clone(client.core()), file.is_none());
    let mut tasks: Tasks<'_, R> = FuturesUnordered::new();
    loop {
        while let Some(action) = download.poll(now()) {
            match action {
                DownloadAction::Fetch(range) => tasks.push(Box::pin(fetch(wire, range))),
                DownloadAction::Note(note) => telemetry::note(OperationName::GetObject, &note),
                DownloadAction::Progress(progress) => spec.report(progress),
                DownloadAction::Deliver { offset, chunks } => sink.deliver(offset, &chunks).await?,
                DownloadAction::Done(output) => return sink.flush().await.map(|()| output),
                DownloadAction::Failed(error) => return Err(error),
            }
        }
        match next_event::<R, _>(&mut tasks, download.deadline()).await? {
            Some(Task::Headers(id, Ok(opened))) => {
                let (status, headers) = (opened.response.status(), opened.response.headers());
                let plan = download.on_headers(now(), id, status, headers);
                if plan != BodyPlan::Discard {
                    tasks.push(Box::pin(read_body(id, plan, opened, file, &limits)));
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

/// Sends a ranged GET; its head comes back to the loop.
async fn fetch<R: Runtime>(wire: &Wire<R>, range: Fetch) -> Task<R> {
    Task::Headers(range.id, open(wire, range.id, &range.request).await)
}

impl<'s> Sink<'s> {
    /// The (partial) file of a file sink.
    fn file(&self) -> Option<&'s Path> {
        match self {
            Sink::File(path) => Some(path),
            Sink::Writer(_) => None,
        }
    }

    /// Hands bytes the machine released on to the writer.
    async fn deliver(&mut self, offset: u64, chunks: &[bytes::Bytes]) -> Result<(), R2Error> {
        let Sink::Writer(writer) = self else {
            debug_assert!(false, "bytes delivered to a file sink");
            return Ok(());
        };
        let mut at = offset;
        for chunk in chunks {
            writer
                .write_all(chunk)
                .await
                .map_err(|e| TransferError::sink_failed(at, &e))?;
            at += chunk.len() as u64;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), R2Error> {
        match self {
            Sink::Writer(writer) => writer
                .flush()
                .await
                .map_err(|e| R2Error::from(TransferError::sink_failed(0, &e))),
            Sink::File(_) => Ok(()),
        }
    }
}

/// Reads one answer's body as the machine's plan says: a range written at
/// its offset in the file or kept for the machine, or an error body.
async fn read_body<R: Runtime>(
    id: RequestId,
    plan: BodyPlan,
    opened: Opened<R>,
    file: Option<&Path>,
    limits: &ReadLimits,
) -> Task<R> {
    let (parts, body) = opened.response.into_parts();
    Task::Body(copy_range(id, plan, &parts.headers, body, file, limits).await)
}

/// Copies a range's body to its offset in the file or into memory for the
/// machine, within the range's deadlines; reads an error body whole.
async fn copy_range<R: Runtime>(
    id: RequestId,
    plan: BodyPlan,
    headers: &http::HeaderMap,
    mut body: Body<R>,
    file: Option<&Path>,
    limits: &ReadLimits,
) -> DownloadEvent {
    let Some(mut range) = RangeBody::of(id, plan, limits, Instant::now()) else {
        let error_body = WholeBody::error(limits, headers, Instant::now());
        return match read_all(&mut body, error_body).await {
            Ok(body) => DownloadEvent::ErrorBody { id, body },
            Err(error) => DownloadEvent::Failed { id, error },
        };
    };
    let mut target = match file.filter(|_| !range.keeps()) {
        None => Target::Memory(Vec::new()),
        Some(path) => match RangeWriter::open::<R>(path, range.offset()).await {
            Ok(writer) => Target::File(writer),
            Err(error) => return range.write_failed(&error),
        },
    };
    loop {
        let arrived = match body.next_piece(range.deadline()).await {
            Ok(Piece::Chunk(chunk)) => range.take(chunk, Instant::now()),
            Ok(Piece::End) => return target.finish::<R>(&range).await,
            Ok(Piece::Late) => match range.waited(Instant::now()) {
                Ok(()) => continue,
                Err(event) => return event,
            },
            Err(error) => return range.broke(error),
        };
        let chunk = match arrived {
            Ok(chunk) => chunk,
            Err(event) => return event,
        };
        if let Err(error) = target.put::<R>(chunk).await {
            return range.write_failed(&error);
        }
    }
}

/// Where a range's bytes go as they arrive.
enum Target {
    /// The file, at the range's offset.
    File(RangeWriter),
    /// Memory, to hand back to the machine.
    Memory(Vec<bytes::Bytes>),
}

impl Target {
    async fn put<R: Runtime>(&mut self, chunk: bytes::Bytes) -> std::io::Result<()> {
        match self {
            Self::File(writer) => writer.write::<R>(chunk).await,
            Self::Memory(kept) => {
                kept.push(chunk);
                Ok(())
            }
        }
    }

    async fn finish<R: Runtime>(self, range: &RangeBody) -> DownloadEvent {
        match self {
            Self::File(mut writer) => match writer.flush::<R>().await {
                Ok(()) => range.ended(Vec::new()),
                Err(error) => range.write_failed(&error),
            },
            Self::Memory(kept) => range.ended(kept),
        }
    }
}
