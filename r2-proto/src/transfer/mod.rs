//! Large transfers as state machines: concurrent multipart uploads
//! ([`Upload`]) and parallel ranged downloads ([`Download`]).
//!
//! A machine decides; the driver carries bytes and waits. Every machine has
//! the same shape: the driver passes what happened with `handle(now, event)`,
//! asks what to do with `poll(now)` until it answers `None`, then waits for
//! the next completion or `deadline()`:
//!
//! The contract, the same for [`Exchange`](crate::exchange::Exchange),
//! [`Upload`] and [`Download`]: drain `poll(now)` until it returns `None`,
//! doing what each action says; then wait for whichever comes first, the
//! next outcome of something started (hand it to `handle(now, event)`) or
//! `deadline()`; repeat. With nothing in flight and no deadline the machine
//! can never move again: a driver reports that rather than hang. A small
//! upload, its one PutObject answered by hand:
//!
//! ```
//! # use std::sync::Arc;
//! # use bytes::Bytes;
//! # use r2_proto::exchange::Event;
//! # use r2_proto::transfer::{Upload, UploadAction, UploadEvent, UploadOptions, UploadSource, part_of};
//! # use r2_proto::{BucketName, ClientCore, Config, Credentials, Now, ObjectKey};
//! # fn main() -> Result<(), r2_proto::error::R2Error> {
//! # let config = Config::for_account("0123456789abcdef0123456789abcdef",
//! #     Credentials::new("AKIDEXAMPLE", "secret")?).build()?;
//! # let core = Arc::new(ClientCore::new(config.clone()));
//! # let now = || Now::new(std::time::Instant::now(), time::OffsetDateTime::now_utc());
//! let data = Bytes::from_static(b"hello, R2");
//! let source = UploadSource::Sized(data.len() as u64);
//! let (bucket, key) = (BucketName::new("photos")?, ObjectKey::new("hello.txt")?);
//! let mut upload = Upload::new(core, bucket, key, source, UploadOptions::from_config(&config))?;
//! let mut finished = Vec::new(); // what the driver's tasks completed
//! let output = 'drive: loop {
//!     while let Some(action) = upload.poll(now()) {
//!         match action {
//!             UploadAction::ReadPart { part, offset, len } => {
//!                 finished.push(UploadEvent::PartRead { part, data: part_of(&data, offset, len) });
//!             }
//!             UploadAction::Send { id, request } => {
//!                 assert_eq!(request.method(), "PUT");
//!                 let response = http::Response::builder()
//!                     .header("etag", "\"5a2c0f9e0cf3b07c5fb2d87aa4a5e0b6\"")
//!                     .body(Bytes::new())
//!                     .map_err(|e| r2_proto::error::NetworkError::ConnectionFailed(e.to_string()))?;
//!                 finished.push(Event::Response { id, response }.into());
//!             }
//!             UploadAction::Done(output) => break 'drive output,
//!             UploadAction::Failed(error) => return Err(error),
//!             _ => {} // ReadStream (none for sized sources), notes, progress, resume state
//!         }
//!     }
//!     // A real driver waits here for the next task or `upload.deadline()`.
//!     match finished.pop() {
//!         Some(event) => upload.handle(now(), event),
//!         None => unreachable!("nothing in flight and no deadline"),
//!     }
//! };
//! assert_eq!((output.parts, output.size), (1, 9));
//! # Ok(()) }
//! ```
//!
//! The same machine, fed by a test with a scripted server and a fake clock,
//! behaves exactly as under tokio, smol or a blocking loop.

mod buffers;
mod download;
mod plan;
mod progress;
mod request;
mod upload;

pub use crate::resume_state::{InvalidResumeState, ResumeState};
pub use buffers::{KeptBuffers, PartFill};
pub use download::{
    BodyPlan, Download, DownloadAction, DownloadEvent, DownloadOptions, DownloadOutput, Fetch,
    RangeBody,
};
pub use plan::{MAX_OBJECT_SIZE, MAX_PARTS, PartPlan};
pub use progress::{DownloadProgress, PROGRESS_INTERVAL, UploadProgress};
pub use request::{DownloadSpec, UploadSpec};
pub use upload::{
    PartIntegrity, Upload, UploadAction, UploadEvent, UploadOptions, UploadOutput, UploadSource,
    part_of,
};
