//! Blocking Cloudflare R2 client for synchronous programs.
//!
//! This crate is the blocking driver for [`r2_proto`]: it carries the requests
//! the core builds and signs over the network and feeds the responses back. The
//! client API arrives with the adapters work; today the crate re-exports the
//! core so that dependents can already name its types.

pub use r2_proto as proto;
