//! Idle keep-alive connections by origin, and the cap on connections open
//! at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use smol::lock::{Semaphore, SemaphoreGuardArc};

use crate::connection::{Connection, Origin};

/// An idle connection older than this may have been closed by the server:
/// it is dropped rather than reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(50);

/// The pool.
#[derive(Debug)]
pub(crate) struct Pool {
    idle: Mutex<HashMap<Origin, Vec<(Connection, Instant)>>>,
    max_idle: usize,
    slots: Arc<Semaphore>,
}

impl Pool {
    /// A pool of at most `size` connections, open or idle.
    pub(crate) fn new(size: usize) -> Self {
        Self {
            idle: Mutex::new(HashMap::new()),
            max_idle: size.max(1),
            slots: Arc::new(Semaphore::new(size.max(1))),
        }
    }

    /// Waits for a connection slot; held until the response body is done.
    pub(crate) async fn slot(&self) -> SemaphoreGuardArc {
        self.slots.acquire_arc().await
    }

    /// The most recently used idle connection to `origin`, if one is fresh.
    pub(crate) fn take(&self, origin: &Origin, now: Instant) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.get_mut(origin)?;
        list.retain(|(_, since)| now.duration_since(*since) < IDLE_TIMEOUT);
        list.pop().map(|(connection, _)| connection)
    }

    /// Keeps `connection` for the next request to `origin`.
    pub(crate) fn put(&self, origin: Origin, connection: Connection, now: Instant) {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let total: usize = idle.values().map(Vec::len).sum();
        if total < self.max_idle {
            idle.entry(origin).or_default().push((connection, now));
        }
    }

    /// Idle connections kept now.
    #[cfg(test)]
    pub(crate) fn idle_count(&self) -> usize {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smol::net::{TcpListener, TcpStream};

    fn origin(uri: &str) -> Origin {
        Origin::of(&uri.parse().unwrap(), true).unwrap()
    }

    async fn connection(listener: &TcpListener) -> Connection {
        let address = listener.local_addr().unwrap();
        Connection::over(futures_util::future::Either::Left(
            TcpStream::connect(address).await.unwrap(),
        ))
    }

    #[test]
    fn idle_connections_are_reused_per_origin_until_stale_and_capped() {
        smol::block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let pool = Pool::new(2);
            let here = origin("http://127.0.0.1:1/a");
            let there = origin("http://127.0.0.1:2/a");
            let start = Instant::now();
            assert!(pool.take(&here, start).is_none());
            pool.put(here.clone(), connection(&listener).await, start);
            assert!(pool.take(&there, start).is_none(), "kept per origin");
            assert!(pool.take(&here, start).is_some());
            assert_eq!(pool.idle_count(), 0);

            pool.put(here.clone(), connection(&listener).await, start);
            assert!(
                pool.take(&here, start + IDLE_TIMEOUT).is_none(),
                "a connection idle for the timeout is dropped"
            );

            for _ in 0..3 {
                pool.put(here.clone(), connection(&listener).await, start);
            }
            assert_eq!(pool.idle_count(), 2, "never more idle than the pool size");
        });
    }

    #[test]
    fn origins_refuse_plain_http_unless_allowed() {
        let uri: http::Uri = "http://example.test/b/k".parse().unwrap();
        assert!(Origin::of(&uri, false).is_err());
        assert_eq!(
            Origin::of(&uri, true).unwrap(),
            origin("http://example.test:80/other")
        );
        let tls: http::Uri = "https://[::1]/b".parse().unwrap();
        assert!(Origin::of(&tls, false).is_ok());
        let ftp: http::Uri = "ftp://example.test/b".parse().unwrap();
        assert!(Origin::of(&ftp, true).is_err());
    }
}
