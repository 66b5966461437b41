//! Idle keep-alive connections by origin (`r2-http1`'s pool), and the cap
//! on connections open at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use r2_http1::{IdlePool, Origin};
use smol::lock::{Semaphore, SemaphoreGuardArc};

use crate::connection::Connection;

/// The pool.
#[derive(Debug)]
pub(crate) struct Pool {
    idle: IdlePool<Connection>,
    slots: Arc<Semaphore>,
}

impl Pool {
    /// A pool of at most `size` connections, open or idle, keeping at most
    /// `per_host` idle ones per origin, each for at most `idle_timeout`.
    pub(crate) fn new(size: usize, per_host: usize, idle_timeout: Duration) -> Self {
        Self {
            idle: IdlePool::new(size, per_host, idle_timeout),
            slots: Arc::new(Semaphore::new(size.max(1))),
        }
    }

    /// Waits for a connection slot; held until the response body is done.
    pub(crate) async fn slot(&self) -> SemaphoreGuardArc {
        self.slots.acquire_arc().await
    }

    /// The most recently used idle connection to `origin`, if one is fresh.
    pub(crate) fn take(&self, origin: &Origin, now: Instant) -> Option<Connection> {
        self.idle.take(origin, now)
    }
}

/// Where a connection goes back to once its answer is read: its pool, at
/// its origin.
#[derive(Clone)]
pub(crate) struct Home(pub(crate) Arc<Pool>, pub(crate) Origin);

impl r2_http1::Home for Home {
    type Connection = Connection;

    fn keep(&self, mut connection: Connection, buffer: Vec<u8>) {
        connection.buffer = buffer;
        self.0.idle.put(self.1.clone(), connection, Instant::now());
    }
}
