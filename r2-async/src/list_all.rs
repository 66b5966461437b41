//! A listing followed page after page as a stream of keys.

use std::collections::VecDeque;

use futures_core::Stream;
use r2_proto::error::R2Error;
use r2_proto::ops::{ListObjectsV2, ListPages, ObjectSummary};

use crate::client::R2Client;
use crate::runtime::Runtime;

struct State<'a, R: Runtime> {
    client: &'a R2Client<R>,
    pages: ListPages,
    keys: VecDeque<ObjectSummary>,
}

/// The keys of every page of `list`, in the server's order.
pub(crate) fn list_all<R: Runtime>(
    client: &R2Client<R>,
    list: ListObjectsV2,
) -> impl Stream<Item = Result<ObjectSummary, R2Error>> + Send + '_ {
    let state = State {
        client,
        pages: list.pages(),
        keys: VecDeque::new(),
    };
    futures_util::stream::try_unfold(state, |mut state| async move {
        loop {
            if let Some(key) = state.keys.pop_front() {
                return Ok(Some((key, state)));
            }
            let Some(request) = state.pages.next_request().cloned() else {
                return Ok(None);
            };
            let page = state.client.send(request).await?;
            state.pages.advance(&page)?;
            state.keys.extend(page.contents);
        }
    })
}
