//! Presigned URLs: `client.presign()`. Signing needs no network; the time
//! is the local clock corrected by any skew the client learned.

use std::time::Duration;

use r2_proto::PresignedRequest;
use r2_proto::error::R2Error;
use r2_proto::ops::{GetObject, Operation, PutObject};
use time::OffsetDateTime;

use crate::client::R2Client;

/// Presigned URLs.
#[derive(Debug, Clone, Copy)]
pub struct Presign<'a> {
    client: &'a R2Client,
}

impl<'a> Presign<'a> {
    pub(crate) fn new(client: &'a R2Client) -> Self {
        Self { client }
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
        self.client
            .core()
            .presign(operation, expires_in, OffsetDateTime::now_utc())
    }
}
