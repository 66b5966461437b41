//! `r2-tokio` under the scenario suite: every call blocks on a runtime the
//! client owns.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt;
use r2_proto::error::R2Error;
use r2_proto::model::ObjectMetadata;
use r2_proto::ops::{
    AbortMultipartUpload, CompleteMultipartUpload, CompleteMultipartUploadOutput, CopyObject,
    CopyObjectOutput, CreateMultipartUpload, CreateMultipartUploadOutput, DeleteObject,
    DeleteObjects, DeleteObjectsOutput, DeletePrefixOutput, GetBucketLifecycleConfiguration,
    GetObject, GetObjectOutput, HeadObject, LifecycleRule, ListEntry, ListMultipartUploads,
    ListMultipartUploadsOutput, ListObjectsV2, ListObjectsV2Output, ListParts, ListPartsOutput,
    ObjectExists, ObjectSummary, PutObject, PutObjectOutput, UploadPart, UploadPartOutput,
};
use r2_proto::transfer::{DownloadOutput, ResumeState, UploadOutput};
use r2_proto::{BucketName, Config, ObjectKey, PresignedRequest};
use r2_tokio::{DownloadSink, R2Client, UploadBody};
use tokio::runtime::Runtime;

use crate::scenarios::{ClientSetup, ProgressLog, ScenarioClient, Tuning};

/// An `r2_tokio::R2Client` with its own runtime.
#[derive(Debug)]
pub struct TokioScenarioClient {
    runtime: Arc<Runtime>,
    client: R2Client,
    progress: ProgressLog,
}

impl TokioScenarioClient {
    /// The client.
    pub fn client(&self) -> &R2Client {
        &self.client
    }

    /// Runs `future` on the client's runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

/// A reader that yields `data` in `chunk`-byte reads, like a pipe.
struct ChunkedReader {
    data: Bytes,
    chunk: usize,
}

impl tokio::io::AsyncRead for ChunkedReader {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let n = self.chunk.min(buf.remaining()).min(self.data.len());
        let piece = self.data.split_to(n);
        buf.put_slice(&piece);
        std::task::Poll::Ready(Ok(()))
    }
}

/// An in-memory writer shared with the caller.
#[derive(Clone, Default)]
struct SharedWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl tokio::io::AsyncWrite for SharedWriter {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let mut held = self
            .0
            .lock()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        held.extend_from_slice(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

impl ScenarioClient for TokioScenarioClient {
    const NAME: &'static str = "r2_tokio";

    fn connect_with(config: Config, setup: ClientSetup) -> Result<Self, R2Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| r2_proto::error::NetworkError::ConnectionFailed(e.to_string()))?;
        let client = {
            let _guard = runtime.enter();
            setup.apply(R2Client::builder(config)).build()?
        };
        Ok(Self {
            runtime: Arc::new(runtime),
            client,
            progress: ProgressLog::default(),
        })
    }

    fn with_timeout(&self, timeout: Duration) -> Result<Self, R2Error> {
        Ok(Self {
            runtime: Arc::clone(&self.runtime),
            client: self.client.with_timeout(timeout)?,
            progress: self.progress.clone(),
        })
    }

    fn put(&self, put: PutObject) -> Result<PutObjectOutput, R2Error> {
        self.block_on(self.client.objects().put(put))
    }

    fn put_stream(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        data: Bytes,
        chunk: usize,
    ) -> Result<UploadOutput, R2Error> {
        let reader = ChunkedReader { data, chunk };
        self.block_on(self.client.objects().put_stream(bucket, key, reader))
    }

    fn get(&self, get: GetObject) -> Result<GetObjectOutput, R2Error> {
        self.block_on(self.client.objects().get(get))
    }

    fn get_stream(&self, get: GetObject) -> Result<(ObjectMetadata, Bytes), R2Error> {
        self.block_on(async {
            let stream = self.client.objects().get_stream(get).await?;
            let metadata = stream.metadata().clone();
            Ok((metadata, stream.collect().await?))
        })
    }

    fn head(&self, head: HeadObject) -> Result<ObjectMetadata, R2Error> {
        self.block_on(self.client.objects().head(head))
    }

    fn exists(&self, exists: ObjectExists) -> Result<bool, R2Error> {
        self.block_on(self.client.objects().exists(exists))
    }

    fn delete(&self, delete: DeleteObject) -> Result<(), R2Error> {
        self.block_on(self.client.objects().delete(delete))
    }

    fn delete_objects(&self, delete: DeleteObjects) -> Result<DeleteObjectsOutput, R2Error> {
        self.block_on(self.client.objects().delete_objects(delete))
    }

    fn copy(&self, copy: CopyObject) -> Result<CopyObjectOutput, R2Error> {
        self.block_on(self.client.objects().copy(copy))
    }

