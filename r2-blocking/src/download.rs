//! `client.download(bucket, key, sink)`: parallel ranged GETs pinned to one
//! version of the object, driven from the core's [`Download`] machine with
//! a few worker threads.
//!
//! A file sink is written at each range's offset into a temporary file
//! beside the target, renamed into place only when every byte arrived and
//! removed on failure. A writer sink receives the bytes in order; ranges
//! that finish early wait in memory (at most `concurrency × part_size`).

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use r2_proto::client_core::RequestId;
use r2_proto::error::{NetworkError, R2Error};
use r2_proto::ops::OperationName;
use r2_proto::telemetry;
use r2_proto::transfer::{
    BodyPlan, Download, DownloadAction, DownloadEvent, DownloadOptions, DownloadOutput,
    DownloadSpec, Fetch,
};
use r2_proto::{BucketName, ObjectKey};

use crate::body::ResponseBody;
use crate::client::{R2Client, now, stalled};
use crate::object_reader::sink_failed;
use crate::round_trip::{self, Opened, read_all};
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
        let Self { client, sink, spec } = self;
        let result = match sink {
            DownloadSink::File(path) => {
                let partial = DownloadSpec::partial_path(&path);
                let mut sink = Sink::File(partial.clone());
                let result =
                    drive(client, &spec, spec.options.clone(), &mut sink).and_then(|output| {
                        std::fs::rename(&partial, &path)
                            .map(|()| output)
                            .map_err(|e| sink_failed(0, &e))
                    });
                if result.is_err() {
                    let _ignored = std::fs::remove_file(&partial);
                }
                result
            }
            DownloadSink::Writer(writer) => {
                let mut sink = Sink::Ordered {
                    writer,
                    written: 0,
                    ready: BTreeMap::new(),
                    spare: Vec::new(),
                };
                let options = DownloadOptions {
                    in_order: true,
                    ..spec.options.clone()
                };
                drive(client, &spec, options, &mut sink)
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
        written: u64,
        ready: BTreeMap<u64, Vec<Bytes>>,
        /// Buffers of ranges already written, for the next ranges.
        spare: Vec<BytesMut>,
    },
}

/// A buffer for one range of `len` bytes kept for an ordered sink: a spare
/// one when there is one, else a new one. Reusing them keeps memory at the
/// window's size without fresh pages for every range (a new buffer per
/// range cost page faults; one per chunk, allocated on the workers' own
/// allocator arenas, kept resident memory far over the window).
fn range_buffer(spare: &mut Vec<BytesMut>, len: u64) -> BytesMut {
    let len = usize::try_from(len).unwrap_or(0);
    match spare.pop() {
        Some(mut buffer) => {
            buffer.reserve(len);
            buffer
        }
        None => BytesMut::with_capacity(len),
    }
}

/// What a worker reports back to the loop.
enum Step {
    Headers(RequestId, Result<Opened, NetworkError>),
    Body(DownloadEvent, Option<(u64, Vec<Bytes>)>),
}

