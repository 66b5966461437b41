//! The client: configuration, the shared core, the runtime's transport
//! behind its route, and the loop that drives one operation's exchange.

use std::sync::Arc;
use std::time::Instant;

use r2_proto::error::R2Error;
use r2_proto::exchange::{Exchange, Next};
use r2_proto::ops::Operation;
use r2_proto::{BuildClient, ClientBuilder, ClientSettings, Config, Presign, env};
use r2_proto::{ClientCore, Now};
use time::OffsetDateTime;

use crate::multipart::Multipart;
use crate::objects::Objects;
use crate::runtime::{Runtime, Transport, TransportSettings};
use crate::wire::{Wire, round_trip, sleep_until};

/// An R2 client on the runtime `R`. Cheap to clone; clones share
/// connections, retry budget, circuit breakers and rate limits.
pub struct R2Client<R: Runtime> {
    pub(crate) inner: Arc<Inner<R>>,
}

impl<R: Runtime> Clone for R2Client<R> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<R: Runtime> std::fmt::Debug for R2Client<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("R2Client")
            .field("core", &self.inner.core)
            .field("wire", &self.inner.wire)
            .finish()
    }
}

pub(crate) struct Inner<R: Runtime> {
    pub(crate) core: Arc<ClientCore>,
    pub(crate) wire: Arc<Wire<R>>,
}

impl<R: Runtime> BuildClient for R2Client<R> {
    type Output = Result<R2Client<R>, R2Error>;

    fn build_client(settings: ClientSettings) -> Self::Output {
        let timeout = settings.config.timeout();
        let transport = R::Transport::connect(TransportSettings {
            pool_size: settings.pool_size,
            pool_idle_timeout: settings.pool_idle_timeout,
            pool_max_idle_per_host: settings.pool_max_idle_per_host,
            timeout,
            allow_http: settings.config.allows_insecure_http(),
            proxies: settings.proxies.clone(),
            tls: Arc::new(r2_http1::client_config(&settings.root_certificates)?),
            user_agent: settings.user_agent(<R::Transport as crate::Transport>::NAME),
        })?;
        let limits = *settings.config.read_limits();
        let core = ClientCore::with_resilience(settings.config, settings.resilience);
        Ok(R2Client {
            inner: Arc::new(Inner {
                core: Arc::new(core),
                wire: Arc::new(Wire::new(transport, limits, settings.route)),
            }),
        })
    }
}

/// A seed for the retry jitter, from the standard library's per-process
/// random hash keys (the core draws no randomness itself).
fn jitter_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}

/// The current time, as the machines take it.
pub(crate) fn now() -> Now {
    Now::new(Instant::now(), OffsetDateTime::now_utc())
}

impl<R: Runtime> R2Client<R> {
    /// A client for `config` with default retries and a pool of 20 connections.
    pub fn new(config: Config) -> Result<Self, R2Error> {
        Self::builder(config).build()
    }

    /// A client configured from the environment and the shared
    /// credentials and config files (see [`r2_proto::env`]), trusting the
    /// root certificates `AWS_CA_BUNDLE` or `SSL_CERT_FILE` names besides
    /// webpki's, through the proxies `HTTPS_PROXY`, `HTTP_PROXY`,
    /// `ALL_PROXY` and `NO_PROXY` name.
    pub fn from_env() -> Result<Self, R2Error> {
        Self::builder(env::config_from_env()?.build()?)
            .with_environment()?
            .build()
    }

    /// A builder for a client with non-default settings.
    pub fn builder(config: Config) -> ClientBuilder<Self> {
        ClientBuilder::new(config, jitter_seed())
    }

    /// The protocol core (configuration, signer, shared retry state).
    pub fn core(&self) -> &Arc<ClientCore> {
        &self.inner.core
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.inner.core.config()
    }

    /// This client with another time allowed for one request (to connect,
    /// to the answer's head, and between two pieces of a body) for the
    /// calls made through it, transfers included. It shares this client's
    /// connections, retry budget, breakers and rate limits. Errors if
    /// `timeout` is zero.
    pub fn with_timeout(&self, timeout: std::time::Duration) -> Result<Self, R2Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                core: Arc::new(self.inner.core.with_timeout(timeout)?),
                wire: Arc::clone(&self.inner.wire),
            }),
        })
    }

    /// Single-object operations and listings.
    pub fn objects(&self) -> Objects<'_, R> {
        Objects::new(self)
    }

    /// The multipart upload calls, one by one.
    pub fn multipart(&self) -> Multipart<'_, R> {
        Multipart::new(self)
    }

    /// Presigned URLs.
    pub fn presign(&self) -> Presign<'_> {
        Presign::new(self.core(), OffsetDateTime::now_utc)
    }

    /// Sends any operation of the core, with retries, and reads its answer whole.
    pub async fn send<O: Operation>(&self, operation: O) -> Result<O::Output, R2Error> {
        let mut exchange = Exchange::whole(Arc::clone(&self.inner.core), operation)?;
        loop {
            match exchange.next(now()) {
                // Boxed: the round trip's future is several KiB, and would
                // otherwise be copied with every `send` future.
                Next::Send { id, request } => {
                    let event = Box::pin(round_trip(&self.inner.wire, id, &request)).await;
                    exchange.handle(now(), event);
                }
                Next::Sleep(until) => sleep_until::<R>(Some(until)).await,
                Next::Done(result) => return result,
            }
        }
    }
}
