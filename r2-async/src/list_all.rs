//! A listing followed page after page as a stream, and the deletion of
//! everything under a prefix, both run from the core's pagers.

use futures_core::Stream;
use r2_proto::error::R2Error;
use r2_proto::ops::{
    DeletePrefix, DeletePrefixOutput, DeleteStep, ListItem, ListKeys, ListObjectsV2, NextKey,
};

use crate::client::R2Client;
use crate::runtime::Runtime;

/// The items (objects, or objects and prefixes) of every page of `list`,
/// in the server's order; the stream ends after an error.
pub(crate) fn list_all<R: Runtime, T: ListItem + Send + 'static>(
    client: &R2Client<R>,
    list: ListObjectsV2,
) -> impl Stream<Item = Result<T, R2Error>> + Send + '_ {
    futures_util::stream::unfold(ListKeys::<T>::new(list), move |mut keys| async move {
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

/// Runs `plan` to its end: a listing page, then its keys deleted, until
/// nothing is left.
pub(crate) async fn delete_prefix<R: Runtime>(
    client: &R2Client<R>,
    mut plan: DeletePrefix,
) -> Result<DeletePrefixOutput, R2Error> {
    loop {
        match plan.poll()? {
            DeleteStep::List(list) => plan.listed(client.send(list).await)?,
            DeleteStep::Delete(delete) => plan.deleted(client.send(delete).await)?,
            DeleteStep::Done(output) => return Ok(output),
        }
    }
}
