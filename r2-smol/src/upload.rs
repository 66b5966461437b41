//! `client.upload(bucket, key, body)`: one PutObject for a small source, a
//! concurrent multipart upload otherwise, driven from the core's
//! [`Upload`] machine. The driver reads what the machine asks for, sends
//! what it signs, and sleeps until its deadlines; every decision (part
//! size, retries, abort or keep for resume) is the machine's.

use std::future::{Future, IntoFuture};
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_lite::{AsyncRead, AsyncReadExt, AsyncSeekExt};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use r2_proto::error::R2Error;
use r2_proto::ops::{ListParts, OperationName, PartSummary};
use r2_proto::telemetry;
use r2_proto::transfer::{UploadAction, UploadEvent, UploadOutput, UploadSource, UploadSpec};
use r2_proto::{BucketName, ObjectKey};
use smol::lock::Mutex;

use crate::client::{R2Client, now, stalled};
use crate::round_trip;
use crate::timeout::sleep_until;

/// Where an upload's bytes come from.
pub enum UploadBody {
    /// Bytes in memory.
    Bytes(Bytes),
    /// A file, read part by part at its offsets (resumable).
    File(PathBuf),
    /// A reader of unknown length, read once front to back.
    Reader(Box<dyn AsyncRead + Send + Unpin>),
}

impl std::fmt::Debug for UploadBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
            Self::Reader(_) => f.write_str("Reader"),
        }
    }
}

impl UploadBody {
    /// A file.
    pub fn file(path: impl AsRef<Path>) -> Self {
        Self::File(path.as_ref().to_path_buf())
    }

    /// A reader of unknown length.
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        Self::Reader(Box::new(reader))
    }
}

impl From<Bytes> for UploadBody {
    fn from(bytes: Bytes) -> Self {
        Self::Bytes(bytes)
    }
}

impl From<Vec<u8>> for UploadBody {
    fn from(bytes: Vec<u8>) -> Self {
        Self::Bytes(bytes.into())
    }
}

/// An upload being set up; `.await` it to run it.
#[must_use = "an upload does nothing until awaited"]
pub struct UploadRequest<'a> {
    client: &'a R2Client,
    body: UploadBody,
    spec: UploadSpec,
}

impl std::fmt::Debug for UploadRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadRequest")
            .field("body", &self.body)
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

impl<'a> UploadRequest<'a> {
    pub(crate) fn new(
        client: &'a R2Client,
        bucket: BucketName,
        key: ObjectKey,
        body: UploadBody,
    ) -> Self {
        Self {
            spec: UploadSpec::new(client.config(), bucket, key),
            client,
            body,
        }
    }

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

async fn drive(
    client: &R2Client,
    body: UploadBody,
    spec: &mut UploadSpec,
) -> Result<UploadOutput, R2Error> {
    let core = Arc::clone(client.core());
    let (source, reader) = match body {
        UploadBody::Bytes(bytes) => (
            UploadSource::Sized(bytes.len() as u64),
            Source::Bytes(bytes),
        ),
        UploadBody::File(path) => {
            let size = smol::fs::metadata(&path)
                .await
                .map_err(|e| source_failed(0, &e))?
                .len();
            (UploadSource::Sized(size), Source::File(path))
        }
        UploadBody::Reader(reader) => (UploadSource::Stream, Source::Reader(Mutex::new(reader))),
    };
    let listed = match spec.resume_listing()? {
        Some(list) => list_all_parts(client, list).await?,
        None => Vec::new(),
    };
    let mut upload = spec.machine(core, source, &listed)?;
    let reader = &reader;
    let mut tasks =
        FuturesUnordered::<Pin<Box<dyn Future<Output = UploadEvent> + Send + '_>>>::new();
    loop {
        while let Some(action) = upload.poll(now()) {
            match action {
                UploadAction::ReadPart { part, offset, len } => {
                    tasks.push(Box::pin(reader.read_part(part, offset, len)));
                }
                UploadAction::ReadStream { part, max } => {
                    tasks.push(Box::pin(reader.read_stream(part, max)));
                }
                UploadAction::Send { id, request } => {
                    let transport = &client.inner.transport;
                    tasks.push(Box::pin(async move {
                        round_trip::exchange(transport, id, &request).await.into()
                    }));
                }
                UploadAction::Note(note) => telemetry::note(OperationName::UploadPart, &note),
                UploadAction::Done(output) => return Ok(output),
                UploadAction::Failed(error) => return Err(error),
            }
        }
        spec.observe(&upload);
        let deadline = upload.deadline();
        if tasks.is_empty() && deadline.is_none() {
            return Err(stalled());
        }
        let event = futures_lite::future::or(tasks.next(), async {
            sleep_until(deadline).await;
            None
        })
        .await;
        if let Some(event) = event {
            upload.handle(now(), event);
        }
        spec.observe(&upload);
    }
}

impl<'a> IntoFuture for UploadRequest<'a> {
    type Output = Result<UploadOutput, R2Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Every part ListParts reports for a kept upload.
async fn list_all_parts(client: &R2Client, list: ListParts) -> Result<Vec<PartSummary>, R2Error> {
    let mut pages = list.pages();
    let mut parts = Vec::new();
    while let Some(request) = pages.next_request().cloned() {
        let page = client.send(request).await?;
        pages.advance(&page)?;
        parts.extend(page.parts);
    }
    Ok(parts)
}

fn source_failed(part: u32, error: &std::io::Error) -> R2Error {
    r2_proto::error::TransferError::SourceFailed {
        part,
        message: error.to_string(),
    }
    .into()
}

/// The bytes behind an upload.
enum Source {
    Bytes(Bytes),
    File(PathBuf),
    Reader(Mutex<Box<dyn AsyncRead + Send + Unpin>>),
}

impl Source {
    async fn read_part(&self, part: u32, offset: u64, len: u64) -> UploadEvent {
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
            Self::File(path) => read_file_range(path, offset, len).await,
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
                return UploadEvent::StreamRead {
                    part,
                    data: buffer.freeze(),
                    end: false,
                };
            }
            let room = (want - buffer.len()).min(1 << 20);
            let filled = buffer.len();
            buffer.resize(filled + room, 0);
            let read = reader
                .read(buffer.get_mut(filled..).unwrap_or_default())
                .await;
            buffer.truncate(filled + *read.as_ref().unwrap_or(&0));
            match read {
                Ok(0) => {
                    return UploadEvent::StreamRead {
                        part,
                        data: buffer.freeze(),
                        end: true,
                    };
                }
                Ok(_) => {}
                Err(error) => {
                    return UploadEvent::ReadFailed {
                        part,
                        message: error.to_string(),
                    };
                }
            }
        }
    }
}

async fn read_file_range(path: &Path, offset: u64, len: u64) -> std::io::Result<Bytes> {
    let mut file = smol::fs::File::open(path).await?;
    file.seek(SeekFrom::Start(offset)).await?;
    let want = usize::try_from(len).map_err(std::io::Error::other)?;
    let mut buffer = BytesMut::zeroed(want);
    file.read_exact(&mut buffer).await?;
    Ok(buffer.freeze())
}
