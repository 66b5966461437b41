//! Timers from async-io, which needs no particular executor.

use std::future::Future;
use std::time::Duration;

use r2_proto::error::NetworkError;

/// `future`, or [`NetworkError::Timeout`] if it takes longer than `timeout`.
pub(crate) async fn within<T>(
    timeout: Duration,
    future: impl Future<Output = Result<T, NetworkError>>,
) -> Result<T, NetworkError> {
    futures_lite::future::or(future, async {
        smol::Timer::after(timeout).await;
        Err(NetworkError::Timeout(timeout))
    })
    .await
}
