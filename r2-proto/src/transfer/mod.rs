//! Large transfers as state machines: concurrent multipart uploads
//! ([`Upload`]) and parallel ranged downloads ([`Download`]).
//!
//! A machine decides; the driver carries bytes and waits. Every machine has
//! the same shape: the driver passes what happened with `handle(now, event)`,
//! asks what to do with `poll(now)` until it answers `None`, then waits for
//! the next completion or `deadline()`:
//!
//! ```text
//! let mut upload = Upload::new(core.clone(), bucket, key, UploadSource::Sized(len), options)?;
//! loop {
//!     while let Some(action) = upload.poll(now()) {
//!         match action {
//!             UploadAction::ReadPart { part, offset, len } => spawn_read(part, offset, len),
//!             UploadAction::ReadStream { part, max } => spawn_stream_read(part, max),
//!             UploadAction::Send { id, request } => spawn_send(id, request),
//!             UploadAction::Note { operation, note } => log(operation, note),
//!             UploadAction::Done(output) => return Ok(output),
//!             UploadAction::Failed(error) => return Err(error),
//!         }
//!     }
//!     match next_completion_or(upload.deadline()) {
//!         Some(event) => upload.handle(now(), event), // PartRead, StreamRead, ReadFailed, Answer
//!         None => {}                                  // a retry wait ended: poll again
//!     }
//! }
//! ```
//!
//! The same machine, fed by a test with a scripted server and a fake clock,
//! behaves exactly as under tokio, smol or a blocking loop.

mod download;
mod plan;
mod request;
mod resume;
mod upload;

pub use download::{
    BodyPlan, Download, DownloadAction, DownloadEvent, DownloadOptions, DownloadOutput, Fetch,
    RangeBody,
};
pub use plan::{MAX_OBJECT_SIZE, MAX_PARTS, PartPlan};
pub use request::{DownloadSpec, UploadSpec};
pub use resume::ResumeState;
pub use upload::{
    PartIntegrity, Upload, UploadAction, UploadEvent, UploadOptions, UploadOutput, UploadProgress,
    UploadSource, part_of,
};

use std::fmt;

use crate::error::R2Error;

/// How an upload failed: the part, the upload, whether it was aborted, and
/// how to resume it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadFailure {
    /// The part that failed for good, if one did.
    pub part: Option<u32>,
    /// The multipart upload id, once created.
    pub upload_id: Option<String>,
    /// True if the upload was aborted (its parts deleted).
    pub aborted: bool,
    /// How to resume, when the upload was kept.
    pub resume: Option<ResumeState>,
    /// The error that ended it.
    pub cause: R2Error,
}

impl fmt::Display for UploadFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("upload failed")?;
        if let Some(part) = self.part {
            write!(f, " at part {part}")?;
        }
        if let Some(id) = &self.upload_id {
            write!(f, " (upload id {id})")?;
        }
        write!(f, ": {}", self.cause)?;
        if self.aborted {
            f.write_str("; the upload was aborted")
        } else if self.resume.is_some() {
            f.write_str("; the upload was kept and can be resumed")
        } else if self.upload_id.is_some() {
            f.write_str(
                "; the upload could not be aborted: abort it by its id, or let a lifecycle rule expire it",
            )
        } else {
            Ok(())
        }
    }
}

impl std::error::Error for UploadFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}
