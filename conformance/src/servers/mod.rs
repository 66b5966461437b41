//! The S3 servers the scenarios run against: the in-process s3s-fs server
//! (always), and servers started outside the tests (moto) handed over
//! through environment variables.

pub mod s3s_fs;

pub use s3s_fs::S3sFsServer;
