//! `client.upload(bucket, key, body)`: one PutObject for a small source, a
//! concurrent multipart upload otherwise, driven from the core's
//! [`Upload`] machine with a few worker threads for reads and requests.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use r2_proto::error::R2Error;
use r2_proto::ops::{ListParts, PartSummary};
use r2_proto::telemetry;
use r2_proto::transfer::{UploadAction, UploadEvent, UploadOutput, UploadSource, UploadSpec};
use r2_proto::{BucketName, ObjectKey};

use crate::client::{R2Client, now};
use crate::round_trip;
use crate::workers::Workers;

/// Where an upload's bytes come from.
pub enum UploadBody {
    /// Bytes in memory.
    Bytes(Bytes),
    /// A file, read part by part at its offsets (resumable).
    File(PathBuf),
    /// A reader of unknown length, read once front to back.
    Reader(Box<dyn Read + Send>),
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
    pub fn reader(reader: impl Read + Send + 'static) -> Self {
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

/// An upload being set up; [`run`](Self::run) it.
#[must_use = "an upload does nothing until run"]
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

    /// Runs the upload on the calling thread and `concurrency` workers.
    pub fn run(self) -> Result<UploadOutput, R2Error> {
        let started = Instant::now();
        let Self {
            client,
            body,
            mut spec,
        } = self;
        let result = drive(client, body, &mut spec);
        spec.finish(&result, started.elapsed());
        result
    }
}

fn drive(
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
            let size = std::fs::metadata(&path)
                .map_err(|e| source_failed(0, &e))?
                .len();
            (UploadSource::Sized(size), Source::File(path))
        }
        UploadBody::Reader(reader) => (UploadSource::Stream, Source::Reader(Mutex::new(reader))),
    };
    let reader = Arc::new(reader);
    let concurrency = spec.options.concurrency;
    let listed = match spec.resume_listing()? {
        Some(list) => list_all_parts(client, list)?,
        None => Vec::new(),
    };
    let mut upload = spec.machine(core, source, &listed)?;
    let mut workers = Workers::new(concurrency + 1);
    loop {
        while let Some(action) = upload.poll(now()) {
            match action {
                // Part buffers are allocated here, on the calling thread, so
                // that they all come from one allocator arena and a freed
                // part's memory is reused by the next part (allocated on
                // the workers, each thread's arena kept its own freed parts:
                // 115 MiB resident for a 4 × 8 MiB stream upload).
                UploadAction::ReadPart { part, offset, len } => {
                    let reader = Arc::clone(&reader);
                    let buffer = reader.part_buffer(len);
                    workers.run(move || reader.read_part(part, offset, len, buffer));
                }
                UploadAction::ReadStream { part, max } => {
                    let reader = Arc::clone(&reader);
                    let buffer = reader.part_buffer(max);
                    workers.run(move || reader.read_stream(part, max, buffer));
                }
                UploadAction::Send { id, request } => {
                    let transport = client.inner.transport.clone();
                    workers.run(move || round_trip::round_trip(&transport, id, &request).into());
                }
                UploadAction::Note { operation, note } => telemetry::note(operation, &note),
                UploadAction::Done(output) => return Ok(output),
                UploadAction::Failed(error) => return Err(error),
            }
        }
        spec.observe(&upload);
        if let Some(event) = workers.next(upload.deadline())? {
            upload.handle(now(), event);
        }
        spec.observe(&upload);
    }
}

/// Every part ListParts reports for a kept upload.
fn list_all_parts(client: &R2Client, list: ListParts) -> Result<Vec<PartSummary>, R2Error> {
    let mut pages = list.pages();
    let mut parts = Vec::new();
    while let Some(request) = pages.next_request().cloned() {
        let page = client.send(request)?;
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
    Reader(Mutex<Box<dyn Read + Send>>),
}

impl Source {
    /// The zeroed buffer a part of at most `len` bytes is read into (none
    /// for bytes in memory, which are sliced).
    fn part_buffer(&self, len: u64) -> BytesMut {
        match self {
            Self::Bytes(_) => BytesMut::new(),
            Self::File(_) => BytesMut::zeroed(usize::try_from(len).unwrap_or(0)),
            Self::Reader(_) => {
                BytesMut::zeroed(usize::try_from(len).unwrap_or(usize::MAX).min(64 << 20))
            }
        }
    }

    fn read_part(&self, part: u32, offset: u64, len: u64, buffer: BytesMut) -> UploadEvent {
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
            Self::File(path) => read_file_range(path, offset, len, buffer),
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

    fn read_stream(&self, part: u32, max: u64, mut buffer: BytesMut) -> UploadEvent {
        let Self::Reader(reader) = self else {
            return UploadEvent::ReadFailed {
                part,
                message: "a sized source is read at offsets".into(),
            };
        };
        let Ok(mut reader) = reader.lock() else {
            return UploadEvent::ReadFailed {
                part,
                message: "the reader failed in an earlier read".into(),
            };
        };
        let want = usize::try_from(max).unwrap_or(usize::MAX);
        let mut filled = 0usize;
        loop {
            if filled >= want {
                buffer.truncate(filled);
                return UploadEvent::StreamRead {
                    part,
                    data: buffer.freeze(),
                    end: false,
                };
            }
            if filled == buffer.len() {
                buffer.resize((buffer.len() * 2).max(64 << 10).min(want), 0);
            }
            match reader.read(buffer.get_mut(filled..).unwrap_or_default()) {
                Ok(0) => {
                    buffer.truncate(filled);
                    return UploadEvent::StreamRead {
                        part,
                        data: buffer.freeze(),
                        end: true,
                    };
                }
                Ok(n) => filled += n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
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

fn read_file_range(
    path: &Path,
    offset: u64,
    len: u64,
    mut buffer: BytesMut,
) -> std::io::Result<Bytes> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let want = usize::try_from(len).map_err(std::io::Error::other)?;
    buffer.resize(want, 0);
    file.read_exact(&mut buffer)?;
    Ok(buffer.freeze())
}
