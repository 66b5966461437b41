//! `client.upload(bucket, key, body)`: one PutObject for a small source, a
//! concurrent multipart upload otherwise, driven from the core's
//! [`Upload`](r2_proto::transfer::Upload) machine. The driver reads what
//! the machine asks for, sends what it signs, and sleeps until its
//! deadlines; every decision (part size, retries, abort or keep for
//! resume) is the machine's.

use std::future::{Future, IntoFuture};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::lock::Mutex;
use futures_util::stream::FuturesUnordered;
use r2_proto::error::{R2Error, TransferError};
use r2_proto::telemetry;
use r2_proto::transfer::{
    PartFill, Upload, UploadAction, UploadEvent, UploadOutput, UploadSource, UploadSpec, part_of,
};
use r2_proto::{BucketName, ObjectKey};

use crate::client::{R2Client, now};
use crate::driving::next_event;
use crate::files;
use crate::runtime::{Erased, Reads, Runtime, StreamReader};
use crate::wire::round_trip;

/// Where an upload's bytes come from.
pub enum UploadBody<R: Runtime> {
    /// Bytes in memory.
    Bytes(Bytes),
    /// A file, read part by part at its offsets (resumable).
    File(PathBuf),
    /// A reader of unknown length, read once front to back.
    Reader(StreamSource<R>),
}

/// A reader of unknown length, made by [`UploadBody::reader`].
pub struct StreamSource<R> {
    reader: Box<dyn StreamReader>,
    runtime: std::marker::PhantomData<fn() -> R>,
}

impl<R: Runtime> std::fmt::Debug for UploadBody<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Reader(_) => f.write_str("Reader"),
        }
    }
}

impl<R: Runtime> UploadBody<R> {
    /// A file.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Self::File(path.as_ref().to_path_buf())
    }

    /// A reader of unknown length (the runtime's `AsyncRead`).
    pub fn reader<T>(reader: T) -> Self
    where
        R: Reads<T>,
        T: Send + 'static,
    {
        Self::Reader(StreamSource {
            reader: Box::new(Erased::<R, T>::new(reader)),
            runtime: std::marker::PhantomData,
        })
    }
}

impl<R: Runtime> From<Bytes> for UploadBody<R> {
    fn from(bytes: Bytes) -> Self {
        Self::Bytes(bytes)
    }
}

impl<R: Runtime> From<Vec<u8>> for UploadBody<R> {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Bytes(bytes.into())
    }
}

/// An upload being set up; `.await` it to run it.
#[must_use = "an upload does nothing until awaited"]
pub struct UploadRequest<'a, R: Runtime> {
    client: &'a R2Client<R>,
    body: UploadBody<R>,
    spec: UploadSpec,
}

impl<R: Runtime> std::fmt::Debug for UploadRequest<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadRequest")
            .field("body", &self.body)
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> R2Client<R> {
    /// Uploads `body` to `key`: one PutObject below the multipart threshold,
    /// else a concurrent multipart upload. Options and resume on the
    /// returned [`UploadRequest`]; `.await` it to run.
    pub fn upload(
        &self,
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        body: impl Into<UploadBody<R>>,
    ) -> UploadRequest<'_, R> {
        UploadRequest {
            spec: UploadSpec::new(self.config(), bucket, key),
            client: self,
            body: body.into(),
        }
    }
}

impl<R: Runtime> UploadRequest<'_, R> {
    r2_proto::upload_setters!();

    async fn run(self) -> Result<UploadOutput, R2Error> {
        let (started, mut spec) = (Instant::now(), self.spec);
        let result = drive(self.client, self.body, &mut spec).await;
        spec.finish(&result, started.elapsed());
        result
    }
}

