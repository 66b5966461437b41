//! `client.upload(bucket, key, body)`: one PutObject for a small source, a
//! concurrent multipart upload otherwise, driven from the core's
//! [`Upload`] machine with a few worker threads for reads and requests.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use r2_proto::error::{R2Error, TransferError};
use r2_proto::telemetry;
use r2_proto::transfer::{
    PartFill, UploadAction, UploadEvent, UploadOutput, UploadSource, UploadSpec, part_of,
};
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
        let (started, mut spec) = (Instant::now(), self.spec);
        let result = drive(self.client, self.body, &mut spec);
        spec.finish(&result, started.elapsed());
        result
    }
}

fn drive(
    client: &R2Client,
    body: UploadBody,
    spec: &mut UploadSpec,
) -> Result<UploadOutput, R2Error> {
    let (source, reader) = Source::of(body)?;
    let reader = Arc::new(reader);
    let mut upload = spec.machine(Arc::clone(client.core()), source)?;
    let mut workers = Workers::new(spec.options.concurrency + 1);
    loop {
        while let Some(action) = upload.poll(now()) {
            match action {
                UploadAction::ReadPart { part, offset, len } => {
                    let (reader, buffer) = (Arc::clone(&reader), reader.part_buffer(len));
                    workers.run(move || reader.read_part(part, offset, len, buffer));
                }
                UploadAction::ReadStream { part, max } => {
                    let (reader, fill) = (Arc::clone(&reader), PartFill::new(max));
                    workers.run(move || reader.read_stream(part, fill));
                }
                UploadAction::Send { id, request } => {
                    let transport = client.inner.transport.clone();
                    workers.run(move || round_trip::round_trip(&transport, id, &request).into());
                }
                UploadAction::Note { operation, note } => telemetry::note(operation, &note),
                UploadAction::SaveState(state) => spec.save_state(&state),
                UploadAction::Progress(progress) => spec.report(progress),
                UploadAction::Done(output) => return Ok(output),
                UploadAction::Failed(error) => return Err(error),
            }
        }
        if let Some(event) = workers.next(upload.deadline())? {
            upload.handle(now(), event);
        }
    }
}

/// The bytes behind an upload.
enum Source {
    Bytes(Bytes),
    File(PathBuf),
    Reader(Mutex<Box<dyn Read + Send>>),
}

impl Source {
    /// The source of `body`, and what the machine is told about it.
    fn of(body: UploadBody) -> Result<(UploadSource, Self), R2Error> {
        Ok(match body {
            UploadBody::Bytes(bytes) => {
                (UploadSource::Sized(bytes.len() as u64), Self::Bytes(bytes))
            }
            UploadBody::File(path) => {
                let size = std::fs::metadata(&path)
                    .map_err(|e| TransferError::source_failed(0, &e))?
                    .len();
                (UploadSource::Sized(size), Self::File(path))
            }
            UploadBody::Reader(reader) => (UploadSource::Stream, Self::Reader(Mutex::new(reader))),
        })
    }

    /// The zeroed buffer a file's part of `len` bytes is read into (none
    /// for bytes in memory, which are sliced), allocated on the calling
    /// thread for the reason [`PartFill::new`] gives.
    fn part_buffer(&self, len: u64) -> BytesMut {
        match self {
            Self::File(_) => BytesMut::zeroed(usize::try_from(len).unwrap_or(0)),
            Self::Bytes(_) | Self::Reader(_) => BytesMut::new(),
        }
    }

    fn read_part(&self, part: u32, offset: u64, len: u64, buffer: BytesMut) -> UploadEvent {
        match self {
            Self::Bytes(bytes) => UploadEvent::part_read(part, Ok(part_of(bytes, offset, len))),
            Self::File(path) => {
                UploadEvent::file_part_read(part, read_file_range(path, offset, len, buffer))
            }
            Self::Reader(_) => {
                UploadEvent::read_failed(part, &std::io::Error::other("a stream has no offsets"))
            }
        }
    }

    fn read_stream(&self, part: u32, fill_in: PartFill) -> UploadEvent {
        let read = match self {
            Self::Reader(reader) => match reader.lock() {
                Ok(mut reader) => fill(&mut **reader, fill_in),
                Err(_) => Err(std::io::Error::other(
                    "the reader failed in an earlier read",
                )),
            },
            _ => Err(std::io::Error::other("a sized source is read at offsets")),
        };
        UploadEvent::stream_read(part, read)
    }
}

/// Reads `reader` into `part` as the core sizes the reads, until the part
/// is full or the reader ends (then `true`).
fn fill(reader: &mut dyn Read, mut part: PartFill) -> std::io::Result<(Bytes, bool)> {
    while let Some((buffer, step)) = part.next_read() {
        let filled = buffer.len();
        buffer.resize(filled + step, 0);
        let read = reader.read(buffer.get_mut(filled..).unwrap_or_default());
        buffer.truncate(filled + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => return Ok(part.finish(true)),
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(part.finish(false))
}

/// `len` bytes of the file at `path` from `offset`, and the file's length
/// when they were read.
fn read_file_range(
    path: &Path,
    offset: u64,
    len: u64,
    mut buffer: BytesMut,
) -> std::io::Result<(Bytes, u64)> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let want = usize::try_from(len).map_err(std::io::Error::other)?;
    buffer.resize(want, 0);
    file.read_exact(&mut buffer)?;
    Ok((buffer.freeze(), file.metadata()?.len()))
}
