//! The S3 servers the scenarios run against: the in-process s3s-fs server
//! (always), and servers started outside the tests (moto) handed over
//! through environment variables; a capture server that records what an
//! adapter writes on the wire; and a fault-injecting proxy to put between
//! a client and a server; and a scripted hostile server.

pub mod capture;
pub mod fault_proxy;
pub mod hostile;

pub use capture::{CaptureServer, CapturedRequest};
pub use fault_proxy::{Fault, FaultProxy, Match, Seen};
pub use hostile::{Answer, HostileServer};
pub use testserver as s3s_fs;
pub use testserver::{S3sFsServer, ServerOptions};
