//! The recorder: the adapter hands it each request as it leaves and each
//! answer as it arrives; it keeps them, redacted, for a cassette.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};

use super::cassette::{Cassette, CassetteError};
use super::interaction::{Interaction, RecordedOutcome, RecordedRequest, target_of};
use crate::error::NetworkError;
use crate::ops::RequestBody;

/// Collects interactions. Shared (`Arc`) by every client that records into
/// the same cassette; safe to use from many requests at once.
#[derive(Debug, Default)]
pub struct Recorder {
    next: AtomicU64,
    done: Mutex<Vec<Interaction>>,
}

/// A request on its way, numbered when it left.
#[derive(Debug)]
#[must_use = "finish the exchange with Recorder::finish"]
pub struct PendingExchange {
    seq: u64,
    operation: String,
    bucket: Option<String>,
    key: Option<String>,
    request: RecordedRequest,
}

impl Recorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes `request` as it is sent. Numbers follow the order requests
    /// were issued, which the machines make the same from run to run (parts
    /// and ranges go out in order), so cassettes diff cleanly.
    pub fn begin(&self, request: &Request<RequestBody>) -> PendingExchange {
        let (operation, bucket, key) = target_of(request);
        PendingExchange {
            seq: self.next.fetch_add(1, Ordering::Relaxed),
            operation,
            bucket,
            key,
            request: RecordedRequest::of(request),
        }
    }

    /// Records what came back for `pending`: the whole response, or the
    /// transport failure, and how long it took.
    pub fn finish(
        &self,
        pending: PendingExchange,
        outcome: Result<&Response<Bytes>, &NetworkError>,
        elapsed: Duration,
    ) {
        let interaction = Interaction {
            seq: pending.seq,
            operation: pending.operation,
            bucket: pending.bucket,
            key: pending.key,
            request: pending.request,
            outcome: RecordedOutcome::of(outcome),
            duration_us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        };
        self.done
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(interaction);
    }

    /// The interactions finished so far, in the order they were issued.
    pub fn cassette(&self) -> Cassette {
        let done = self.done.lock().unwrap_or_else(PoisonError::into_inner);
        Cassette::new(done.clone())
    }

    /// Writes [`cassette`](Self::cassette) to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CassetteError> {
        self.cassette().save(path)
    }
}