    fn list(&self, list: ListObjectsV2) -> Result<ListObjectsV2Output, R2Error> {
        self.block_on(self.client.objects().list(list))
    }

    fn list_all(&self, list: ListObjectsV2) -> Result<Vec<ObjectSummary>, R2Error> {
        self.block_on(self.client.objects().list_all(list).try_collect())
    }

    fn list_entries(&self, list: ListObjectsV2) -> Result<Vec<ListEntry>, R2Error> {
        self.block_on(self.client.objects().list_entries(list).try_collect())
    }

    fn delete_listed(&self, list: ListObjectsV2) -> Result<DeletePrefixOutput, R2Error> {
        self.block_on(self.client.objects().delete_listed(list))
    }

    fn create_multipart(
        &self,
        create: CreateMultipartUpload,
    ) -> Result<CreateMultipartUploadOutput, R2Error> {
        self.block_on(self.client.multipart().create(create))
    }

    fn upload_part(&self, part: UploadPart) -> Result<UploadPartOutput, R2Error> {
        self.block_on(self.client.multipart().upload_part(part))
    }

    fn complete_multipart(
        &self,
        complete: CompleteMultipartUpload,
    ) -> Result<CompleteMultipartUploadOutput, R2Error> {
        self.block_on(self.client.multipart().complete(complete))
    }

    fn abort_multipart(&self, abort: AbortMultipartUpload) -> Result<(), R2Error> {
        self.block_on(self.client.multipart().abort(abort))
    }

    fn list_parts(&self, list: ListParts) -> Result<ListPartsOutput, R2Error> {
        self.block_on(self.client.multipart().list_parts(list))
    }

    fn list_uploads(
        &self,
        list: ListMultipartUploads,
    ) -> Result<ListMultipartUploadsOutput, R2Error> {
        self.block_on(self.client.multipart().list_uploads(list))
    }

    fn presign_get(&self, get: &GetObject, expires: Duration) -> Result<PresignedRequest, R2Error> {
        self.client.presign().presign_get(get, expires)
    }

    fn presign_put(&self, put: &PutObject, expires: Duration) -> Result<PresignedRequest, R2Error> {
        self.client.presign().presign_put(put, expires)
    }

    fn lifecycle(
        &self,
        get: GetBucketLifecycleConfiguration,
    ) -> Result<Vec<LifecycleRule>, R2Error> {
        self.block_on(self.client.send(get))
    }

    fn upload_bytes(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        data: Bytes,
        tuning: Tuning,
    ) -> Result<UploadOutput, R2Error> {
        self.block_on(
            self.client
                .upload(bucket, key, data)
                .content_type("application/x-r2-upload")
                .metadata("origin", "upload helper")
                .on_progress(self.progress.upload())
                .part_size(tuning.part_size)
                .concurrency(tuning.concurrency)
                .into_future(),
        )
    }

    fn upload_file(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        path: &Path,
        tuning: Tuning,
        resume: Option<ResumeState>,
    ) -> Result<UploadOutput, R2Error> {
        let mut upload = self
            .client
            .upload(bucket, key, UploadBody::file(path))
            .on_progress(self.progress.upload())
            .part_size(tuning.part_size)
            .concurrency(tuning.concurrency);
        if let Some(state) = resume {
            upload = upload.resume(state);
        }
        self.block_on(upload.into_future())
    }

    fn upload_file_kept(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        path: &Path,
        tuning: Tuning,
    ) -> Result<UploadOutput, R2Error> {
        self.block_on(
            self.client
                .upload(bucket, key, UploadBody::file(path))
                .on_progress(self.progress.upload())
                .part_size(tuning.part_size)
                .concurrency(tuning.concurrency)
                .keep_on_failure()
                .into_future(),
        )
    }

    fn download_file(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        path: &Path,
        tuning: Tuning,
    ) -> Result<DownloadOutput, R2Error> {
        self.block_on(
            self.client
                .download(bucket, key, DownloadSink::file(path))
                .on_progress(self.progress.download())
                .part_size(tuning.part_size)
                .concurrency(tuning.concurrency)
                .into_future(),
        )
    }

    fn download_ordered(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        tuning: Tuning,
    ) -> Result<(DownloadOutput, Vec<u8>), R2Error> {
        let writer = SharedWriter::default();
        let output = self.block_on(
            self.client
                .download(bucket, key, DownloadSink::writer(writer.clone()))
                .on_progress(self.progress.download())
                .part_size(tuning.part_size)
                .concurrency(tuning.concurrency)
                .into_future(),
        )?;
        let bytes = writer
            .0
            .lock()
            .map(|held| held.clone())
            .map_err(|e| r2_proto::error::NetworkError::ConnectionFailed(e.to_string()))?;
        Ok((output, bytes))
    }

    fn progress(&self) -> &ProgressLog {
        &self.progress
    }
}
