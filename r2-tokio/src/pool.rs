//! The connection pool: HTTP/1.1 connections by origin, at most `size` of
//! them at once. A request holds a slot from the moment it is sent until
//! its connection is ready for the next one (its body read or dropped) and
//! back among the idle ones; a new connection is opened only when no idle
//! one is left, so there are never more connections than slots. A
//! connection on its way back (its body read, the task that shelves it not
//! yet run) is taken as idle, so requests one after another share one
//! connection.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::Poll;
use std::time::{Duration, Instant};

use http::Uri;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use r2_proto::error::NetworkError;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tower_service::Service;

use crate::early_answer::AnswerFirstConnector;
use crate::transport::OutgoingBody;
use r2_proto::error::source_chain;

/// The longest a request with no idle connection waits for one whose body
/// has been read to its end (see [`Returned::body_read`]) before it opens
/// another: such a connection is ready as soon as hyper's connection task
/// has run, within microseconds unless the machine is loaded.
const RETURN_GRACE: Duration = Duration::from_millis(100);

type Sender = SendRequest<OutgoingBody>;

/// The pool.
#[derive(Debug)]
pub(crate) struct Pool {
    shelves: Mutex<Shelves>,
    /// Woken whenever a returning connection is shelved.
    shelved: Notify,
    slots: Arc<Semaphore>,
    connector: HttpsConnector<AnswerFirstConnector>,
    /// An idle connection older than this may have been closed by the
    /// server: it is dropped rather than reused.
    idle_timeout: Duration,
    /// Idle connections kept per origin at most.
    max_idle_per_host: usize,
}

/// The connections not carrying a request.
#[derive(Debug, Default)]
struct Shelves {
    /// Ready for a request, by origin, with the time each was shelved.
    idle: HashMap<String, Vec<(Sender, Instant)>>,
    /// Answered, each still holding its slot until it is ready again.
    returning: Vec<Returning>,
    next_id: u64,
}

/// A connection whose response is in, on its way back to the shelf.
#[derive(Debug)]
struct Returning {
    id: u64,
    origin: String,
    sender: Sender,
    slot: OwnedSemaphorePermit,
    /// The caller has read the body to its end: ready momentarily.
    body_read: bool,
}

/// The receipt for a connection given back with its body still to read.
#[derive(Debug)]
pub(crate) struct Returned {
    pool: Arc<Pool>,
    id: u64,
}

impl Returned {
    /// The body has been read to its end: a request that finds no idle
    /// connection waits for this one rather than open another.
    pub(crate) fn body_read(self) {
        let mut shelves = self.pool.shelves();
        if let Some(returning) = shelves.returning.iter_mut().find(|r| r.id == self.id) {
            returning.body_read = true;
        }
    }
}

impl Pool {
    /// A pool of `size` connections made by `connector`.
    pub(crate) fn new(
        size: usize,
        (idle_timeout, max_idle_per_host): (Duration, usize),
        connector: HttpsConnector<AnswerFirstConnector>,
    ) -> Self {
        Self {
            shelves: Mutex::new(Shelves::default()),
            shelved: Notify::new(),
            slots: Arc::new(Semaphore::new(size.max(1))),
            connector,
            idle_timeout,
            max_idle_per_host,
        }
    }

