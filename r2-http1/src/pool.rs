//! Idle keep-alive connections by origin.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::body::Body;
use crate::origin::Origin;

/// Idle connections (of any transport's kind `C`) kept for reuse, by
/// origin: at most `max_idle` in all and `max_per_host` per origin, each
/// for at most `idle_timeout` (older ones may have been closed by the
/// server, and are dropped rather than reused).
#[derive(Debug)]
pub struct IdlePool<C> {
    idle: Mutex<HashMap<Origin, Vec<(C, Instant)>>>,
    max_idle: usize,
    max_per_host: usize,
    idle_timeout: Duration,
}

impl<C> IdlePool<C> {
    /// A pool keeping at most `max_idle` idle connections, `max_per_host`
    /// of them per origin, each for at most `idle_timeout`.
    pub fn new(max_idle: usize, max_per_host: usize, idle_timeout: Duration) -> Self {
        Self {
            idle: Mutex::new(HashMap::new()),
            max_idle,
            max_per_host,
            idle_timeout,
        }
    }

    /// The most recently used idle connection to `origin`, if one is fresh.
    pub fn take(&self, origin: &Origin, now: Instant) -> Option<C> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.get_mut(origin)?;
        let timeout = self.idle_timeout;
        list.retain(|(_, since)| now.duration_since(*since) < timeout);
        list.pop().map(|(connection, _)| connection)
    }

    /// Keeps `connection` for the next request to `origin` (dropped, so
    /// closed, when the pool or the origin's share of it is full, or when
    /// connections are not kept at all).
    pub fn put(&self, origin: Origin, connection: C, now: Instant) {
        if self.idle_timeout.is_zero() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let total: usize = idle.values().map(Vec::len).sum();
        let list = idle.entry(origin).or_default();
        list.retain(|(_, since)| now.duration_since(*since) < self.idle_timeout);
        if total < self.max_idle && list.len() < self.max_per_host {
            list.push((connection, now));
        }
    }

    /// Idle connections kept now.
    pub fn idle_count(&self) -> usize {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        idle.values().map(Vec::len).sum()
    }
}

/// Where a transport's connection goes back to once its exchange is over
/// (its pool, at its origin), with the buffer it keeps for the next one.
pub trait Home {
    /// The transport's connection.
    type Connection;

    /// Keeps `connection`, with `buffer`, for the next request.
    fn keep(&self, connection: Self::Connection, buffer: Vec<u8>);

    /// Ends an answer's body: the connection goes back when `reusable`,
    /// else it is dropped (closed).
    fn finish(&self, connection: Option<Self::Connection>, body: Option<Body>, reusable: bool) {
        if let (Some(connection), Some(body), true) = (connection, body, reusable) {
            self.keep(connection, body.into_buffer());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDLE: Duration = Duration::from_secs(50);

    fn origin(uri: &str) -> Origin {
        Origin::of(&uri.parse().unwrap(), true).unwrap()
    }

    #[test]
    fn idle_connections_are_reused_per_origin_until_stale_and_capped() {
        let pool = IdlePool::new(2, 2, IDLE);
        let here = origin("http://127.0.0.1:1/a");
        let there = origin("http://127.0.0.1:2/a");
        let start = Instant::now();
        assert!(pool.take(&here, start).is_none());
        pool.put(here.clone(), 1, start);
        assert!(pool.take(&there, start).is_none(), "kept per origin");
        assert_eq!(pool.take(&here, start), Some(1));
        assert_eq!(pool.idle_count(), 0);

        pool.put(here.clone(), 2, start);
        assert!(
            pool.take(&here, start + IDLE).is_none(),
            "a connection idle for the timeout is dropped"
        );

        for n in 3..6 {
            pool.put(here.clone(), n, start);
        }
        assert_eq!(pool.idle_count(), 2, "never more idle than the pool size");
        assert_eq!(pool.take(&here, start), Some(4), "the most recent first");
    }

    #[test]
    fn the_share_per_host_and_the_idle_time_are_settings() {
        let start = Instant::now();
        let (here, there) = (origin("http://127.0.0.1:1/"), origin("http://127.0.0.1:2/"));
        let pool = IdlePool::new(10, 1, Duration::from_secs(5));
        pool.put(here.clone(), 1, start);
        pool.put(here.clone(), 2, start);
        pool.put(there.clone(), 3, start);
        assert_eq!(pool.idle_count(), 2, "one per host");
        assert_eq!(pool.take(&here, start + Duration::from_secs(4)), Some(1));
        assert_eq!(pool.take(&there, start + Duration::from_secs(5)), None);

        let keeps_none = IdlePool::new(10, 10, Duration::ZERO);
        keeps_none.put(here.clone(), 1, start);
        assert_eq!(keeps_none.idle_count(), 0);
    }
}
