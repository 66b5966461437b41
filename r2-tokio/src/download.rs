//! `client.download(bucket, key, sink)`: parallel ranged GETs pinned to one
//! version of the object, driven from the core's [`Download`] machine.
//!
//! A file sink is written at each range's offset into a temporary file
//! beside the target, renamed into place only when every byte arrived and
//! removed on failure: a failed download never leaves a partial file under
//! the target's name. A writer sink receives the bytes in order; ranges
//! that finish early wait in memory (at most `concurrency × part_size`).

use std::collections::BTreeMap;
use std::future::{Future, IntoFuture};
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use r2_proto::client_core::RequestId;
use r2_proto::error::{NetworkError, R2Error};
use r2_proto::ops::OperationName;
use r2_proto::telemetry;
use r2_proto::transfer::{
    BodyPlan, Download, DownloadAction, DownloadEvent, DownloadOptions, DownloadOutput,
    DownloadSpec, Fetch,
};
use r2_proto::{BucketName, ObjectKey};
use tokio::io::{AsyncSeekExt, AsyncWrite, AsyncWriteExt};

use crate::body::{ResponseBody, next_chunk, read_all};
use crate::client::{R2Client, now, stalled};
use crate::object_stream::sink_failed;
use crate::round_trip::{self, Opened};

/// Where a download's bytes go.
pub enum DownloadSink {
    /// A file, created or replaced once the download succeeds.
    File(PathBuf),
    /// A writer that takes the bytes in order.
    Writer(Box<dyn AsyncWrite + Send + Unpin>),
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
    pub fn writer(writer: impl AsyncWrite + Send + Unpin + 'static) -> Self {
        Self::Writer(Box::new(writer))
    }
}

/// A download being set up; `.await` it to run it.
#[must_use = "a download does nothing until awaited"]
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

    async fn run(self) -> Result<DownloadOutput, R2Error> {
        let started = Instant::now();
        let Self { client, sink, spec } = self;
        let result = match sink {
            DownloadSink::File(path) => {
                let partial = DownloadSpec::partial_path(&path);
                let mut sink = Sink::File(partial.clone());
                let result = drive(client, &spec, spec.options.clone(), &mut sink).await;
                let result = match result {
                    Ok(output) => tokio::fs::rename(&partial, &path)
                        .await
                        .map(|()| output)
                        .map_err(|e| sink_failed(0, &e)),
                    Err(error) => Err(error),
                };
                if result.is_err() {
                    let _ignored = tokio::fs::remove_file(&partial).await;
                }
                result
            }
            DownloadSink::Writer(writer) => {
                let mut sink = Sink::Ordered {
                    writer,
                    written: 0,
                    ready: BTreeMap::new(),
                };
                let options = DownloadOptions {
                    in_order: true,
                    ..spec.options.clone()
                };
                drive(client, &spec, options, &mut sink).await
            }
        };
        spec.finish(&result, started.elapsed());
        result
    }
}

