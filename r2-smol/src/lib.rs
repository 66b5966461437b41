//! Async Cloudflare R2 client for smol and any other executor.
//!
//! This crate is the executor-agnostic driver for [`r2_proto`]: it carries the
//! requests the core builds and signs over the network and feeds the responses
//! back. The client API arrives with the smol adapter work; today the crate
//! re-exports the core so that dependents can already name its types.

pub use r2_proto as proto;
