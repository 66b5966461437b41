//! Resuming a kept upload: its plan from the saved state, then the parts
//! the server holds, paged through with ListParts by the machine itself.

use super::*;

impl Upload {
    /// Resumes an upload from its saved state and the parts ListParts found
    /// (every page of them). A listed part is kept only if its size fits the
    /// plan, and, when `verify_resumed_parts` is set, once the MD5 of the
    /// local bytes equals its ETag; any other part is uploaded again.
    pub fn resume(
        core: Arc<ClientCore>,
        state: &ResumeState,
        listed: &[PartSummary],
        options: UploadOptions,
    ) -> Result<Self, R2Error> {
        let mut upload = Self::kept(core, state, options)?;
        upload.take_listed(listed);
        upload.phase = Phase::Parts;
        Ok(upload)
    }

    /// Resumes an upload from its saved state, paging through ListParts
    /// itself first (then as [`resume`](Self::resume)).
    pub fn resuming(
        core: Arc<ClientCore>,
        state: &ResumeState,
        options: UploadOptions,
    ) -> Result<Self, R2Error> {
        let mut upload = Self::kept(core, state, options)?;
        let pages = ListParts::new(
            upload.bucket.clone(),
            upload.key.clone(),
            state.upload_id.clone(),
        )
        .pages();
        upload.list_next(pages, Vec::new());
        Ok(upload)
    }

    /// The kept upload of `state`, laid out, before its parts are known.
    pub(super) fn kept(
        core: Arc<ClientCore>,
        state: &ResumeState,
        mut options: UploadOptions,
    ) -> Result<Self, R2Error> {
        let bucket = BucketName::new(state.bucket.clone())?;
        let key = ObjectKey::new(state.key.clone())?;
        let plan = PartPlan::resumed(state.total, state.part_size)?;
        options.part_size = state.part_size;
        let mut upload = Self::new(core, bucket, key, UploadSource::Sized(state.total), options)?;
        upload.lay_out(plan);
        upload.upload_id = Some(state.upload_id.clone());
        Ok(upload)
    }

    /// Asks for the next page of the kept upload's parts, or, with every
    /// page in, takes the parts found and starts sending.
    pub(super) fn list_next(&mut self, pages: PartPages, found: Vec<PartSummary>) {
        let Some(request) = pages.next_request().cloned() else {
            self.take_listed(&found);
            self.phase = Phase::Parts;
            return;
        };
        match Exchange::new(Arc::clone(&self.core), request) {
            Ok(exchange) => self.phase = Phase::Listing(Box::new(exchange), pages, found),
            Err(error) => self.finish(Err(error)),
        }
    }

    /// Takes the parts ListParts found: a part is kept only if its size fits
    /// the plan (see [`resume`](Self::resume)).
    pub(super) fn take_listed(&mut self, listed: &[PartSummary]) {
        let algorithm = self.options.part_integrity.algorithm();
        for found in listed {
            let Some(index) = part_index(found.part_number) else {
                continue;
            };
            let Some(part) = self.parts.get_mut(index) else {
                continue;
            };
            if found.size != part.size {
                continue;
            }
            let checksum = algorithm.and_then(|a| {
                found
                    .checksums
                    .get(a)
                    .and_then(|text| Checksum::from_base64(a, text))
            });
            let listed = Confirmed {
                etag: found.etag.clone(),
                checksum,
            };
            // The server holds the part: the progress counts it now, also
            // when it is still to be checked (a part that fails the check is
            // sent again, and not counted twice).
            if self.options.verify_resumed_parts {
                part.state = PartState::Listed(listed);
                self.count(index, true);
            } else if algorithm.is_none() || listed.checksum.is_some() {
                part.state = PartState::Done(listed);
                self.count(index, true);
            }
        }
    }
}
