//! A listing followed page after page as a stream of keys.

use futures_core::Stream;
use r2_proto::error::R2Error;
use r2_proto::ops::{ListKeys, ListObjectsV2, NextKey, ObjectSummary};

use crate::client::R2Client;
use crate::runtime::Runtime;

/// The keys of every page of `list`, in the server's order; the stream
/// ends after an error.
pub(crate) fn list_all<R: Runtime>(
    client: &R2Client<R>,
    list: ListObjectsV2,
) -> impl Stream<Item = Result<ObjectSummary, R2Error>> + Send + '_ {
    futures_util::stream::unfold(ListKeys::new(list), move |mut keys| async move {
        loop {
            match keys.poll() {
                NextKey::Key(key) => return Some((Ok(key), keys)),
                NextKey::Fetch(request) => {
                    if let Err(error) = keys.take(client.send(request).await) {
                        return Some((Err(error), keys));
                    }
                }
                NextKey::End => return None,
            }
        }
    })
}