impl<'a> IntoFuture for DownloadRequest<'a> {
    type Output = Result<DownloadOutput, R2Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

enum Sink {
    File(PathBuf),
    Ordered {
        writer: Box<dyn AsyncWrite + Send + Unpin>,
        written: u64,
        ready: BTreeMap<u64, Vec<Bytes>>,
    },
}

/// What a task reports back to the loop.
enum Step {
    Headers(RequestId, Result<Opened, NetworkError>),
    Body(DownloadEvent, Option<(u64, Vec<Bytes>)>),
}

async fn drive(
    client: &R2Client,
    spec: &DownloadSpec,
    options: DownloadOptions,
    sink: &mut Sink,
) -> Result<DownloadOutput, R2Error> {
    let (bucket, key) = (spec.bucket.clone(), spec.key.clone());
    let inner = &client.inner;
    let timeout = inner.transport.timeout();
    let file = match &*sink {
        Sink::File(path) => Some(path.clone()),
        Sink::Ordered { .. } => None,
    };
    if let Some(path) = &file {
        tokio::fs::File::create(path)
            .await
            .map_err(|e| sink_failed(0, &e))?;
    }
    let file = file.as_deref();
    let mut download = Download::new(Arc::clone(&inner.core), bucket, key, options);
    let mut tasks = FuturesUnordered::<Pin<Box<dyn Future<Output = Step> + Send + '_>>>::new();
    loop {
        while let Some(action) = download.poll(now()) {
            match action {
                DownloadAction::Fetch(Fetch { id, request, .. }) => {
                    let transport = &inner.transport;
                    tasks.push(Box::pin(async move {
                        Step::Headers(id, round_trip::open(transport, id, &request).await)
                    }));
                }
                DownloadAction::Note(note) => telemetry::note(OperationName::GetObject, &note),
                DownloadAction::Done(output) => {
                    if let Sink::Ordered {
                        writer, written, ..
                    } = sink
                    {
                        writer
                            .flush()
                            .await
                            .map_err(|e| sink_failed(*written, &e))?;
                    }
                    return Ok(output);
                }
                DownloadAction::Failed(error) => return Err(error),
            }
        }
        let deadline = download.deadline();
        let step = tokio::select! {
            step = tasks.next(), if !tasks.is_empty() => step,
            () = sleep_until(deadline), if deadline.is_some() => None,
            else => return Err(stalled()),
        };
        match step {
            None => {}
            Some(Step::Headers(id, Err(error))) => {
                download.handle(now(), DownloadEvent::Failed { id, error });
            }
            Some(Step::Headers(id, Ok(opened))) => {
                let (parts, body) = opened.answer.response.into_parts();
                match download.on_headers(now(), id, parts.status, &parts.headers) {
                    BodyPlan::Write { offset, len } => {
                        tasks.push(Box::pin(async move {
                            copy_body(id, body, offset, len, file, timeout).await
                        }));
                    }
                    BodyPlan::ReadError => {
                        let headers = parts.headers.clone();
                        tasks.push(Box::pin(async move {
                            let mut body = body;
                            let event = match read_all(&mut body, &headers, timeout).await {
                                Ok(body) => DownloadEvent::ErrorBody { id, body },
                                Err(error) => DownloadEvent::Failed { id, error },
                            };
                            Step::Body(event, None)
                        }));
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
                } = sink
                {
                    while let Some(chunks) = ready.remove(written) {
                        for chunk in chunks {
                            writer
                                .write_all(&chunk)
                                .await
                                .map_err(|e| sink_failed(*written, &e))?;
                            *written += chunk.len() as u64;
                        }
                    }
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline.into()).await;
    }
}

/// Copies one range's body: to its offset in the file, or into memory for
/// an ordered sink. Never more than `len` bytes are kept or written.
async fn copy_body(
    id: RequestId,
    mut body: ResponseBody,
    offset: u64,
    len: u64,
    file: Option<&Path>,
    timeout: std::time::Duration,
) -> Step {
    let mut handle = match file {
        Some(path) => match open_at(path, offset).await {
            Ok(handle) => Some(handle),
            Err(error) => return sink_error(id, offset, &error),
        },
        None => None,
    };
    let mut received = 0u64;
    let mut kept = Vec::new();
    loop {
        match next_chunk(&mut body, timeout).await {
            Ok(Some(chunk)) => {
                let fits = len.saturating_sub(received);
                let chunk =
                    chunk.slice(..usize::try_from(fits).unwrap_or(usize::MAX).min(chunk.len()));
                received += chunk.len() as u64;
                match handle.as_mut() {
                    Some(file) => {
                        if let Err(error) = file.write_all(&chunk).await {
                            return sink_error(id, offset, &error);
                        }
                    }
                    None => kept.push(chunk),
                }
            }
            Ok(None) => break,
            // Cut short: the machine sees fewer bytes than the range holds.
            Err(NetworkError::Timeout(after)) => {
                let error = NetworkError::Timeout(after);
                return Step::Body(DownloadEvent::Failed { id, error }, None);
            }
            Err(_) => break,
        }
    }
    if let Some(file) = handle.as_mut()
        && let Err(error) = file.flush().await
    {
        return sink_error(id, offset, &error);
    }
    Step::Body(
        DownloadEvent::BodyDone { id, received },
        // An ordered sink takes the bytes only of a range that arrived whole.
        (received == len).then_some((offset, kept)),
    )
}

async fn open_at(path: &Path, offset: u64) -> std::io::Result<tokio::fs::File> {
    let mut file = tokio::fs::OpenOptions::new().write(true).open(path).await?;
    file.seek(SeekFrom::Start(offset)).await?;
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
