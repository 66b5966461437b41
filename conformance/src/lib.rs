//! Conformance suite for the r2 crates: one set of checks every adapter
//! must pass.
//!
//! - [`vector_file`], [`sigv4_suite`] and the `vectors` binary
//!   (`cargo run -p conformance --bin vectors -- PATH...`): r2's SigV4
//!   signer checked byte for byte against vectors from independent
//!   implementations (botocore, cross-checked by awscrt, and the AWS SigV4
//!   test suite); the data and its licences are in `vectors/`;
//! - [`scenarios`]: F1–F11, the transfer helpers, special keys and every
//!   error type, written once against [`scenarios::ScenarioClient`], which
//!   each adapter implements in [`adapters`], and run against the servers
//!   of [`servers`] (s3s-fs in process, moto from `.ci/run`), recorded, or
//!   replayed from a cassette with no server;
//! - [`workflow`]: the short workflow of the committed cassette.

pub mod adapters;
pub mod bench;
pub mod load;
pub mod mismatch;
pub mod plain_http;
pub mod request;
pub mod scenarios;
pub mod servers;
pub mod sigv4_suite;
pub mod timestamp;
pub mod vector_file;
pub mod workflow;

use std::path::PathBuf;

/// The directory of the vectors shipped with this crate.
pub fn shipped_vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors")
}

/// The README's examples, compiled as doctests (`cargo test --doc -p
/// conformance`): this crate depends on every adapter.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
