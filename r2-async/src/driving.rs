//! The wait at the bottom of every drive loop: the next finished task, or
//! the machine's deadline, whichever comes first.

use std::future::Future;
use std::pin::pin;
use std::time::Instant;

use futures_util::StreamExt;
use futures_util::future::{Either, select};
use futures_util::stream::FuturesUnordered;
use r2_proto::error::R2Error;

use crate::runtime::Runtime;
use crate::wire::sleep_until;
use r2_proto::exchange::stalled;

/// The outcome of the next task to finish, or `None` once `deadline` has
/// passed. With no task in flight and no deadline the machine can never
/// move again: a bug in the driver, reported instead of hanging.
pub(crate) async fn next_event<R: Runtime, F: Future>(
    tasks: &mut FuturesUnordered<F>,
    deadline: Option<Instant>,
) -> Result<Option<F::Output>, R2Error> {
    if tasks.is_empty() {
        if deadline.is_none() {
            return Err(stalled());
        }
        sleep_until::<R>(deadline).await;
        return Ok(None);
    }
    let timer = pin!(sleep_until::<R>(deadline));
    Ok(match select(tasks.next(), timer).await {
        Either::Left((event, _)) => event,
        Either::Right(((), _)) => None,
    })
}
