//! Record and replay, at the boundary where a signed `http::Request` leaves
//! the core and an `http::Response` comes back.
//!
//! An adapter built with a [`Route::Record`] sends each request for real
//! and hands the request and its whole answer to the [`Recorder`]; one
//! built with a [`Route::Replay`] sends nothing and asks the [`Replayer`]
//! instead. Everything above that boundary (signing, retries, the transfer
//! machines, body checks) runs as it does live, so a cassette recorded
//! against R2 replays a whole scenario offline, and a cassette recorded by
//! one adapter replays under another.
//!
//! A cassette ([`Cassette`]) is one pretty-printed JSON file: interactions
//! in the order they were issued, each with its operation, bucket, key,
//! method, URL, sorted headers, body (text, or length and SHA-256), status,
//! response headers, response body and duration. The `Authorization`
//! credential and signature, `X-Amz-Security-Token`, and presigned
//! signature, credential and token values are replaced by `***`.
//!
//! ```
//! use std::sync::Arc;
//! use bytes::Bytes;
//! use r2_proto::ops::{Operation, PutObject};
//! use r2_proto::replay::{Recorder, Replayer};
//! use r2_proto::{BucketName, Config, Credentials, ObjectKey};
//! use time::macros::datetime;
//!
//! let config = Config::for_endpoint("https://example.test", Credentials::new("AKID", "secret")?).build()?;
//! let put = PutObject::new(BucketName::new("photos")?, ObjectKey::new("cat.jpg")?, "meow");
//! let request = put.to_request(config.endpoint())?.sign(&config.signer(), datetime!(2024-05-01 12:00 UTC))?;
//!
//! // Recording: the adapter sends `request`, then reports the answer.
//! let recorder = Arc::new(Recorder::new());
//! let pending = recorder.begin(&request);
//! let response = http::Response::builder().header("etag", "\"x\"").body(Bytes::new())?;
//! recorder.finish(pending, Ok(&response), std::time::Duration::from_millis(3));
//! let cassette = recorder.cassette();
//! assert!(!cassette.to_json().contains("secret"));
//!
//! // Replaying: the same request gets the recorded answer, once.
//! let replayer = Replayer::new(cassette)?;
//! let replayed = replayer.answer(&request)?;
//! assert_eq!(replayed.outcome?.headers()["etag"], "\"x\"");
//! assert!(replayer.answer(&request).is_err()); // already played
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cassette;
mod interaction;
mod matching;
mod recorder;
mod replayer;

use std::sync::Arc;

pub use crate::replay_miss::{NearestExchange, ReplayMiss};
pub use cassette::{CASSETTE_FORMAT, Cassette, CassetteError};
pub use interaction::{
    HeaderValues, Interaction, RecordedBody, RecordedError, RecordedOutcome, RecordedRequest,
    RecordedResponse,
};
pub use matching::MatchOn;
pub use recorder::{PendingExchange, Recorder};
pub use replayer::{Replayed, Replayer};

/// Where an adapter's requests go.
#[derive(Debug, Clone, Default)]
pub enum Route {
    /// To the server.
    #[default]
    Live,
    /// To the server, each exchange also handed to the recorder. Response
    /// bodies are read whole before the caller sees them, so a streamed
    /// GET holds its body in memory while recording.
    Record(Arc<Recorder>),
    /// Nowhere: the replayer answers.
    Replay(Arc<Replayer>),
}

impl Route {
    /// Recording into `recorder`.
    pub fn record(recorder: &Arc<Recorder>) -> Self {
        Self::Record(Arc::clone(recorder))
    }

    /// Replaying from `replayer`.
    pub fn replay(replayer: &Arc<Replayer>) -> Self {
        Self::Replay(Arc::clone(replayer))
    }
}

#[cfg(test)]
mod tests;
