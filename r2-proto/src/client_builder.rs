//! The builder every adapter's client is made with: configuration, retry
//! and breaker settings, connection pool size and route, the same in each.

use std::marker::PhantomData;
use std::time::Duration;

use crate::client_core::ResilienceConfig;
use crate::config::Config;
use crate::env;
use crate::error::ConfigError;
use crate::proxy::Proxies;
use crate::replay::Route;

/// Default cap on connections.
pub const DEFAULT_POOL_SIZE: usize = 20;

/// How long an idle connection is kept by default: under the minute after
/// which servers and load balancers commonly close one.
pub const DEFAULT_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(50);

/// What a client is built from.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Endpoint, credentials, timeouts, transfer defaults.
    pub config: Config,
    /// Retry policy, circuit breaker and rate limits.
    pub resilience: ResilienceConfig,
    /// Connections at most.
    pub pool_size: usize,
    /// How long an idle connection is kept for reuse.
    pub pool_idle_timeout: Duration,
    /// Idle connections kept per host at most.
    pub pool_max_idle_per_host: usize,
    /// Live, recorded, or replayed.
    pub route: Route,
    /// PEM bundles of root certificates trusted besides webpki's roots
    /// (each certificate checked when the client is built or connects).
    pub root_certificates: Vec<Vec<u8>>,
    /// The application's name and version, appended to the `User-Agent`.
    pub application: Option<String>,
    /// The proxies requests go through.
    pub proxies: Proxies,
}

impl ClientSettings {
    /// The `User-Agent` every request of `adapter` (`"r2-tokio/0.1.0"`)
    /// carries: the adapter, the core, and the application when one was
    /// named (`r2-tokio/0.1.0 r2-proto/0.1.0 backup-tool/2.3`). Adapters
    /// add it after signing: it is not signed.
    pub fn user_agent(&self, adapter: &str) -> http::HeaderValue {
        let mut value = format!("{adapter} r2-proto/{}", env!("CARGO_PKG_VERSION"));
        if let Some(application) = &self.application {
            value.push(' ');
            value.push_str(application);
        }
        http::HeaderValue::from_str(&value)
            .unwrap_or_else(|_| http::HeaderValue::from_static("r2-proto"))
    }
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
                pool_idle_timeout: DEFAULT_POOL_IDLE_TIMEOUT,
                pool_max_idle_per_host: DEFAULT_POOL_SIZE,
                route: Route::Live,
                root_certificates: Vec::new(),
                application: None,
                proxies: Proxies::none(),
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

    /// How long an idle connection is kept for reuse (default 50 s, under
    /// the minute after which servers commonly close one; zero keeps none).
    pub fn pool_idle_timeout(mut self, idle: Duration) -> Self {
        self.settings.pool_idle_timeout = idle;
        self
    }

    /// Idle connections kept per host at most (default: the pool size;
    /// zero keeps none).
    pub fn pool_max_idle_per_host(mut self, connections: usize) -> Self {
        self.settings.pool_max_idle_per_host = connections;
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

    /// Sends requests through proxies (default: none; `from_env` clients
    /// take the environment's, see [`with_environment`](Self::with_environment)).
    pub fn proxies(mut self, proxies: Proxies) -> Self {
        self.settings.proxies = proxies;
        self
    }

    /// Takes what the process environment says beyond the configuration:
    /// root certificates (`AWS_CA_BUNDLE`, `SSL_CERT_FILE`) and proxies
    /// (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`; see
    /// [`Proxies::from_lookup`]).
    pub fn with_environment(self) -> Result<Self, ConfigError> {
        let builder = match env::root_certificates_from_env()? {
            Some(pem) => self.add_root_certificates(pem),
            None => self,
        };
        Ok(builder.proxies(env::proxies_from_env()?))
    }

    /// Names the application in every request's `User-Agent`, as SDKs do
    /// (`"backup-tool/2.3"`), so that the server's logs tell it apart.
    /// Characters a header cannot carry (control characters, non-ASCII)
    /// become `_`.
    pub fn application(mut self, name_and_version: &str) -> Self {
        let cleaned: String = name_and_version
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.settings.application = (!cleaned.is_empty()).then_some(cleaned);
        self
    }

    /// The client.
    pub fn build(self) -> C::Output {
        C::build_client(self.settings)
    }
}
