//! How a multipart upload failed, kept with what it takes to resume it.

use std::fmt;

use super::R2Error;
use crate::resume_state::ResumeState;

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
