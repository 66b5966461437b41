//! What a caller asks of the upload and download helpers, apart from where
//! the bytes come from or go: options, resume, progress callbacks and the
//! closing log line live here, so every adapter offers the same builder
//! methods (the `upload_setters!` and `download_setters!` macros, hidden
//! from the docs: they are for the adapters) with the same meaning.

use std::sync::Arc;
use std::time::Duration;

use crate::client_core::ClientCore;
use crate::config::Config;
use crate::error::R2Error;
use crate::names::{BucketName, ObjectKey};
use crate::ops::OperationName;
use crate::telemetry;

use super::{
    Download, DownloadOptions, DownloadOutput, DownloadProgress, ResumeState, Upload,
    UploadOptions, UploadOutput, UploadProgress, UploadSource,
};

type ProgressFn = Box<dyn FnMut(UploadProgress) + Send>;
type DownloadProgressFn = Box<dyn FnMut(DownloadProgress) + Send>;
type ResumeStateFn = Box<dyn FnMut(&ResumeState) + Send>;

/// An upload as asked for: target, options, resume state and callbacks.
pub struct UploadSpec {
    /// The bucket.
    pub bucket: BucketName,
    /// The key.
    pub key: ObjectKey,
    /// Part size, concurrency, threshold, attributes, integrity, keep-on-failure.
    pub options: UploadOptions,
    /// The kept upload to continue, if any.
    pub resume: Option<ResumeState>,
    progress: Option<ProgressFn>,
    state_sink: Option<ResumeStateFn>,
}

impl std::fmt::Debug for UploadSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadSpec")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("options", &self.options)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl UploadSpec {
    /// An upload of `key` with the options of `config`.
    pub fn new(config: &Config, bucket: impl Into<BucketName>, key: impl Into<ObjectKey>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            options: UploadOptions::from_config(config),
            resume: None,
            progress: None,
            state_sink: None,
        }
    }

    /// Calls `progress` when the progress moved, at most once per
    /// `options.progress_interval` and always with the last one.
    pub fn on_progress(&mut self, progress: impl FnMut(UploadProgress) + Send + 'static) {
        self.progress = Some(Box::new(progress));
    }

    /// Calls `sink` once, with the resume state, as soon as the multipart
    /// upload exists (so it can be saved before parts go out).
    pub fn on_resume_state(&mut self, sink: impl FnMut(&ResumeState) + Send + 'static) {
        self.state_sink = Some(Box::new(sink));
    }

    /// The machine: a new upload of `source`, or, when resuming, the kept
    /// one, which first pages through the parts the server holds.
    pub fn machine(
        &mut self,
        core: Arc<ClientCore>,
        source: UploadSource,
    ) -> Result<Upload, R2Error> {
        match self.resume.take() {
            Some(state) => Upload::resuming(core, &state, self.options.clone()),
            None => Upload::new(
                core,
                self.bucket.clone(),
                self.key.clone(),
                source,
                self.options.clone(),
            ),
        }
    }

    /// Hands the resume state to the `on_resume_state` callback
    /// ([`UploadAction::SaveState`](super::UploadAction::SaveState)).
    pub fn save_state(&mut self, state: &ResumeState) {
        if let Some(sink) = self.state_sink.as_mut() {
            sink(state);
        }
    }

    /// Hands the progress to the `on_progress` callback
    /// ([`UploadAction::Progress`](super::UploadAction::Progress)).
    pub fn report(&mut self, progress: UploadProgress) {
        if let Some(report) = self.progress.as_mut() {
            report(progress);
        }
    }

    /// Logs the end of the upload (INFO with its throughput, or ERROR).
    pub fn finish(&self, result: &Result<UploadOutput, R2Error>, elapsed: Duration) {
        match result {
            Ok(output) => telemetry::transfer_finished(
                "upload",
                self.bucket.as_str(),
                self.key.as_str(),
                output.size,
                elapsed,
            ),
            Err(error) => telemetry::operation_failed(OperationName::PutObject, error),
        }
    }
}

/// A download as asked for: target, options and the progress callback.
pub struct DownloadSpec {
    /// The bucket.
    pub bucket: BucketName,
    /// The key.
    pub key: ObjectKey,
    /// Range size, concurrency, the version to pin, in-order delivery.
    pub options: DownloadOptions,
    progress: Option<DownloadProgressFn>,
}

impl std::fmt::Debug for DownloadSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadSpec")
            .field("bucket", &self.bucket)
            .field("key", &self.key)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl DownloadSpec {
    /// A download of `key` with the options of `config`.
    pub fn new(config: &Config, bucket: impl Into<BucketName>, key: impl Into<ObjectKey>) -> Self {
        Self {
            bucket: bucket.into(),
            key: key.into(),
            options: DownloadOptions::from_config(config),
            progress: None,
        }
    }

    /// Calls `progress` when the progress moved, at most once per
    /// `options.progress_interval` and always with the last one.
    pub fn on_progress(&mut self, progress: impl FnMut(DownloadProgress) + Send + 'static) {
        self.progress = Some(Box::new(progress));
    }

    /// Hands the progress to the `on_progress` callback
    /// ([`DownloadAction::Progress`](super::DownloadAction::Progress)).
    pub fn report(&mut self, progress: DownloadProgress) {
        if let Some(report) = self.progress.as_mut() {
            report(progress);
        }
    }

    /// The machine for this download: the bytes released in order when
    /// they go to a writer (`ordered`), written at their offsets otherwise.
    pub fn machine(&self, core: Arc<ClientCore>, ordered: bool) -> Download {
        let options = DownloadOptions {
            in_order: ordered,
            ..self.options.clone()
        };
        Download::new(core, self.bucket.clone(), self.key.clone(), options)
    }

    /// Where a download to the file `target` is written until it is
    /// complete: `dir/.name.r2-partial`, beside the target, so that the
    /// final rename stays on one file system and is atomic.
    pub fn partial_path(target: &std::path::Path) -> std::path::PathBuf {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "download".into());
        target.with_file_name(format!(".{name}.r2-partial"))
    }

    /// Logs the end of the download (INFO with its throughput, or ERROR).
    pub fn finish(&self, result: &Result<DownloadOutput, R2Error>, elapsed: Duration) {
        match result {
            Ok(output) => telemetry::transfer_finished(
                "download",
                self.bucket.as_str(),
                self.key.as_str(),
                output.size,
                elapsed,
            ),
            Err(error) => telemetry::operation_failed(OperationName::GetObject, error),
        }
    }
}

