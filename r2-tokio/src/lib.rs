//! Async Cloudflare R2 client over tokio.
//!
//! This crate is a thin driver for [`r2_proto`]: the core builds, signs and
//! parses; retries, the circuit breaker and the transfer machines decide;
//! this crate moves the bytes over a pooled hyper client with rustls (TLS
//! 1.2+, certificate validation; plain http only with the configuration's
//! explicit opt-in) and sleeps on tokio's timer.
//!
//! ```no_run
//! # async fn run() -> Result<(), r2_tokio::proto::error::R2Error> {
//! use r2_tokio::{DownloadSink, R2Client, UploadBody};
//! use r2_tokio::proto::ops::{ListObjectsV2, PutObject};
//! use r2_tokio::proto::{BucketName, ObjectKey};
//! use futures_util::TryStreamExt;
//!
//! let client = R2Client::from_env()?;
//! let bucket = BucketName::new("photos")?;
//! let key = ObjectKey::new("2024/cat.jpg")?;
//!
//! client.objects().put(PutObject::new(bucket.clone(), key.clone(), "meow")).await?;
//! client.upload(bucket.clone(), ObjectKey::new("big.iso")?, UploadBody::file("big.iso")).await?;
//! client.download(bucket.clone(), key, DownloadSink::file("cat.jpg")).await?;
//! let keys: Vec<_> = client.objects().list_all(ListObjectsV2::new(bucket)).try_collect().await?;
//! # Ok(()) }
//! ```

mod body;
mod early_answer;
mod pool;
mod runtime;
mod transport;

pub use r2_proto as proto;
pub use r2_proto::{Bytes, DEFAULT_POOL_SIZE, Presign};
pub use runtime::Tokio;

r2_async::client_types!(Tokio);
