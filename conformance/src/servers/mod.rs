//! The S3 servers the scenarios run against: the in-process s3s-fs server
//! (always), and servers started outside the tests (moto) handed over
//! through environment variables; a capture server that records what an
//! adapter writes on the wire; and a fault-injecting proxy to put between
//! a client and a server; a scripted hostile server; a TLS front for the
//! s3s-fs server; and a `CONNECT` proxy that counts what it carried.

pub mod capture;
pub mod connect_proxy;
pub mod fault_proxy;
pub mod hostile;
pub mod tls_proxy;

pub use capture::{CaptureServer, CapturedRequest};
pub use connect_proxy::{ConnectProxy, ProxyRules};
pub use fault_proxy::{Fault, FaultProxy, Match, Seen};
pub use hostile::{Answer, HostileServer};
pub use r2_testserver as s3s_fs;
pub use r2_testserver::{S3sFsServer, ServerOptions};
pub use tls_proxy::TlsProxy;