impl<'a, R: Runtime> IntoFuture for UploadRequest<'a, R> {
    type Output = Result<UploadOutput, R2Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

type Task<'a> = Pin<Box<dyn Future<Output = UploadEvent> + Send + 'a>>;

async fn drive<R: Runtime>(
    client: &R2Client<R>,
    body: UploadBody<R>,
    spec: &mut UploadSpec,
) -> Result<UploadOutput, R2Error> {
    let (source, reader) = Source::of(body).await?;
    let upload = spec.machine(Arc::clone(client.core()), source)?;
    let mut guard = Abandon {
        upload,
        client: client.clone(),
    };
    let upload = &mut guard.upload;
    let (reader, wire) = (&reader, &client.inner.wire);
    let mut tasks = FuturesUnordered::<Task<'_>>::new();
    loop {
        while let Some(action) = upload.poll(now()) {
            match action {
                UploadAction::ReadPart { part, offset, len } => {
                    tasks.push(Box::pin(reader.read_part::<R>(part, offset, len)));
                }
                UploadAction::ReadStream { part, max } => {
                    tasks.push(Box::pin(reader.read_stream(part, max)));
                }
                UploadAction::Send { id, request } => tasks.push(Box::pin(async move {
                    round_trip(wire, id, &request).await.into()
                })),
                UploadAction::Note { operation, note } => telemetry::note(operation, &note),
                UploadAction::SaveState(state) => spec.save_state(&state),
                UploadAction::Progress(progress) => spec.report(progress),
                UploadAction::Done(output) => return Ok(output),
                UploadAction::Failed(error) => return Err(error),
            }
        }
        if let Some(event) = next_event::<R, _>(&mut tasks, upload.deadline()).await? {
            upload.handle(now(), event);
        }
    }
}

/// An upload being driven. Dropped before it ended (a future given up,
/// e.g. by a timeout), it hands the abort the machine asks for to the
/// runtime, so that no multipart upload is left behind on the server
/// (unless it is kept for resuming).
struct Abandon<R: Runtime> {
    upload: Upload,
    client: R2Client<R>,
}

impl<R: Runtime> Drop for Abandon<R> {
    fn drop(&mut self) {
        let Some(abort) = self.upload.abandoned() else {
            return;
        };
        let client = self.client.clone();
        let id = self.upload.upload_id().unwrap_or_default().to_owned();
        let spawned = R::spawn(async move {
            if let Err(error) = client.multipart().abort(abort).await {
                tracing::warn!(upload_id = %id, %error, "the abort of a dropped upload failed");
            }
        });
        if !spawned {
            let id = self.upload.upload_id().unwrap_or_default();
            tracing::warn!(upload_id = %id, "a dropped upload could not be aborted: no runtime");
        }
    }
}

/// The bytes behind an upload.
enum Source {
    Bytes(Bytes),
    File(PathBuf),
    Reader(Mutex<Box<dyn StreamReader>>),
}

impl Source {
    /// The source of `body`, and what the machine is told about it.
    async fn of<R: Runtime>(body: UploadBody<R>) -> Result<(UploadSource, Self), R2Error> {
        Ok(match body {
            UploadBody::Bytes(bytes) => {
                (UploadSource::Sized(bytes.len() as u64), Self::Bytes(bytes))
            }
            UploadBody::File(path) => {
                let size = files::len::<R>(&path)
                    .await
                    .map_err(|e| TransferError::source_failed(0, &e))?;
                (UploadSource::Sized(size), Self::File(path))
            }
            UploadBody::Reader(stream) => (
                UploadSource::Stream,
                Self::Reader(Mutex::new(stream.reader)),
            ),
        })
    }

    async fn read_part<R: Runtime>(&self, part: u32, offset: u64, len: u64) -> UploadEvent {
        match self {
            Self::Bytes(bytes) => UploadEvent::part_read(part, Ok(part_of(bytes, offset, len))),
            Self::File(path) => {
                UploadEvent::file_part_read(part, files::read_at::<R>(path, offset, len).await)
            }
            Self::Reader(_) => {
                UploadEvent::read_failed(part, &std::io::Error::other("a stream has no offsets"))
            }
        }
    }

    async fn read_stream(&self, part: u32, max: u64) -> UploadEvent {
        let read = match self {
            Self::Reader(reader) => fill(&mut **reader.lock().await, max).await,
            _ => Err(std::io::Error::other("a sized source is read at offsets")),
        };
        UploadEvent::stream_read(part, read)
    }
}

/// Reads `reader` until `max` bytes are in or it ends (then `true`), in
/// reads the core sizes.
async fn fill(reader: &mut dyn StreamReader, max: u64) -> std::io::Result<(Bytes, bool)> {
    let mut part = PartFill::new(max);
    while let Some((buffer, step)) = part.next_read() {
        if reader.read_into(buffer, step).await? == 0 {
            return Ok(part.finish(true));
        }
    }
    Ok(part.finish(false))
}
