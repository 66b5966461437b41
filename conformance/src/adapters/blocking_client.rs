//! `r2-blocking` under the scenario suite.

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use r2_blocking::{DownloadSink, R2Client, UploadBody};
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

use crate::scenarios::{ClientSetup, ProgressLog, ScenarioClient, Tuning};

/// An `r2_blocking::R2Client`.
#[derive(Debug)]
pub struct BlockingScenarioClient {
    client: R2Client,
    progress: ProgressLog,
}

impl BlockingScenarioClient {
    /// The client.
    pub fn client(&self) -> &R2Client {
        &self.client
    }
}

/// A reader that yields `data` in `chunk`-byte reads, like a pipe.
struct ChunkedReader {
    data: Bytes,
    chunk: usize,
}

impl Read for ChunkedReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        let piece = self.data.split_to(n);
        if let Some(target) = buf.get_mut(..n) {
            target.copy_from_slice(&piece);
        }
        Ok(n)
    }
}

/// An in-memory writer shared with the caller.
#[derive(Clone, Default)]
struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut held = self
            .0
            .lock()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        held.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ScenarioClient for BlockingScenarioClient {
    const NAME: &'static str = "r2_blocking";

    fn connect_with(config: Config, setup: ClientSetup) -> Result<Self, R2Error> {
        Ok(Self {
            client: setup.apply(R2Client::builder(config)).build()?,
            progress: ProgressLog::default(),
        })
    }

    fn with_timeout(&self, timeout: Duration) -> Result<Self, R2Error> {
        Ok(Self {
            client: self.client.with_timeout(timeout)?,
            progress: self.progress.clone(),
        })
    }

    fn put(&self, put: PutObject) -> Result<PutObjectOutput, R2Error> {
        self.client.objects().put(put)
    }

    fn put_stream(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        data: Bytes,
        chunk: usize,
    ) -> Result<UploadOutput, R2Error> {
        self.client
            .objects()
            .put_stream(bucket, key, ChunkedReader { data, chunk })
    }

    fn get(&self, get: GetObject) -> Result<GetObjectOutput, R2Error> {
        self.client.objects().get(get)
    }

    fn get_stream(&self, get: GetObject) -> Result<(ObjectMetadata, Bytes), R2Error> {
        let reader = self.client.objects().get_stream(get)?;
        let metadata = reader.metadata().clone();
        Ok((metadata, reader.read_to_vec()?.into()))
    }

    fn head(&self, head: HeadObject) -> Result<ObjectMetadata, R2Error> {
        self.client.objects().head(head)
    }

    fn exists(&self, exists: ObjectExists) -> Result<bool, R2Error> {
        self.client.objects().exists(exists)
    }

    fn delete(&self, delete: DeleteObject) -> Result<(), R2Error> {
        self.client.objects().delete(delete)
    }

    fn delete_objects(&self, delete: DeleteObjects) -> Result<DeleteObjectsOutput, R2Error> {
        self.client.objects().delete_objects(delete)
    }

    fn copy(&self, copy: CopyObject) -> Result<CopyObjectOutput, R2Error> {
        self.client.objects().copy(copy)
    }

    fn list(&self, list: ListObjectsV2) -> Result<ListObjectsV2Output, R2Error> {
        self.client.objects().list(list)
    }

    fn list_all(&self, list: ListObjectsV2) -> Result<Vec<ObjectSummary>, R2Error> {
        self.client.objects().list_all(list).collect()
    }

    fn list_entries(&self, list: ListObjectsV2) -> Result<Vec<ListEntry>, R2Error> {
        self.client.objects().list_entries(list).collect()
    }

    fn delete_listed(&self, list: ListObjectsV2) -> Result<DeletePrefixOutput, R2Error> {
        self.client.objects().delete_listed(list)
    }

    fn create_multipart(
        &self,
        create: CreateMultipartUpload,
    ) -> Result<CreateMultipartUploadOutput, R2Error> {
        self.client.multipart().create(create)
    }

    fn upload_part(&self, part: UploadPart) -> Result<UploadPartOutput, R2Error> {
        self.client.multipart().upload_part(part)
    }

    fn complete_multipart(
        &self,
        complete: CompleteMultipartUpload,
    ) -> Result<CompleteMultipartUploadOutput, R2Error> {
        self.client.multipart().complete(complete)
    }

    fn abort_multipart(&self, abort: AbortMultipartUpload) -> Result<(), R2Error> {
        self.client.multipart().abort(abort)
    }

    fn list_parts(&self, list: ListParts) -> Result<ListPartsOutput, R2Error> {
        self.client.multipart().list_parts(list)
    }

    fn list_uploads(
        &self,
        list: ListMultipartUploads,
    ) -> Result<ListMultipartUploadsOutput, R2Error> {
        self.client.multipart().list_uploads(list)
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
        self.client.send(get)
    }

    fn upload_bytes(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        data: Bytes,
        tuning: Tuning,
    ) -> Result<UploadOutput, R2Error> {
        self.client
            .upload(bucket, key, data)
            .content_type("application/x-r2-upload")
            .metadata("origin", "upload helper")
            .on_progress(self.progress.upload())
            .part_size(tuning.part_size)
            .concurrency(tuning.concurrency)
            .run()
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
        upload.run()
    }

    fn upload_file_kept(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        path: &Path,
        tuning: Tuning,
    ) -> Result<UploadOutput, R2Error> {
        self.client
            .upload(bucket, key, UploadBody::file(path))
            .on_progress(self.progress.upload())
            .part_size(tuning.part_size)
            .concurrency(tuning.concurrency)
            .keep_on_failure()
            .run()
    }

    fn download_file(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        path: &Path,
        tuning: Tuning,
    ) -> Result<DownloadOutput, R2Error> {
        self.client
            .download(bucket, key, DownloadSink::file(path))
            .on_progress(self.progress.download())
            .part_size(tuning.part_size)
            .concurrency(tuning.concurrency)
            .run()
    }

    fn download_ordered(
        &self,
        bucket: BucketName,
        key: ObjectKey,
        tuning: Tuning,
    ) -> Result<(DownloadOutput, Vec<u8>), R2Error> {
        let writer = SharedWriter::default();
        let output = self
            .client
            .download(bucket, key, DownloadSink::writer(writer.clone()))
            .on_progress(self.progress.download())
            .part_size(tuning.part_size)
            .concurrency(tuning.concurrency)
            .run()?;
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
