//! Presigned URLs as every adapter's client offers them (`presign()`):
//! signing needs no network, and the time is the adapter's clock corrected
//! by any skew the client learned.

use std::time::Duration;

use time::OffsetDateTime;

use crate::client_core::ClientCore;
use crate::error::R2Error;
use crate::ops::{GetObject, Operation, PutObject};
use crate::sign::PresignedRequest;

/// Presigned URLs for one client.
#[derive(Debug, Clone, Copy)]
pub struct Presign<'a> {
    core: &'a ClientCore,
    clock: fn() -> OffsetDateTime,
}

impl<'a> Presign<'a> {
    /// Presigning for `core`, reading the time from `clock` (the adapter's).
    pub fn new(core: &'a ClientCore, clock: fn() -> OffsetDateTime) -> Self {
        Self { core, clock }
    }

    /// A URL that reads the object for `expires_in` (1 s to 7 days).
    pub fn presign_get(
        &self,
        get: &GetObject,
        expires_in: Duration,
    ) -> Result<PresignedRequest, R2Error> {
        self.presign(get, expires_in)
    }

    /// A URL that stores an object for `expires_in`. Headers the `PutObject`
    /// carries (content type, metadata, Content-MD5) are signed and must be
    /// sent with the URL ([`PresignedRequest::headers`]).
    pub fn presign_put(
        &self,
        put: &PutObject,
        expires_in: Duration,
    ) -> Result<PresignedRequest, R2Error> {
        self.presign(put, expires_in)
    }

    /// A URL for any presignable operation (GET, HEAD, PUT, DELETE).
    pub fn presign<O: Operation>(
        &self,
        operation: &O,
        expires_in: Duration,
    ) -> Result<PresignedRequest, R2Error> {
        self.core.presign(operation, expires_in, (self.clock)())
    }
}
