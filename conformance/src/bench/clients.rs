//! Each adapter as the end-to-end bench drives it: the same few transfers,
//! written once per adapter in its own idiom.

use std::future::IntoFuture;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use r2_proto::error::R2Error;
use r2_proto::ops::{GetObject, ObjectAttributes, PutObject};
use r2_proto::{BucketName, Config, ObjectKey};

use super::sink::fill_pattern;

/// What the bench does through an adapter.
pub trait BenchClient: Sized {
    /// The adapter's name.
    const NAME: &'static str;

    /// A client for `config` with `pool` connections.
    fn connect(config: Config, pool: usize) -> Result<Self, R2Error>;
    /// One PutObject.
    fn put(&self, put: PutObject) -> Result<(), R2Error>;
    /// A streamed GetObject whose bytes are counted and dropped.
    fn get_to_sink(&self, bucket: &BucketName, key: &ObjectKey) -> Result<u64, R2Error>;
    /// The upload helper from memory, multipart in `part`-byte parts.
    fn upload(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        data: Bytes,
        part: u64,
        concurrency: usize,
    ) -> Result<(), R2Error>;
    /// The upload helper from a reader of `len` pattern bytes (a stream of
    /// unknown length), stored by the sink as a pattern object.
    fn upload_stream(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        len: u64,
        part: u64,
        concurrency: usize,
    ) -> Result<(), R2Error>;
    /// The download helper into a writer that counts and drops.
    fn download_to_sink(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        part: u64,
        concurrency: usize,
    ) -> Result<u64, R2Error>;
    /// `count` PutObjects of `size` bytes, `in_flight` at once; each one's latency.
    fn small_puts(
        &self,
        bucket: &BucketName,
        count: usize,
        in_flight: usize,
        size: usize,
    ) -> Result<Vec<Duration>, R2Error>;
}

fn pattern_attributes() -> ObjectAttributes {
    let mut attributes = ObjectAttributes::default();
    attributes.metadata.insert("sink", "pattern");
    attributes
}

fn small_key(i: usize) -> Result<ObjectKey, R2Error> {
    Ok(ObjectKey::new(format!("small/{i:06}"))?)
}

/// The pattern, `len` bytes of it, read in pieces of whatever is asked.
struct PatternReader {
    at: u64,
    len: u64,
}

impl PatternReader {
    fn fill(&mut self, buffer: &mut [u8]) -> usize {
        let n = usize::try_from((self.len - self.at).min(buffer.len() as u64)).unwrap_or(0);
        fill_pattern(buffer.get_mut(..n).unwrap_or_default(), self.at);
        self.at += n as u64;
        n
    }
}

impl std::io::Read for PatternReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        Ok(self.fill(buf))
    }
}

impl tokio::io::AsyncRead for PatternReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let n = self.fill(buf.initialize_unfilled());
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl futures_lite::AsyncRead for PatternReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Ok(self.fill(buf)))
    }
}

async fn latencies<F: std::future::Future<Output = Result<(), R2Error>>>(
    start: impl Fn(usize) -> F,
    count: usize,
    in_flight: usize,
) -> Result<Vec<Duration>, R2Error> {
    let results: Vec<Result<Duration, R2Error>> = futures_util::stream::iter(0..count)
        .map(|i| {
            let request = start(i);
            async move {
                let began = Instant::now();
                request.await.map(|()| began.elapsed())
            }
        })
        .buffer_unordered(in_flight)
        .collect()
        .await;
    results.into_iter().collect()
}

/// The methods r2-tokio and r2-smol share, word for word: the same async
/// API, each call run to its end by the type's `run`, `$sink` the
/// executor's byte sink.
macro_rules! async_bench_methods {
    ($adapter:ident, $sink:expr) => {
        fn put(&self, put: PutObject) -> Result<(), R2Error> {
            self.run(self.client.objects().put(put)).map(drop)
        }

        fn get_to_sink(&self, bucket: &BucketName, key: &ObjectKey) -> Result<u64, R2Error> {
            self.run(async {
                let stream = self
                    .client
                    .objects()
                    .get_stream(GetObject::new(bucket.clone(), key.clone()))
                    .await?;
                stream.write_to(&mut $sink).await
            })
        }

        fn upload(
            &self,
            bucket: &BucketName,
            key: &ObjectKey,
            data: Bytes,
            part: u64,
            concurrency: usize,
        ) -> Result<(), R2Error> {
            let upload = self
                .client
                .upload(bucket.clone(), key.clone(), data)
                .part_size(part)
                .multipart_threshold(part)
                .concurrency(concurrency);
            self.run(upload.into_future()).map(drop)
        }

        fn upload_stream(
            &self,
            bucket: &BucketName,
            key: &ObjectKey,
            len: u64,
            part: u64,
            concurrency: usize,
        ) -> Result<(), R2Error> {
            let reader = $adapter::UploadBody::reader(PatternReader { at: 0, len });
            let upload = self
                .client
                .upload(bucket.clone(), key.clone(), reader)
                .part_size(part)
                .multipart_threshold(part)
                .concurrency(concurrency)
                .attributes(pattern_attributes());
            self.run(upload.into_future()).map(drop)
        }

        fn download_to_sink(
            &self,
            bucket: &BucketName,
            key: &ObjectKey,
            part: u64,
            concurrency: usize,
        ) -> Result<u64, R2Error> {
            let sink = $adapter::DownloadSink::writer($sink);
            let download = self
                .client
                .download(bucket.clone(), key.clone(), sink)
                .part_size(part)
                .concurrency(concurrency);
            self.run(download.into_future()).map(|out| out.size)
        }

        fn small_puts(
            &self,
            bucket: &BucketName,
            count: usize,
            in_flight: usize,
            size: usize,
        ) -> Result<Vec<Duration>, R2Error> {
            let body = Bytes::from(vec![b's'; size]);
            let client = &self.client;
            self.run(latencies(
                |i| {
                    let body = body.clone();
                    async move {
                        let put = PutObject::new(bucket.clone(), small_key(i)?, body);
                        client.objects().put(put).await.map(drop)
                    }
                },
                count,
                in_flight,
            ))
        }
    };
}

