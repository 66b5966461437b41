//! The end of a multipart upload: Complete, the check of an uncertain
//! Complete, its retries, and the drain and abort of a failing upload.

use super::*;

/// Tries of CompleteMultipartUpload whose outcome stayed uncertain.
pub(super) const MAX_COMPLETE_TRIES: u32 = 3;

impl Upload {
    pub(super) fn output(&self, etag: ETag) -> UploadOutput {
        UploadOutput {
            etag,
            upload_id: self.upload_id.clone(),
            parts: u32::try_from(self.parts.len()).unwrap_or(u32::MAX),
            size: self.progress.confirmed,
        }
    }

    /// The ETag the object will have if CompleteMultipartUpload took effect.
    pub(super) fn expected_etag(&self) -> Option<ETag> {
        let parts = self.confirmed_parts()?;
        let etags: Vec<&ETag> = parts.iter().map(|c| &c.etag).collect();
        ETag::multipart(&etags)
    }

    pub(super) fn start_complete(&mut self, tries: u32) {
        let (Some(upload_id), Some(confirmed)) = (self.upload_id.clone(), self.confirmed_parts())
        else {
            debug_assert!(false, "Complete before the upload and all its parts exist");
            self.fail(failure(None, crate::exchange::stalled()));
            return;
        };
        let parts = confirmed
            .iter()
            .enumerate()
            .map(|(index, c)| {
                let part = CompletedPart::new(part_number(index), c.etag.clone());
                match c.checksum {
                    Some(checksum) => part.checksum(checksum),
                    None => part,
                }
            })
            .collect();
        let complete =
            CompleteMultipartUpload::new(self.bucket.clone(), self.key.clone(), upload_id, parts);
        match Exchange::single_attempt(self.core.clone(), complete) {
            Ok(exchange) => self.phase = Phase::Completing(Box::new(exchange), tries + 1),
            Err(error) => self.fail(failure(None, error)),
        }
    }

    /// A Complete that failed: a final refusal ends the upload; an uncertain
    /// outcome (transport failure, server error, `NoSuchUpload`, which a
    /// lost earlier success also produces, or a success whose body could
    /// not be read) is checked with HeadObject before Complete is tried
    /// again: a committed object is never reported as a failed upload.
    pub(super) fn after_complete_failure(&mut self, tries: u32, error: R2Error) {
        let uncertain = RetryClass::of(&error) != RetryClass::Permanent
            || matches!(
                error,
                R2Error::Multipart(MultipartError::NoSuchUpload(_)) | R2Error::Response(_)
            );
        if !uncertain {
            self.fail(failure(None, error));
            return;
        }
        match Exchange::new(
            self.core.clone(),
            HeadObject::new(self.bucket.clone(), self.key.clone()),
        ) {
            Ok(exchange) => self.phase = Phase::Verifying(Box::new(exchange), tries, error),
            Err(head_error) => self.fail(failure(None, head_error)),
        }
    }

    /// The object is not (yet) there: wait and try Complete again, unless
    /// the tries are spent or the error says the upload is gone.
    pub(super) fn retry_complete(&mut self, now: Now, tries: u32, error: R2Error) {
        let class = RetryClass::of(&error);
        let delay = if tries >= MAX_COMPLETE_TRIES {
            None
        } else {
            let mut shared = self.core.shared();
            self.core
                .retry_policy()
                .delay(class, tries, error.retry_after(), &mut shared.jitter)
        };
        match delay {
            Some(after) => {
                self.notes.push_back(Note::Retrying {
                    attempt: tries,
                    after,
                    class,
                    error,
                });
                self.phase = Phase::CompleteBackoff(now.instant + after, tries);
            }
            None => self.fail(failure(None, error)),
        }
    }

    /// An uncertain Complete was checked with HeadObject: the object is
    /// there (the ETag and size the parts make), or Complete is tried again.
    pub(super) fn after_check(
        &mut self,
        now: Now,
        tries: u32,
        error: R2Error,
        head: Result<crate::model::ObjectMetadata, R2Error>,
    ) {
        let expected = self.expected_etag();
        let total = self.plan.map(|p| p.total()).or(self.progress.total);
        match head {
            Ok(head)
                if expected.is_some() && head.etag == expected && head.content_length == total =>
            {
                let etag = head.etag.unwrap_or_else(|| ETag::new(""));
                self.finish(Ok(self.output(etag)));
            }
            _ => self.retry_complete(now, tries, error),
        }
    }

    pub(super) fn after_drain(&mut self, mut failure: Box<UploadFailure>) {
        let Some(upload_id) = self.upload_id.clone() else {
            self.finish(Err(failure.cause));
            return;
        };
        // A stream cannot be read again, so it has no resume state: its
        // upload is aborted even when asked to keep it, never left behind.
        if self.options.keep_on_failure
            && let Some(state) = self.resume_state()
        {
            failure.resume = Some(state);
            self.finish(Err(R2Error::Upload(failure)));
            return;
        }
        let abort = AbortMultipartUpload::new(self.bucket.clone(), self.key.clone(), upload_id);
        match Exchange::new(self.core.clone(), abort) {
            Ok(exchange) => self.phase = Phase::Aborting(Box::new(exchange), failure),
            Err(_) => {
                failure.resume = self.resume_state();
                self.finish(Err(R2Error::Upload(failure)));
            }
        }
    }

    /// The abort ended: the failure says whether the upload is gone, and
    /// how to resume it if not.
    pub(super) fn after_abort(
        &mut self,
        attempts: u32,
        mut failure: Box<UploadFailure>,
        result: Result<(), R2Error>,
    ) {
        // `NoSuchUpload` on a retried abort: the first one took effect.
        failure.aborted = match result {
            Ok(()) => true,
            Err(R2Error::Multipart(MultipartError::NoSuchUpload(_))) => attempts > 1,
            Err(_) => false,
        };
        if !failure.aborted {
            // The upload still exists: say how to resume (or abort) it.
            failure.resume = self.resume_state();
        }
        self.finish(Err(R2Error::Upload(failure)));
    }
}
