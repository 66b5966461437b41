//! Deleting every object under a prefix, without I/O: list a page, delete
//! its keys 1,000 per DeleteObjects, repeat. The plan every adapter's
//! `delete_prefix` runs.

use super::delete_objects::{DeleteObjects, DeleteObjectsOutput, FailedDelete, MAX_DELETE_KEYS};
use super::list_objects_v2::ListObjectsV2;
use super::listing::{ListKeys, NextKey};
use super::{ListObjectsV2Output, ObjectSummary};
use crate::error::R2Error;
use crate::names::{BucketName, ObjectKey};

/// What a prefix deletion did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
#[must_use = "keys that could not be deleted are listed in `failed`"]
pub struct DeletePrefixOutput {
    /// Objects deleted.
    pub deleted: u64,
    /// DeleteObjects requests sent.
    pub requests: u32,
    /// Keys the server refused to delete, with its reasons.
    pub failed: Vec<FailedDelete>,
}

/// Deletes every object whose key starts with a prefix (every object of
/// the bucket for an empty prefix): hand each [`DeleteStep`] to the server
/// and its answer back, until [`DeleteStep::Done`].
///
/// ```
/// use r2_proto::ops::{DeletePrefix, DeleteStep};
/// use r2_proto::BucketName;
///
/// let mut plan = DeletePrefix::new(BucketName::new("photos")?, "2019/");
/// let DeleteStep::List(first) = plan.poll()? else { panic!("lists first") };
/// assert_eq!(first, r2_proto::ops::ListObjectsV2::new(BucketName::new("photos")?).prefix("2019/"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct DeletePrefix {
    bucket: BucketName,
    listing: ListKeys<ObjectSummary>,
    batch: Vec<ObjectKey>,
    listed_all: bool,
    output: DeletePrefixOutput,
}

/// What a [`DeletePrefix`] asks for next.
#[derive(Debug)]
pub enum DeleteStep {
    /// Send this listing and hand its outcome to [`DeletePrefix::listed`].
    List(ListObjectsV2),
    /// Send this and hand its outcome to [`DeletePrefix::deleted`].
    Delete(DeleteObjects),
    /// Every listed object was deleted or refused.
    Done(DeletePrefixOutput),
}

impl DeletePrefix {
    /// Deletes what `bucket` holds under `prefix`.
    pub fn new(bucket: impl Into<BucketName>, prefix: impl Into<String>) -> Self {
        Self::listed_by(ListObjectsV2::new(bucket).prefix(prefix))
    }

    /// Deletes every object `list` lists, page after page: its prefix,
    /// `start_after` and delimiter choose them (with a delimiter, what is
    /// under a common prefix stays), its `max_keys` bounds each request.
    pub fn listed_by(list: ListObjectsV2) -> Self {
        Self {
            bucket: list.bucket().clone(),
            listing: ListKeys::new(list),
            batch: Vec::with_capacity(MAX_DELETE_KEYS),
            listed_all: false,
            output: DeletePrefixOutput::default(),
        }
    }

    /// The next request, or the end. An error comes from a listed key
    /// that is no valid key (never from a server that lists what it
    /// stores).
    pub fn poll(&mut self) -> Result<DeleteStep, R2Error> {
        while self.batch.len() < MAX_DELETE_KEYS && !self.listed_all {
            match self.listing.poll() {
                NextKey::Key(object) => self.batch.push(ObjectKey::new(object.key)?),
                NextKey::Fetch(list) if self.batch.is_empty() => return Ok(DeleteStep::List(list)),
                NextKey::Fetch(_) => break,
                NextKey::End => self.listed_all = true,
            }
        }
        if self.batch.is_empty() {
            return Ok(DeleteStep::Done(std::mem::take(&mut self.output)));
        }
        let keys = std::mem::replace(&mut self.batch, Vec::with_capacity(MAX_DELETE_KEYS));
        self.output.requests += 1;
        self.output.deleted += keys.len() as u64;
        Ok(DeleteStep::Delete(
            DeleteObjects::new(self.bucket.clone(), keys).quiet(true),
        ))
    }

