//! The builder every adapter's client is made with: configuration, retry
//! and breaker settings, connection pool size and route, the same in each.

use std::marker::PhantomData;

use crate::client_core::ResilienceConfig;
use crate::config::Config;
use crate::replay::Route;

/// Default cap on connections.
pub const DEFAULT_POOL_SIZE: usize = 20;

/// What a client is built from.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Endpoint, credentials, timeouts, transfer defaults.
    pub config: Config,
    /// Retry policy, circuit breaker and rate limits.
    pub resilience: ResilienceConfig,
    /// Connections at most.
    pub pool_size: usize,
    /// Live, recorded, or replayed.
    pub route: Route,
    /// PEM bundles of root certificates trusted besides webpki's roots
    /// (each certificate checked when the client is built or connects).
    pub root_certificates: Vec<Vec<u8>>,
}

/// A client type an adapter builds from [`ClientSettings`].
pub trait BuildClient: Sized {
    /// What building gives: the client, or a result when it can fail.
    type Output;

    /// Builds the client.
    fn build_client(settings: ClientSettings) -> Self::Output;
}

/// Settings of a client beyond its [`Config`]; `build` makes it.
pub struct ClientBuilder<C> {
    settings: ClientSettings,
    client: PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("settings", &self.settings)
            .finish()
    }
}

impl<C> Clone for ClientBuilder<C> {
    fn clone(&self) -> Self {
        Self {
            settings: self.settings.clone(),
            client: PhantomData,
        }
    }
}

impl<C: BuildClient> ClientBuilder<C> {
    /// A builder for `config`, its retry jitter seeded with `seed` (the
    /// adapter draws it; the core draws no randomness).
    pub fn new(config: Config, seed: u64) -> Self {
        Self {
            settings: ClientSettings {
                config,
                resilience: ResilienceConfig {
                    seed,
                    ..ResilienceConfig::default()
                },
                pool_size: DEFAULT_POOL_SIZE,
                route: Route::Live,
                root_certificates: Vec::new(),
            },
            client: PhantomData,
        }
    }

    /// Retry policy, circuit breaker and rate limits (default: the core's).
    pub fn resilience(mut self, resilience: ResilienceConfig) -> Self {
        self.settings.resilience = resilience;
        self
    }

    /// Connections at most (default 20).
    pub fn pool_size(mut self, connections: usize) -> Self {
        self.settings.pool_size = connections.max(1);
        self
    }

    /// Record every exchange, or answer from a cassette instead of the
    /// network (see [`crate::replay`]). Default: [`Route::Live`].
    pub fn route(mut self, route: Route) -> Self {
        self.settings.route = route;
        self
    }

    /// Trusts the root certificates in `pem` (a PEM bundle, one or more
    /// `CERTIFICATE` blocks: a private CA, a test server's own certificate)
    /// besides webpki's roots, for every https connection. A bundle with no
    /// certificate, or a certificate that cannot be read, makes every https
    /// request fail with `NetworkError::Tls` naming it.
    pub fn add_root_certificates(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.settings.root_certificates.push(pem.into());
        self
    }

    /// The client.
    pub fn build(self) -> C::Output {
        C::build_client(self.settings)
    }
}
