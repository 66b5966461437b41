//! Conformance suite for the r2 crates.
//!
//! Today it holds the golden-vector runner: r2's SigV4 signer checked byte
//! for byte against vectors from independent implementations (botocore,
//! cross-checked by awscrt, and the AWS SigV4 test suite). The shipped data
//! is in `vectors/`, with its sources and licences in `vectors/README.md`.
//!
//! - [`vector_file`]: files in the `r2-s3-sigv4-vectors/1` format;
//! - [`sigv4_suite`]: the AWS suite's `.req`/`.creq`/`.sts`/`.authz` cases;
//! - the `vectors` binary: `cargo run -p conformance --bin vectors -- PATH...`;
//! - [`sim`]: the machines of `r2-proto` run against an in-memory S3 with
//!   scripted or random faults on a fake clock.

pub mod adapters;
pub mod mismatch;
pub mod plain_http;
pub mod request;
pub mod scenarios;
pub mod servers;
pub mod sigv4_suite;
pub mod sim;
pub mod timestamp;
pub mod vector_file;

use std::path::PathBuf;

/// The directory of the vectors shipped with this crate.
pub fn shipped_vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}
