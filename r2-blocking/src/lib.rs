//! Blocking Cloudflare R2 client over std sockets.
//!
//! This crate is a thin driver for [`r2_proto`]: the core builds, signs and
//! parses; retries, the circuit breaker and the transfer machines decide;
//! `r2-http1` frames each HTTP/1.1 exchange; this crate moves the bytes
//! over pooled std sockets (rustls, webpki roots; plain http only with the
//! configuration's explicit opt-in), and runs a transfer's parts on a few
//! worker threads. No async runtime.
//!
//! ```no_run
//! # fn run() -> Result<(), r2_blocking::proto::error::R2Error> {
//! use r2_blocking::{DownloadSink, R2Client, UploadBody};
//! use r2_blocking::proto::ops::{ListObjectsV2, PutObject};
//! use r2_blocking::proto::{BucketName, ObjectKey};
//!
//! let client = R2Client::from_env()?;
//! let bucket = BucketName::new("photos")?;
//! let key = ObjectKey::new("2024/cat.jpg")?;
//!
//! client.objects().put(PutObject::new(bucket.clone(), key.clone(), "meow"))?;
//! client.upload(bucket.clone(), ObjectKey::new("big.iso")?, UploadBody::file("big.iso")).run()?;
//! client.download(bucket.clone(), key, DownloadSink::file("cat.jpg")).run()?;
//! for object in client.objects().list_all(ListObjectsV2::new(bucket)) {
//!     println!("{}", object?.key);
//! }
//! # Ok(()) }
//! ```

mod body;
mod client;
mod connection;
mod download;
mod http1;
mod list_all;
mod multipart;
mod object_reader;
mod objects;
mod round_trip;
mod transport;
mod upload;
mod workers;

pub use client::{R2Client, R2ClientBuilder};
pub use download::{DownloadRequest, DownloadSink};
pub use list_all::ListAll;
pub use multipart::Multipart;
pub use object_reader::ObjectReader;
pub use objects::Objects;
pub use r2_proto as proto;
pub use r2_proto::{Bytes, DEFAULT_POOL_SIZE, Presign};
pub use upload::{UploadBody, UploadRequest};

use r2_proto::{BucketName, ObjectKey};

impl R2Client {
    /// Uploads `body` to `key`: one PutObject below the multipart threshold,
    /// else a concurrent multipart upload. Options and resume on the
    /// returned [`UploadRequest`]; [`run`](UploadRequest::run) it.
    pub fn upload(
        &self,
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        body: impl Into<UploadBody>,
    ) -> UploadRequest<'_> {
        UploadRequest::new(self, bucket.into(), key.into(), body.into())
    }

    /// Downloads `key` into `sink` with parallel ranged GETs pinned to one
    /// version of the object. Options on the returned [`DownloadRequest`].
    pub fn download(
        &self,
        bucket: impl Into<BucketName>,
        key: impl Into<ObjectKey>,
        sink: DownloadSink,
    ) -> DownloadRequest<'_> {
        DownloadRequest::new(self, bucket.into(), key.into(), sink)
    }
}
