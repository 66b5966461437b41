//! The client: configuration, the shared core, the pooled agent, and the
//! loop that drives one operation's exchange to its end.

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
use crate::round_trip;
use crate::transport::Transport;

/// A blocking R2 client, usable from a plain `fn main`. Cheap to clone;
/// clones share connections, retry budget, circuit breakers and rate
/// limits, and may be used from many threads.
///
/// ```no_run
/// # fn run() -> Result<(), r2_blocking::proto::error::R2Error> {
/// use r2_blocking::R2Client;
/// use r2_blocking::proto::ops::GetObject;
/// use r2_blocking::proto::{BucketName, ObjectKey};
///
/// let client = R2Client::from_env()?;
/// let object = client
///     .objects()
///     .get(GetObject::new(BucketName::new("photos")?, ObjectKey::new("cat.jpg")?))?;
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

/// Settings of an [`R2Client`] beyond its [`Config`]: retries, pool size, route.
pub type R2ClientBuilder = ClientBuilder<R2Client>;

impl BuildClient for R2Client {
    type Output = Result<R2Client, R2Error>;

    fn build_client(settings: ClientSettings) -> Self::Output {
        let transport = Transport::new(&settings)?;
        let core = ClientCore::with_resilience(settings.config, settings.resilience);
        Ok(R2Client {
            inner: Arc::new(Inner {
                core: Arc::new(core),
                transport,
            }),
        })
    }
}

/// The current time, as the machines take it.
pub(crate) fn now() -> Now {
    Now::new(Instant::now(), OffsetDateTime::now_utc())
}

/// Sleeps until `deadline` (no-op if it passed).
pub(crate) fn sleep_until(deadline: Instant) {
    let wait = deadline.saturating_duration_since(Instant::now());
    if !wait.is_zero() {
        std::thread::sleep(wait);
    }
}

impl R2Client {
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
    pub fn builder(config: Config) -> R2ClientBuilder {
        use std::hash::{BuildHasher, RandomState};
        ClientBuilder::new(config, RandomState::new().hash_one(std::process::id()))
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
    ///
    /// ```no_run
    /// # fn run(client: r2_blocking::R2Client) -> Result<(), r2_blocking::proto::error::R2Error> {
    /// use std::time::Duration;
    /// use r2_blocking::proto::ops::HeadObject;
    /// use r2_blocking::proto::{BucketName, ObjectKey};
    ///
    /// let quick = client.with_timeout(Duration::from_secs(2))?;
    /// let head = HeadObject::new(BucketName::new("photos")?, ObjectKey::new("cat.jpg")?);
    /// let exists = quick.objects().head(head).is_ok();
    /// # Ok(()) }
    /// ```
    pub fn with_timeout(&self, timeout: std::time::Duration) -> Result<Self, R2Error> {
        Ok(Self {
            inner: Arc::new(Inner {
                core: Arc::new(self.inner.core.with_timeout(timeout)?),
                transport: self.inner.transport.clone(),
            }),
        })
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
        Presign::new(self.core(), OffsetDateTime::now_utc)
    }

    /// Sends any operation of the core, with retries, and reads its answer whole.
    pub fn send<O: Operation>(&self, operation: O) -> Result<O::Output, R2Error> {
        let mut exchange = Exchange::whole(Arc::clone(&self.inner.core), operation)?;
        loop {
            match exchange.next(now()) {
                Next::Send { id, request } => {
                    let event = round_trip::round_trip(&self.inner.transport, id, &request);
                    exchange.handle(now(), event);
                }
                Next::Sleep(until) => sleep_until(until),
                Next::Done(result) => return result,
            }
        }
    }
}
