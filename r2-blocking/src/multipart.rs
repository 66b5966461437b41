//! The multipart upload calls one by one: `client.multipart()`. Most
//! callers want [`R2Client::upload`], which runs them concurrently,
//! retries parts and resumes.

use crate::client::R2Client;

/// The multipart upload calls.
#[derive(Debug, Clone, Copy)]
pub struct Multipart<'a> {
    client: &'a R2Client,
}

impl<'a> Multipart<'a> {
    pub(crate) fn new(client: &'a R2Client) -> Self {
        Self { client }
    }

    r2_proto::multipart_calls!(blocking);
}
