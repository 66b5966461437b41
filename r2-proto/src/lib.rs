//! # r2-proto
//!
//! The sans-IO protocol core of the r2 client for Cloudflare R2's S3 API.
//!
//! It turns typed inputs into signed [`http::Request`] values and presigned
//! URLs. It opens no socket, starts no runtime, reads no clock and draws no
//! random numbers: time comes in as an argument, and the adapter crates
//! (`r2-tokio`, `r2-blocking`, `r2-smol`) carry the bytes.
//!
//! ```
//! use r2_proto::{BucketName, Config, Credentials, ObjectKey, PayloadHash};
//! use time::macros::datetime;
//!
//! let credentials = Credentials::new("AKIDEXAMPLE", "secret")?;
//! let config = Config::for_account("0123456789abcdef0123456789abcdef", credentials).build()?;
//! let signer = config.signer();
//!
//! let uri = config.endpoint().object_uri(
//!     &BucketName::new("photos")?,
//!     &ObjectKey::new("2024/May day.jpg")?,
//!     None,
//! )?;
//! let mut request = http::Request::get(uri).body(())?;
//! signer.sign(&mut request, &PayloadHash::EMPTY, datetime!(2024-05-01 12:00 UTC))?;
//! assert_eq!(request.uri().path(), "/photos/2024/May%20day.jpg");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything beyond one signature is a machine that decides and a driver
//! that moves bytes and time: [`exchange::Exchange`] for one operation with
//! its retries, [`transfer::Upload`] and [`transfer::Download`] for large
//! transfers. [`transfer`] spells out the loop every driver runs, as a
//! compiled example; `r2-async`, `r2-blocking` and `sim` (with the `sim`
//! feature) are drivers of it.

mod attempts;
mod body_limits;
mod client_builder;
mod client_calls;
mod client_core;
mod client_presign;
mod config;
mod credentials;
pub mod dates;
mod endpoint;
pub mod env;
pub mod error;
pub mod exchange;
pub mod model;
mod names;
mod operation_name;
pub mod ops;
pub mod percent;
pub mod profiles;
pub mod proxy;
mod redact;
pub mod replay;
mod replay_miss;
pub mod resilience;
mod response_headers;
mod resume_state;
mod sign;
#[cfg(feature = "sim")]
pub mod sim;
pub mod telemetry;
pub mod transfer;
mod xml;

pub use body_limits::{
    DEFAULT_LOW_SPEED, DEFAULT_MAX_BODY, DEFAULT_MAX_ERROR_BODY, LowSpeed, MAX_RESPONSE_HEAD,
    ReadLimits, ReadWatch, StreamCheck, WholeBody,
};
/// The crates whose types appear in r2's API (`Bytes` bodies, `http`
/// requests and status codes, `time` dates), for users who do not depend
/// on them themselves.
pub use bytes::{self, Bytes};
pub use client_builder::{
    BuildClient, ClientBuilder, ClientSettings, DEFAULT_POOL_IDLE_TIMEOUT, DEFAULT_POOL_SIZE,
};
pub use client_core::{ClientCore, Now, RequestId, ResilienceConfig};
pub use client_presign::Presign;
pub use config::{
    Config, ConfigBuilder, DEFAULT_CONCURRENCY, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE,
    DEFAULT_TIMEOUT, MAX_CONCURRENCY, MAX_SINGLE_UPLOAD, MIN_PART_SIZE,
};
pub use credentials::{Credentials, SecretString};
pub use endpoint::{Endpoint, Jurisdiction, bucket_path, object_path};
pub use names::{BucketName, MAX_KEY_LEN, ObjectKey};
pub use sign::{
    MAX_PRESIGN_EXPIRY, PayloadHash, PresignTarget, PresignedRequest, REGION, SignatureTrace,
    Signer, signed_host,
};
pub use {http, time};
