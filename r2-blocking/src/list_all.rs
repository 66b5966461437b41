//! A listing followed page after page as an iterator, and the deletion of
//! everything under a prefix, both run from the core's pagers.

use r2_proto::error::R2Error;
use r2_proto::ops::{
    DeletePrefix, DeletePrefixOutput, DeleteStep, ListItem, ListKeys, ListObjectsV2, NextKey,
    ObjectSummary,
};

use crate::client::R2Client;

/// Every item of a listing (objects, or with
/// [`list_entries`](crate::Objects::list_entries) objects and common
/// prefixes), fetching the next page when the last one is used up. After
/// an error the iterator ends.
#[derive(Debug)]
pub struct ListAll<'a, T = ObjectSummary> {
    client: &'a R2Client,
    keys: ListKeys<T>,
}

impl<'a, T: ListItem> ListAll<'a, T> {
    pub(crate) fn new(client: &'a R2Client, list: ListObjectsV2) -> Self {
        let keys = ListKeys::new(list);
        Self { client, keys }
    }
}

impl<T: ListItem> Iterator for ListAll<'_, T> {
    type Item = Result<T, R2Error>;

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

/// Runs `plan` to its end: a listing page, then its keys deleted, until
/// nothing is left.
pub(crate) fn delete_prefix(
    client: &R2Client,
    mut plan: DeletePrefix,
) -> Result<DeletePrefixOutput, R2Error> {
    loop {
        match plan.poll()? {
            DeleteStep::List(list) => plan.listed(client.send(list))?,
            DeleteStep::Delete(delete) => plan.deleted(client.send(delete))?,
            DeleteStep::Done(output) => return Ok(output),
        }
    }
}