/// r2-tokio on its own two-thread runtime.
pub struct TokioBench {
    runtime: tokio::runtime::Runtime,
    client: r2_tokio::R2Client,
}

impl TokioBench {
    fn run<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl BenchClient for TokioBench {
    const NAME: &'static str = "r2-tokio";

    fn connect(config: Config, pool: usize) -> Result<Self, R2Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| r2_proto::error::NetworkError::ConnectionFailed(e.to_string()))?;
        let client = {
            let _entered = runtime.enter();
            r2_tokio::R2Client::builder(config)
                .pool_size(pool)
                .build()?
        };
        Ok(Self { runtime, client })
    }

    async_bench_methods!(r2_tokio, tokio::io::sink());
}

/// r2-smol, each call in `smol::block_on`.
pub struct SmolBench {
    client: r2_smol::R2Client,
}

impl SmolBench {
    fn run<F: std::future::Future>(&self, future: F) -> F::Output {
        smol::block_on(future)
    }
}

impl BenchClient for SmolBench {
    const NAME: &'static str = "r2-smol";

    fn connect(config: Config, pool: usize) -> Result<Self, R2Error> {
        Ok(Self {
            client: r2_smol::R2Client::builder(config).pool_size(pool).build()?,
        })
    }

    async_bench_methods!(r2_smol, futures_lite::io::sink());
}

/// r2-blocking, with threads for what goes on at once.
pub struct BlockingBench {
    client: r2_blocking::R2Client,
}

impl BenchClient for BlockingBench {
    const NAME: &'static str = "r2-blocking";

    fn connect(config: Config, pool: usize) -> Result<Self, R2Error> {
        Ok(Self {
            client: r2_blocking::R2Client::builder(config)
                .pool_size(pool)
                .build()?,
        })
    }

    fn put(&self, put: PutObject) -> Result<(), R2Error> {
        self.client.objects().put(put).map(drop)
    }

    fn get_to_sink(&self, bucket: &BucketName, key: &ObjectKey) -> Result<u64, R2Error> {
        let reader = self
            .client
            .objects()
            .get_stream(GetObject::new(bucket.clone(), key.clone()))?;
        reader.copy_to(&mut std::io::sink())
    }

    fn upload(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        data: Bytes,
        part: u64,
        concurrency: usize,
    ) -> Result<(), R2Error> {
        self.client
            .upload(bucket.clone(), key.clone(), data)
            .part_size(part)
            .multipart_threshold(part)
            .concurrency(concurrency)
            .run()
            .map(drop)
    }

    fn upload_stream(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        len: u64,
        part: u64,
        concurrency: usize,
    ) -> Result<(), R2Error> {
        let reader = r2_blocking::UploadBody::reader(PatternReader { at: 0, len });
        self.client
            .upload(bucket.clone(), key.clone(), reader)
            .part_size(part)
            .multipart_threshold(part)
            .concurrency(concurrency)
            .attributes(pattern_attributes())
            .run()
            .map(drop)
    }

    fn download_to_sink(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        part: u64,
        concurrency: usize,
    ) -> Result<u64, R2Error> {
        self.client
            .download(
                bucket.clone(),
                key.clone(),
                r2_blocking::DownloadSink::writer(std::io::sink()),
            )
            .part_size(part)
            .concurrency(concurrency)
            .run()
            .map(|out| out.size)
    }

    fn small_puts(
        &self,
        bucket: &BucketName,
        count: usize,
        in_flight: usize,
        size: usize,
    ) -> Result<Vec<Duration>, R2Error> {
        let body = Bytes::from(vec![b's'; size]);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..in_flight)
            .map(|_| {
                let (client, bucket, body, next) = (
                    self.client.clone(),
                    bucket.clone(),
                    body.clone(),
                    Arc::clone(&next),
                );
                std::thread::spawn(move || -> Result<Vec<Duration>, R2Error> {
                    let mut seen = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= count {
                            return Ok(seen);
                        }
                        let began = Instant::now();
                        let put = PutObject::new(bucket.clone(), small_key(i)?, body.clone());
                        client.objects().put(put)?;
                        seen.push(began.elapsed());
                    }
                })
            })
            .collect();
        let mut all = Vec::with_capacity(count);
        for thread in threads {
            let seen = thread.join().map_err(|_| {
                r2_proto::error::NetworkError::ConnectionFailed("a bench thread panicked".into())
            })??;
            all.extend(seen);
        }
        Ok(all)
    }
}
