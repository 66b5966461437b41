//! A listing followed page after page as an iterator of keys.

use std::collections::VecDeque;

use r2_proto::error::R2Error;
use r2_proto::ops::{ListObjectsV2, ListPages, ObjectSummary};

use crate::client::R2Client;

/// Every key of a listing, fetching the next page when the last one is
/// used up. After an error the iterator ends.
#[derive(Debug)]
pub struct ListAll<'a> {
    client: &'a R2Client,
    pages: Option<ListPages>,
    keys: VecDeque<ObjectSummary>,
}

impl<'a> ListAll<'a> {
    pub(crate) fn new(client: &'a R2Client, list: ListObjectsV2) -> Self {
        Self {
            client,
            pages: Some(list.pages()),
            keys: VecDeque::new(),
        }
    }
}

impl Iterator for ListAll<'_> {
    type Item = Result<ObjectSummary, R2Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(key) = self.keys.pop_front() {
                return Some(Ok(key));
            }
            let pages = self.pages.as_mut()?;
            let request = pages.next_request().cloned()?;
            let page = match self.client.send(request) {
                Ok(page) => page,
                Err(error) => {
                    self.pages = None;
                    return Some(Err(error));
                }
            };
            if let Err(error) = pages.advance(&page) {
                self.pages = None;
                return Some(Err(error));
            }
            self.keys.extend(page.contents);
        }
    }
}
