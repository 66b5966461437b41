//! The S3 servers the scenarios run against: the in-process s3s-fs server
//! (always), and servers started outside the tests (moto) handed over
//! through environment variables; and a capture server that records
//! what an adapter writes on the wire.

pub mod capture;

pub use capture::{CaptureServer, CapturedRequest};
pub use testserver as s3s_fs;
pub use testserver::S3sFsServer;
