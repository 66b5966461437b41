//! The async driver of the r2 Cloudflare R2 client, written once for every
//! runtime: `r2-tokio` and `r2-smol` are this crate over their own
//! [`Runtime`] (a transport, timers and files).
//!
//! The protocol core ([`r2_proto`]) decides everything: what to send and
//! sign, what a response means, when to retry and how long to wait, which
//! bytes of a range to keep and when to hand them on, when a body cut short
//! is an error. This crate only moves bytes and time between the machines
//! and the runtime. Every loop here has the same shape:
//!
//! 1. drain the machine's `poll(now)` until it returns `None`, doing what
//!    each action says (send a request, read a part, log a note, deliver
//!    bytes, finish);
//! 2. wait for whichever comes first: a task finishing (its outcome goes
//!    back in with `handle`) or the machine's `deadline()`;
//! 3. repeat.
//!
//! With nothing in flight and no deadline the machine could never move
//! again; the loop reports that as an error instead of hanging.
//!
//! # Cancellation
//!
//! Every async fn here may be dropped at any `.await` (by a timeout, a
//! `select!`, a task abort); what is left behind is defined:
//! - a single request (`objects()`, `multipart()`) stops where it was: a
//!   request the server already took may still take effect (a PUT, a
//!   DELETE), as with any client; its connection is closed, not reused;
//! - an `upload(..)` dropped part-way has its multipart upload aborted in
//!   the background on the runtime, so no parts are left stored, unless
//!   it was asked to `keep_on_failure()` for resuming (its resume state
//!   was already handed to `on_resume_state`); a single PUT in flight is
//!   as above;
//! - a `download(..)` into a file removes its partial file; the target
//!   file is only ever replaced whole;
//! - an `ObjectStream` dropped part-way closes its connection.

mod client;
mod download;
mod driving;
mod files;
mod list_all;
mod multipart;
mod object_stream;
mod objects;
mod runtime;
mod upload;
mod wire;

pub use client::R2Client;
pub use download::{DownloadRequest, DownloadSink, StreamTarget};
pub use multipart::Multipart;
pub use object_stream::ObjectStream;
pub use objects::Objects;
pub use runtime::{Reads, ResponseBody, Runtime, Transport, TransportSettings, Writes};
pub use upload::{StreamSource, UploadBody, UploadRequest};

#[doc(hidden)]
pub use r2_proto::ClientBuilder as __ClientBuilder;

/// Names the driver's types for one runtime, as a runtime crate exports
/// them: `r2_tokio::R2Client` is `r2_async::R2Client<Tokio>`, and so on.
#[macro_export]
macro_rules! client_types {
    ($runtime:ty) => {
        /// An R2 client. Cheap to clone; clones share connections, retry
        /// budget, circuit breakers and rate limits.
        pub type R2Client = $crate::R2Client<$runtime>;
        /// Settings of an [`R2Client`] beyond its configuration: retries,
        /// pool size, route.
        pub type R2ClientBuilder = $crate::__ClientBuilder<R2Client>;
        /// Single-object operations and listings: `client.objects()`.
        pub type Objects<'a> = $crate::Objects<'a, $runtime>;
        /// The multipart upload calls one by one: `client.multipart()`.
        pub type Multipart<'a> = $crate::Multipart<'a, $runtime>;
        /// An object's body as a stream of verified chunks.
        pub type ObjectStream = $crate::ObjectStream<$runtime>;
        /// Where an upload's bytes come from: bytes, a file, or a reader.
        pub type UploadBody = $crate::UploadBody<$runtime>;
        /// An upload being set up; `.await` it to run it.
        pub type UploadRequest<'a> = $crate::UploadRequest<'a, $runtime>;
        /// Where a download's bytes go: a file, or a writer fed in order.
        pub type DownloadSink = $crate::DownloadSink<$runtime>;
        /// A download being set up; `.await` it to run it.
        pub type DownloadRequest<'a> = $crate::DownloadRequest<'a, $runtime>;
    };
}
