//! The multipart upload calls one by one: `client.multipart()`. Most
//! callers want `client.upload`, which runs them concurrently, retries
//! parts and resumes.

use crate::client::R2Client;
use crate::runtime::Runtime;

/// The multipart upload calls.
#[derive(Debug)]
pub struct Multipart<'a, R: Runtime> {
    client: &'a R2Client<R>,
}

impl<R: Runtime> Clone for Multipart<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: Runtime> Copy for Multipart<'_, R> {}

impl<'a, R: Runtime> Multipart<'a, R> {
    pub(crate) fn new(client: &'a R2Client<R>) -> Self {
        Self { client }
    }

    r2_proto::multipart_calls!(async);
}
