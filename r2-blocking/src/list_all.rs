//! A listing followed page after page as an iterator of keys.

use r2_proto::error::R2Error;
use r2_proto::ops::{ListKeys, ListObjectsV2, NextKey, ObjectSummary};

use crate::client::R2Client;

/// Every key of a listing, fetching the next page when the last one is
/// used up. After an error the iterator ends.
#[derive(Debug)]
pub struct ListAll<'a> {
    client: &'a R2Client,
    keys: ListKeys,
}

impl<'a> ListAll<'a> {
    pub(crate) fn new(client: &'a R2Client, list: ListObjectsV2) -> Self {
        let keys = ListKeys::new(list);
        Self { client, keys }
    }
}

impl Iterator for ListAll<'_> {
    type Item = Result<ObjectSummary, R2Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.keys.poll() {
                NextKey::Key(key) => return Some(Ok(key)),
                NextKey::Fetch(request) => {
                    if let Err(error) = self.keys.take(self.client.send(request)) {
                        return Some(Err(error));
                    }
                }
                NextKey::End => return None,
            }
        }
    }
}