    /// Takes a listing's outcome.
    pub fn listed(&mut self, page: Result<ListObjectsV2Output, R2Error>) -> Result<(), R2Error> {
        self.listing.take(page)
    }

    /// Takes a DeleteObjects outcome: the keys it refused are counted as
    /// failed, not deleted.
    pub fn deleted(&mut self, answer: Result<DeleteObjectsOutput, R2Error>) -> Result<(), R2Error> {
        let answer = answer?;
        self.output.deleted = self
            .output
            .deleted
            .saturating_sub(answer.errors.len() as u64);
        self.output.failed.extend(answer.errors);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(
        prefix: &str,
        range: std::ops::Range<u32>,
        next: Option<&str>,
    ) -> ListObjectsV2Output {
        ListObjectsV2Output {
            contents: range
                .map(|i| ObjectSummary {
                    key: format!("{prefix}{i:05}"),
                    last_modified: None,
                    etag: None,
                    size: 1,
                    storage_class: None,
                    owner: None,
                })
                .collect(),
            is_truncated: next.is_some(),
            next_continuation_token: next.map(str::to_owned),
            ..ListObjectsV2Output::default()
        }
    }

    fn keys_of(delete: &DeleteObjects) -> Vec<String> {
        delete
            .keys()
            .iter()
            .map(|k| k.as_str().to_owned())
            .collect()
    }

    #[test]
    fn deletes_in_batches_of_1000_and_counts_refusals() {
        let mut plan = DeletePrefix::new(BucketName::new("bkt").unwrap(), "p/");
        let DeleteStep::List(first) = plan.poll().unwrap() else {
            panic!("lists first")
        };
        assert_eq!(
            first,
            ListObjectsV2::new(BucketName::new("bkt").unwrap()).prefix("p/")
        );
        // Pages of 600: the first batch waits for the second page.
        plan.listed(Ok(listed("p/", 0..600, Some("t1")))).unwrap();
        let DeleteStep::Delete(short) = plan.poll().unwrap() else {
            panic!("a page's keys are deleted before the next page is listed")
        };
        assert_eq!(keys_of(&short).len(), 600);
        plan.deleted(Ok(DeleteObjectsOutput::default())).unwrap();
        assert!(matches!(plan.poll().unwrap(), DeleteStep::List(_)));
        plan.listed(Ok(listed("p/", 600..2100, None))).unwrap();
        let DeleteStep::Delete(full) = plan.poll().unwrap() else {
            panic!("delete")
        };
        assert_eq!(keys_of(&full).len(), 1000, "at most 1000 per request");
        assert_eq!(keys_of(&full)[0], "p/00600");
        let mut refused = DeleteObjectsOutput::default();
        refused.errors.push(FailedDelete {
            key: "p/00601".into(),
            code: "AccessDenied".into(),
            message: "no".into(),
        });
        plan.deleted(Ok(refused)).unwrap();
        let DeleteStep::Delete(rest) = plan.poll().unwrap() else {
            panic!("delete the rest")
        };
        assert_eq!(keys_of(&rest).len(), 500);
        plan.deleted(Ok(DeleteObjectsOutput::default())).unwrap();
        let DeleteStep::Done(output) = plan.poll().unwrap() else {
            panic!("done")
        };
        assert_eq!(output.deleted, 2099);
        assert_eq!(output.requests, 3);
        assert_eq!(output.failed.len(), 1);
    }

    #[test]
    fn an_empty_prefix_is_done_after_one_listing() {
        let mut plan = DeletePrefix::new(BucketName::new("bkt").unwrap(), "none/");
        assert!(matches!(plan.poll().unwrap(), DeleteStep::List(_)));
        plan.listed(Ok(ListObjectsV2Output::default())).unwrap();
        let DeleteStep::Done(output) = plan.poll().unwrap() else {
            panic!("done")
        };
        assert_eq!(output, DeletePrefixOutput::default());
    }
}
