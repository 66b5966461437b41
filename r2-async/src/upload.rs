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

use bytes::{Bytes, BytesMut};
use futures_util::lock::Mutex;
use futures_util::stream::FuturesUnordered;
use r2_proto::error::{R2Error, TransferError};
use r2_proto::ops::{ListParts, PartSummary};
use r2_proto::telemetry;
use r2_proto::transfer::{UploadAction, UploadEvent, UploadOutput, UploadSource, UploadSpec};
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
        bucket: BucketName,
        key: ObjectKey,
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
        let started = Instant::now();
        let Self {
            client,
            body,
            mut spec,
        } = self;
        let result = drive(client, body, &mut spec).await;
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
    let listed = match spec.resume_listing()? {
        Some(list) => list_all_parts(client, list).await?,
        None => Vec::new(),
    };
    let mut upload = spec.machine(Arc::clone(client.core()), source, &listed)?;
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
                UploadAction::Done(output) => return Ok(output),
                UploadAction::Failed(error) => return Err(error),
            }
        }
        spec.observe(&upload);
        if let Some(event) = next_event::<R, _>(&mut tasks, upload.deadline()).await? {
            upload.handle(now(), event);
        }
        spec.observe(&upload);
    }
}

/// Every part ListParts reports for a kept upload.
async fn list_all_parts<R: Runtime>(
    client: &R2Client<R>,
    list: ListParts,
) -> Result<Vec<PartSummary>, R2Error> {
    let mut pages = list.pages();
    let mut parts = Vec::new();
    while let Some(request) = pages.next_request().cloned() {
        let page = client.send(request).await?;
        pages.advance(&page)?;
        parts.extend(page.parts);
    }
    Ok(parts)
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
            UploadBody::Bytes(bytes) => (
                UploadSource::Sized(bytes.len() as u64),
                Source::Bytes(bytes),
            ),
            UploadBody::File(path) => {
                let size = files::len::<R>(&path)
                    .await
                    .map_err(|e| source_failed(0, &e))?;
                (UploadSource::Sized(size), Source::File(path))
            }
            UploadBody::Reader(stream) => (
                UploadSource::Stream,
                Source::Reader(Mutex::new(stream.reader)),
            ),
        })
    }

    async fn read_part<R: Runtime>(&self, part: u32, offset: u64, len: u64) -> UploadEvent {
        let read = match self {
            Self::Bytes(bytes) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let end = start
                    .saturating_add(usize::try_from(len).unwrap_or(usize::MAX))
                    .min(bytes.len());
                Ok(bytes.slice(start..end))
            }
            Self::File(path) => files::read_at::<R>(path, offset, len).await,
            Self::Reader(_) => Err(std::io::Error::other("a stream has no offsets")),
        };
        match read {
            Ok(data) => UploadEvent::PartRead { part, data },
            Err(error) => UploadEvent::ReadFailed {
                part,
                message: error.to_string(),
            },
        }
    }

    async fn read_stream(&self, part: u32, max: u64) -> UploadEvent {
        let Self::Reader(reader) = self else {
            return UploadEvent::ReadFailed {
                part,
                message: "a sized source is read at offsets".into(),
            };
        };
        let mut reader = reader.lock().await;
        let want = usize::try_from(max).unwrap_or(usize::MAX);
        let mut buffer = BytesMut::with_capacity(want.min(64 << 20));
        loop {
            if buffer.len() >= want {
                let data = buffer.freeze();
                return UploadEvent::StreamRead {
                    part,
                    data,
                    end: false,
                };
            }
            let room = (want - buffer.len()).min(1 << 20);
            match reader.read_into(&mut buffer, room).await {
                Ok(0) => {
                    let data = buffer.freeze();
                    return UploadEvent::StreamRead {
                        part,
                        data,
                        end: true,
                    };
                }
                Ok(_) => {}
                Err(error) => {
                    let message = error.to_string();
                    return UploadEvent::ReadFailed { part, message };
                }
            }
        }
    }
}

fn source_failed(part: u32, error: &std::io::Error) -> R2Error {
    TransferError::SourceFailed {
        part,
        message: error.to_string(),
    }
    .into()
}
