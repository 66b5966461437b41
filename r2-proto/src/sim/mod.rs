//! Deterministic simulation of the core's machines: an in-memory S3
//! ([`FakeS3`]), a fault schedule ([`Faults`]) and drivers ([`Sim`]) that
//! run the machines on a fake clock, exactly as an adapter would on a real
//! one.

mod driver;
mod fake_s3;
mod faults;
mod fixtures;

pub use driver::{LOST_ANSWER_TIMEOUT, Sim, SimError, SourceMode, TraceStep};
pub use fake_s3::{
    FakeS3, Logged, RequestKind, StoredObject, StoredPart, StoredUpload, error_response, md5_etag,
};
pub use faults::{Fault, Faults, Target};
pub use fixtures::{client, config, noise};
