//! Async Cloudflare R2 client for smol, and for any executor that can poll
//! a future (async-executor, a custom runtime, even tokio).
//!
//! This crate is a thin driver for [`r2_proto`]: the core builds, signs and
//! parses; retries, the circuit breaker and the transfer machines decide;
//! this crate moves the bytes. Its HTTP/1.1 framing is `ureq-proto`'s sans-IO
//! machine over async-io sockets and `futures-rustls` (TLS 1.2+, certificate
//! validation; plain http only with the configuration's explicit opt-in),
//! its timers are async-io's, its files smol's: no tokio anywhere.
//!
//! ```no_run
//! # async fn run() -> Result<(), r2_smol::proto::error::R2Error> {
//! use r2_smol::{DownloadSink, R2Client, UploadBody};
//! use r2_smol::proto::ops::{ListObjectsV2, PutObject};
//! use r2_smol::proto::{BucketName, ObjectKey};
//! use futures_lite::StreamExt;
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

mod connection;
mod http1;
mod pool;
mod runtime;
mod transport;

pub use r2_proto as proto;
pub use r2_proto::{Bytes, DEFAULT_POOL_SIZE, Presign};
pub use runtime::Smol;

r2_async::client_types!(Smol);