fn drive(
    client: &R2Client,
    spec: &DownloadSpec,
    options: DownloadOptions,
    sink: &mut Sink,
) -> Result<DownloadOutput, R2Error> {
    let (bucket, key) = (spec.bucket.clone(), spec.key.clone());
    let inner = &client.inner;
    let file = match &*sink {
        Sink::File(path) => {
            std::fs::File::create(path).map_err(|e| sink_failed(0, &e))?;
            Some(Arc::new(path.clone()))
        }
        Sink::Ordered { .. } => None,
    };
    let mut workers = Workers::new(options.concurrency.clamp(1, 16) * 2);
    let mut download = Download::new(Arc::clone(&inner.core), bucket, key, options);
    loop {
        while let Some(action) = download.poll(now()) {
            match action {
                DownloadAction::Fetch(Fetch { id, request, .. }) => {
                    let transport = inner.transport.clone();
                    workers
                        .run(move || Step::Headers(id, round_trip::open(&transport, id, &request)));
                }
                DownloadAction::Note(note) => telemetry::note(OperationName::GetObject, &note),
                DownloadAction::Done(output) => {
                    if let Sink::Ordered {
                        writer, written, ..
                    } = sink
                    {
                        writer.flush().map_err(|e| sink_failed(*written, &e))?;
                    }
                    return Ok(output);
                }
                DownloadAction::Failed(error) => return Err(error),
            }
        }
        let deadline = download.deadline();
        if workers.running() == 0 && deadline.is_none() {
            return Err(stalled());
        }
        match workers.next(deadline) {
            None => {}
            Some(Step::Headers(id, Err(error))) => {
                download.handle(now(), DownloadEvent::Failed { id, error });
            }
            Some(Step::Headers(id, Ok(opened))) => {
                let (parts, body) = opened.response.into_parts();
                let timeout = inner.transport.timeout();
                match download.on_headers(now(), id, parts.status, &parts.headers) {
                    BodyPlan::Write { offset, len } => {
                        let file = file.clone();
                        let keep = match &mut *sink {
                            Sink::Ordered { spare, .. } => Some(range_buffer(spare, len)),
                            Sink::File(_) => None,
                        };
                        workers.run(move || {
                            copy_body(
                                id,
                                body,
                                (offset, len),
                                file.as_deref().map(PathBuf::as_path),
                                keep,
                                timeout,
                            )
                        });
                    }
                    BodyPlan::ReadError => {
                        let transport = inner.transport.clone();
                        let headers = parts.headers.clone();
                        workers.run(move || {
                            let event = match read_all(body, &headers, &transport) {
                                Ok(body) => DownloadEvent::ErrorBody { id, body },
                                Err(error) => DownloadEvent::Failed { id, error },
                            };
                            Step::Body(event, None)
                        });
                    }
                    BodyPlan::Discard => {}
                }
            }
            Some(Step::Body(event, chunks)) => {
                if let (Some((offset, chunks)), Sink::Ordered { ready, .. }) = (chunks, &mut *sink)
                    && matches!(event, DownloadEvent::BodyDone { .. })
                {
                    ready.insert(offset, chunks);
                }
                download.handle(now(), event);
                if let Sink::Ordered {
                    writer,
                    written,
                    ready,
                    spare,
                } = sink
                {
                    while let Some(chunks) = ready.remove(written) {
                        for chunk in chunks {
                            writer
                                .write_all(&chunk)
                                .map_err(|e| sink_failed(*written, &e))?;
                            *written += chunk.len() as u64;
                            if let Ok(mut buffer) = chunk.try_into_mut() {
                                buffer.clear();
                                spare.push(buffer);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Copies one range's body (`offset`, `len`): to its offset in the file,
/// or into `keep` for an ordered sink. Never more than `len` bytes are kept
/// or written.
fn copy_body(
    id: RequestId,
    body: ResponseBody,
    (offset, len): (u64, u64),
    file: Option<&Path>,
    mut keep: Option<BytesMut>,
    timeout: Duration,
) -> Step {
    let mut handle = match file.map(|path| open_at(path, offset)).transpose() {
        Ok(handle) => handle,
        Err(error) => return sink_error(id, offset, &error),
    };
    let mut reader = body.into_reader();
    let mut buffer = vec![0u8; 256 << 10];
    let mut received = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => match body_error(&error, timeout) {
                NetworkError::Timeout(after) => {
                    let error = NetworkError::Timeout(after);
                    return Step::Body(DownloadEvent::Failed { id, error }, None);
                }
                // Cut short: the machine sees fewer bytes than the range holds.
                _ => break,
            },
        };
        let fits = usize::try_from(len.saturating_sub(received))
            .unwrap_or(usize::MAX)
            .min(n);
        let chunk = buffer.get(..fits).unwrap_or_default();
        received += fits as u64;
        if let Some(file) = handle.as_mut()
            && let Err(error) = file.write_all(chunk)
        {
            return sink_error(id, offset, &error);
        }
        if let Some(kept) = keep.as_mut() {
            kept.extend_from_slice(chunk);
        }
    }
    if let Some(file) = handle.as_mut()
        && let Err(error) = file.flush()
    {
        return sink_error(id, offset, &error);
    }
    Step::Body(
        DownloadEvent::BodyDone { id, received },
        // An ordered sink takes the bytes only of a range that arrived whole.
        (received == len).then(|| {
            (
                offset,
                keep.map(|kept| vec![kept.freeze()]).unwrap_or_default(),
            )
        }),
    )
}

fn open_at(path: &Path, offset: u64) -> std::io::Result<std::fs::File> {
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    Ok(file)
}

/// A local write failure ends the download (the machine does not retry it).
fn sink_error(id: RequestId, offset: u64, error: &std::io::Error) -> Step {
    let event = DownloadEvent::WriteFailed {
        id,
        offset,
        message: error.to_string(),
    };
    Step::Body(event, None)
}
