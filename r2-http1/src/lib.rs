//! HTTP/1.1 for r2's own transports (r2-smol over async-io, r2-blocking
//! over std sockets), written once and sans-IO: this crate frames the
//! request, finds the answer's head and body, and says when a connection
//! may be reused; the transports only move bytes and wait.
//!
//! The framing is `ureq-proto`'s: the request line is the core's URI as
//! signed, `Content-Length` is the core's (never chunked, never `Expect`).
//! An answer that comes while the body is still going out (a 403 before
//! the server reads a PUT body) is taken as the answer, and the rest of
//! the body is not sent.

mod body;
mod exchange;
mod origin;
mod pool;
mod tls;

pub use body::{Body, BodyStep};
pub use exchange::{Answer, Failure, LARGE_READ_BUFFER, READ_BUFFER, Receiving, Sending, start};
pub use origin::Origin;
pub use pool::{Home, IdlePool};
pub use tls::client_config;
