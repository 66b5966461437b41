//! The client: configuration, the shared core, the pooled transport, and
//! the loop that drives one operation's exchange to its end.

use std::sync::Arc;
use std::time::Instant;

use r2_proto::client_core::{ClientCore, Now, ResilienceConfig};
use r2_proto::error::{NetworkError, R2Error, RequestError};
use r2_proto::exchange::{Action, Exchange};
use r2_proto::ops::{Operation, RequestBody};
use r2_proto::replay::Route;
use r2_proto::{Config, env, telemetry};
use time::OffsetDateTime;

use crate::multipart::Multipart;
use crate::objects::Objects;
use crate::presign::Presign;
use crate::round_trip;
use crate::timeout::sleep_until;
use crate::transport::{DEFAULT_POOL_SIZE, Transport};

/// An R2 client. Cheap to clone; clones share connections, retry budget,
/// circuit breakers and rate limits.
///
/// ```no_run
/// # async fn run() -> Result<(), r2_smol::proto::R2Error> {
/// use r2_smol::R2Client;
/// use r2_smol::proto::ops::GetObject;
/// use r2_smol::proto::{BucketName, ObjectKey};
///
/// let client = R2Client::from_env()?;
/// let object = client
///     .objects()
///     .get(GetObject::new(BucketName::new("photos")?, ObjectKey::new("cat.jpg")?))
///     .await?;
/// println!("{} bytes", object.body.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct R2Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) core: Arc<ClientCore>,
    pub(crate) transport: Transport,
}

/// Settings of an [`R2Client`] beyond its [`Config`].
#[derive(Debug, Clone)]
pub struct R2ClientBuilder {
    config: Config,
    resilience: ResilienceConfig,
    pool_size: usize,
    route: Route,
}

impl R2ClientBuilder {
    /// Retry policy, circuit breaker and rate limits (default: the core's).
    pub fn resilience(mut self, resilience: ResilienceConfig) -> Self {
        self.resilience = resilience;
        self
    }

    /// Connections open at most (default 20).
    pub fn pool_size(mut self, connections: usize) -> Self {
        self.pool_size = connections.max(1);
        self
    }

    /// Record every exchange, or answer from a cassette instead of the
    /// network (see [`r2_proto::replay`]). Default: [`Route::Live`].
    pub fn route(mut self, route: Route) -> Self {
        self.route = route;
        self
    }

    /// The client.
    pub fn build(self) -> Result<R2Client, R2Error> {
        let transport = Transport::new(
            self.pool_size,
            self.config.timeout(),
            self.config.allows_insecure_http(),
            self.route,
        )?;
        Ok(R2Client {
            inner: Arc::new(Inner {
                core: Arc::new(ClientCore::with_resilience(self.config, self.resilience)),
                transport,
            }),
        })
    }
}

/// A seed for the retry jitter, from the standard library's per-process
/// random hash keys (the core draws no randomness itself).
pub(crate) fn jitter_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}

/// The current time, as the machines take it.
pub(crate) fn now() -> Now {
    Now::new(Instant::now(), OffsetDateTime::now_utc())
}

impl R2Client {
    /// A client for `config` with default retries and a pool of 20 connections.
    pub fn new(config: Config) -> Result<Self, R2Error> {
        Self::builder(config).build()
    }

    /// A client configured from `R2_*` (or `AWS_*`) environment variables.
    pub fn from_env() -> Result<Self, R2Error> {
        Self::new(env::config_from_env()?.build()?)
    }

    /// A builder for a client with non-default settings.
    pub fn builder(config: Config) -> R2ClientBuilder {
        R2ClientBuilder {
            config,
            resilience: ResilienceConfig {
                seed: jitter_seed(),
                ..ResilienceConfig::default()
            },
            pool_size: DEFAULT_POOL_SIZE,
            route: Route::Live,
        }
    }

    /// The protocol core (configuration, signer, shared retry state).
    pub fn core(&self) -> &Arc<ClientCore> {
        &self.inner.core
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.inner.core.config()
    }

    /// Single-object operations and listings.
    pub fn objects(&self) -> Objects<'_> {
        Objects::new(self)
    }

    /// The multipart upload calls, one by one.
    pub fn multipart(&self) -> Multipart<'_> {
        Multipart::new(self)
    }

    /// Presigned URLs.
    pub fn presign(&self) -> Presign<'_> {
        Presign::new(self)
    }

    /// Sends any operation of the core, with retries, and reads its answer whole.
    pub async fn send<O: Operation>(&self, operation: O) -> Result<O::Output, R2Error> {
        let mut exchange = Exchange::new(Arc::clone(&self.inner.core), operation)
            .and_then(refuse_streamed_body)
            .inspect_err(|error| telemetry::operation_failed(O::NAME, error))?;
        loop {
            while let Some(action) = exchange.poll(now()) {
                match action {
                    Action::Send { id, request } => {
                        let event = round_trip::exchange(&self.inner.transport, id, &request).await;
                        exchange.handle(now(), event);
                    }
                    Action::Note(note) => telemetry::note(O::NAME, &note),
                    Action::Done(result) => {
                        if let Err(error) = &result {
                            telemetry::operation_failed(O::NAME, error);
                        }
                        return result;
                    }
                }
            }
            match exchange.deadline() {
                Some(deadline) => sleep_until(Some(deadline)).await,
                None => return Err(stalled()),
            }
        }
    }
}

/// A streamed `PutObject` holds no bytes in the core: its bytes go through
/// [`Objects::put_stream`] or [`R2Client::upload`] instead.
pub(crate) fn refuse_streamed_body<O: Operation>(
    exchange: Exchange<O>,
) -> Result<Exchange<O>, R2Error> {
    if matches!(exchange.prepared().body(), RequestBody::Stream { .. }) {
        return Err(RequestError::ConflictingOptions(
            "a streamed PutObject takes its bytes from put_stream or upload, not send".into(),
        )
        .into());
    }
    Ok(exchange)
}

/// A machine that neither acts nor waits: a bug in the driver, reported
/// instead of hanging.
pub(crate) fn stalled() -> R2Error {
    NetworkError::ConnectionFailed("internal error: the request machine stalled".into()).into()
}