    /// Waits for a slot.
    pub(crate) async fn slot(&self) -> Result<OwnedSemaphorePermit, NetworkError> {
        Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|e| NetworkError::ConnectionFailed(e.to_string()))
    }

    fn shelves(&self) -> MutexGuard<'_, Shelves> {
        self.shelves.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// An idle connection to `uri`'s origin, if a live one is kept, or one
    /// on its way back that is ready already (its slot is freed: the
    /// caller's own slot now covers it).
    pub(crate) fn take(&self, uri: &Uri) -> Option<Sender> {
        if !self.keeps_idle() {
            return None;
        }
        let key = origin(uri);
        let mut shelves = self.shelves();
        if let Some(list) = shelves.idle.get_mut(&key) {
            let now = Instant::now();
            while let Some((sender, since)) = list.pop() {
                if now.duration_since(since) < self.idle_timeout && sender.is_ready() {
                    return Some(sender);
                }
            }
        }
        let at = shelves
            .returning
            .iter()
            .position(|r| r.origin == key && r.sender.is_ready())?;
        let Returning { sender, slot, .. } = shelves.returning.swap_remove(at);
        drop(slot);
        Some(sender)
    }

    /// False when the settings keep no connection for reuse (an idle time
    /// of zero, or none per host): then every request opens its own.
    fn keeps_idle(&self) -> bool {
        !self.idle_timeout.is_zero() && self.max_idle_per_host > 0
    }

    /// [`Pool::take`], or, when none is idle but one on its way back to this
    /// origin has had its body read, that one once shelved (waiting at most
    /// [`RETURN_GRACE`]). A connection still carrying a body is not waited
    /// for.
    pub(crate) async fn take_or_await(&self, uri: &Uri) -> Option<Sender> {
        let deadline = tokio::time::Instant::now() + RETURN_GRACE;
        let key = origin(uri);
        loop {
            let shelved = self.shelved.notified();
            tokio::pin!(shelved);
            shelved.as_mut().enable();
            if let Some(sender) = self.take(uri) {
                return Some(sender);
            }
            let coming = self
                .shelves()
                .returning
                .iter()
                .any(|r| r.origin == key && r.body_read);
            if !coming {
                return None;
            }
            if tokio::time::timeout_at(deadline, shelved).await.is_err() {
                return self.take(uri);
            }
        }
    }

    /// Opens a connection to `uri`'s origin (TLS for https) and starts
    /// driving it.
    pub(crate) async fn connect(&self, uri: &Uri) -> Result<Sender, NetworkError> {
        let mut connector = self.connector.clone();
        let stream = connector
            .call(uri.clone())
            .await
            .map_err(|e| NetworkError::connecting::<rustls::Error>(e.as_ref()))?;
        let (sender, connection) = http1::handshake(stream)
            .await
            .map_err(|e| NetworkError::ConnectionFailed(source_chain(&e)))?;
        tokio::spawn(async move {
            let _closed = connection.await;
        });
        Ok(sender)
    }

    /// Puts `sender` back once it can take another request, then frees
    /// `slot`; a connection that closes instead is dropped. Until then it
    /// waits among the returning ones, where [`Pool::take`] may take it.
    pub(crate) fn give_back(
        self: &Arc<Self>,
        uri: &Uri,
        sender: Sender,
        slot: OwnedSemaphorePermit,
    ) -> Returned {
        let id = {
            let mut shelves = self.shelves();
            let id = shelves.next_id;
            shelves.next_id += 1;
            shelves.returning.push(Returning {
                id,
                origin: origin(uri),
                sender,
                slot,
                body_read: false,
            });
            id
        };
        let pool = Arc::clone(self);
        tokio::spawn(std::future::poll_fn(move |cx| {
            let mut shelves = pool.shelves();
            let Some(at) = shelves.returning.iter().position(|r| r.id == id) else {
                return Poll::Ready(());
            };
            let ready = match shelves.returning.get_mut(at) {
                Some(returning) => match returning.sender.poll_ready(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(result) => result.is_ok(),
                },
                None => false,
            };
            let Returning { origin, sender, .. } = shelves.returning.swap_remove(at);
            let (timeout, most) = (pool.idle_timeout, pool.max_idle_per_host);
            let now = Instant::now();
            let idle = shelves.idle.entry(origin).or_default();
            idle.retain(|(_, since)| now.duration_since(*since) < timeout);
            // Kept only within the settings; otherwise dropped, so closed.
            if ready && !timeout.is_zero() && idle.len() < most {
                idle.push((sender, now));
            }
            drop(shelves);
            pool.shelved.notify_waiters();
            Poll::Ready(())
        }));
        Returned {
            pool: Arc::clone(self),
            id,
        }
    }
}

/// `scheme://authority` of `uri`.
fn origin(uri: &Uri) -> String {
    format!(
        "{}://{}",
        uri.scheme_str().unwrap_or("https"),
        uri.authority().map_or("", |a| a.as_str())
    )
}
