//! The connection pool: HTTP/1.1 connections by origin, at most `size` of
//! them at once. A request holds a slot from the moment it is sent until
//! its connection is ready for the next one (its body read or dropped) and
//! back among the idle ones; a new connection is opened only when no idle
//! one is left, so there are never more connections than slots.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::Uri;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use r2_proto::error::NetworkError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_service::Service;

use crate::transport::{OutgoingBody, error_chain};

/// An idle connection older than this may have been closed by the server:
/// it is dropped rather than reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(50);

type Sender = SendRequest<OutgoingBody>;

/// The pool.
#[derive(Debug)]
pub(crate) struct Pool {
    idle: Mutex<HashMap<String, Vec<(Sender, Instant)>>>,
    slots: Arc<Semaphore>,
    connector: HttpsConnector<HttpConnector>,
}

impl Pool {
    /// A pool of `size` connections made by `connector`.
    pub(crate) fn new(size: usize, connector: HttpsConnector<HttpConnector>) -> Self {
        Self {
            idle: Mutex::new(HashMap::new()),
            slots: Arc::new(Semaphore::new(size.max(1))),
            connector,
        }
    }

    /// Waits for a slot.
    pub(crate) async fn slot(&self) -> Result<OwnedSemaphorePermit, NetworkError> {
        Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|e| NetworkError::ConnectionFailed(e.to_string()))
    }

    /// An idle connection to `uri`'s origin, if a live one is kept.
    pub(crate) fn take(&self, uri: &Uri) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        let list = idle.get_mut(&origin(uri))?;
        let now = Instant::now();
        while let Some((sender, since)) = list.pop() {
            if now.duration_since(since) < IDLE_TIMEOUT && sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    /// Opens a connection to `uri`'s origin (TLS for https) and starts
    /// driving it.
    pub(crate) async fn connect(&self, uri: &Uri) -> Result<Sender, NetworkError> {
        let mut connector = self.connector.clone();
        let stream = connector
            .call(uri.clone())
            .await
            .map_err(|e| crate::transport::connect_error(e.as_ref()))?;
        let (sender, connection) = http1::handshake(stream)
            .await
            .map_err(|e| NetworkError::ConnectionFailed(error_chain(&e)))?;
        tokio::spawn(async move {
            let _closed = connection.await;
        });
        Ok(sender)
    }

    /// Puts `sender` back once it can take another request, then frees
    /// `slot`; a connection that closes instead is dropped.
    pub(crate) fn give_back(
        self: &Arc<Self>,
        uri: &Uri,
        mut sender: Sender,
        slot: OwnedSemaphorePermit,
    ) {
        let pool = Arc::clone(self);
        let key = origin(uri);
        tokio::spawn(async move {
            if sender.ready().await.is_ok() {
                let mut idle = pool.idle.lock().unwrap_or_else(PoisonError::into_inner);
                idle.entry(key).or_default().push((sender, Instant::now()));
            }
            drop(slot);
        });
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