/// The builder methods of an adapter's upload request: a struct with a
/// field `spec: UploadSpec` gets `part_size`, `concurrency`,
/// `multipart_threshold`, `attributes` (and each attribute: `content_type`,
/// `metadata`, …), `content_md5`, `checksum`,
/// `keep_on_failure`, `resume`, `on_progress`, `progress_interval` and
/// `on_resume_state`.
#[doc(hidden)]
#[macro_export]
macro_rules! upload_setters {
    () => {
        /// Bytes per part (default from the config; grown to fit 10,000 parts).
        pub fn part_size(mut self, bytes: u64) -> Self {
            self.spec.options.part_size = bytes;
            self
        }

        /// Parts in flight at once (1..=16).
        pub fn concurrency(mut self, parts: usize) -> Self {
            self.spec.options.concurrency = parts;
            self
        }

        /// Sources of at least this size use multipart.
        pub fn multipart_threshold(mut self, bytes: u64) -> Self {
            self.spec.options.multipart_threshold = bytes;
            self
        }

        /// Content type, metadata and other stored attributes, all at once
        /// (or one by one: `content_type`, `metadata`, …).
        pub fn attributes(mut self, attributes: $crate::ops::ObjectAttributes) -> Self {
            self.spec.options.attributes = attributes;
            self
        }

        $crate::attribute_setters!(.spec.options.attributes);

        /// Each part carries `Content-MD5` (the server refuses altered parts).
        pub fn content_md5(mut self) -> Self {
            self.spec.options.part_integrity = $crate::transfer::PartIntegrity::ContentMd5;
            self
        }

        /// Each part carries an `x-amz-checksum-<algorithm>`.
        pub fn checksum(mut self, algorithm: $crate::model::ChecksumAlgorithm) -> Self {
            self.spec.options.part_integrity = $crate::transfer::PartIntegrity::Checksum(algorithm);
            self
        }

        /// On failure keep the multipart upload for [`resume`](Self::resume)
        /// instead of aborting it (the error carries its resume state).
        pub fn keep_on_failure(mut self) -> Self {
            self.spec.options.keep_on_failure = true;
            self
        }

        /// Continues an upload kept after a failure: parts the server already
        /// holds (checked against the local bytes' MD5) are not sent again.
        /// The body must be the same bytes or file.
        pub fn resume(mut self, state: $crate::transfer::ResumeState) -> Self {
            self.spec.resume = Some(state);
            self
        }

        $crate::progress_setters!(
            $crate::transfer::UploadProgress,
            "every count only grows, a resumed upload starts from the bytes the server holds"
        );

        /// Called with the resume state once the multipart upload exists, so it
        /// can be saved before parts go out (a crash then loses no parts).
        pub fn on_resume_state(
            mut self,
            sink: impl FnMut(&$crate::transfer::ResumeState) + Send + 'static,
        ) -> Self {
            self.spec.on_resume_state(sink);
            self
        }
    };
}

/// The builder methods of an adapter's download request: a struct with a
/// field `spec: DownloadSpec` gets `part_size`, `concurrency`, `if_match`,
/// `on_progress` and `progress_interval`.
#[doc(hidden)]
#[macro_export]
macro_rules! download_setters {
    () => {
        /// Bytes per ranged GET (default: the config's part size).
        pub fn part_size(mut self, bytes: u64) -> Self {
            self.spec.options.part_size = bytes;
            self
        }

        /// Ranged GETs at once (1..=16).
        pub fn concurrency(mut self, ranges: usize) -> Self {
            self.spec.options.concurrency = ranges;
            self
        }

        /// Download only this version (`PreconditionFailed` otherwise).
        pub fn if_match(mut self, etag: $crate::model::ETag) -> Self {
            self.spec.options.if_match = Some(etag);
            self
        }

        $crate::progress_setters!(
            $crate::transfer::DownloadProgress,
            "bytes received whole and checked; every count only grows"
        );
    };
}

/// `on_progress` and `progress_interval`, for the upload and download
/// requests (`progress` is the type reported, `what` says what it counts).
#[doc(hidden)]
#[macro_export]
macro_rules! progress_setters {
    ($progress:ty, $what:literal) => {
        #[doc = concat!("Called with the progress when it moved (", $what, "), at most")]
        /// once per [`progress_interval`](Self::progress_interval) and
        /// always with the last one.
        pub fn on_progress(mut self, progress: impl FnMut($progress) + Send + 'static) -> Self {
            self.spec.on_progress(progress);
            self
        }

        /// The least time between two progress reports (default 100 ms).
        pub fn progress_interval(mut self, interval: ::std::time::Duration) -> Self {
            self.spec.options.progress_interval = interval;
            self
        }
    };
}
