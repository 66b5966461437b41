//! What every machine of one client shares: configuration, signer, retry
//! policy and budget, circuit breakers, rate limiters, clock-skew offset and
//! the jitter generator.
//!
//! Adapters hold one `Arc<ClientCore>` and hand it to each machine. The
//! mutable parts sit behind one mutex, held only for a few arithmetic steps,
//! so many tasks can drive machines at once.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use http::Request;
use time::OffsetDateTime;

use crate::config::Config;
use crate::error::{ConfigError, R2Error, SignError};
use crate::ops::{Operation, PreparedRequest, RequestBody};
use crate::resilience::{
    BreakerConfig, Breakers, ClockSkew, Jitter, Limiters, RateLimitConfig, RetryBudget, RetryPolicy,
};
use crate::sign::{PresignedRequest, Signer};

/// A moment, as the driver saw it: a monotonic instant for waits and
/// timeouts, and the wall-clock time for signing. The core reads no clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic time.
    pub instant: Instant,
    /// Wall-clock time (UTC).
    pub wall: OffsetDateTime,
}

impl Now {
    /// A moment from its two readings.
    pub fn new(instant: Instant, wall: OffsetDateTime) -> Self {
        Self { instant, wall }
    }

    /// The same moment `by` later on both clocks (for simulations).
    pub fn advanced(self, by: std::time::Duration) -> Self {
        Self {
            instant: self.instant + by,
            wall: self.wall + by,
        }
    }
}

/// Identifies one sent request, so its answer finds its way back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// How a client retries, breaks circuits and limits its rate.
#[derive(Debug, Clone, PartialEq)]
pub struct ResilienceConfig {
    /// The retry policy.
    pub retry: RetryPolicy,
    /// The circuit breaker.
    pub breaker: BreakerConfig,
    /// Rate limiting.
    pub rate_limit: RateLimitConfig,
    /// The jitter generator's seed (from the OS in adapters, fixed in tests).
    pub seed: u64,
}

impl Default for ResilienceConfig {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            breaker: BreakerConfig::default(),
            rate_limit: RateLimitConfig::default(),
            seed: 0x5eed,
        }
    }
}

/// The shared mutable state.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) budget: RetryBudget,
    pub(crate) breakers: Breakers,
    pub(crate) limiters: Limiters,
    pub(crate) skew: ClockSkew,
    pub(crate) jitter: Jitter,
}

/// The state one client's machines share. Every request it signs carries
/// its [`ReadLimits`](crate::ReadLimits), so a transport waits as long as
/// the call allows (see [`with_timeout`](Self::with_timeout)).
#[derive(Debug)]
pub struct ClientCore {
    config: Config,
    signer: Signer,
    retry: RetryPolicy,
    shared: Arc<Mutex<Shared>>,
    next_id: Arc<AtomicU64>,
}

impl ClientCore {
    /// A core for `config` with the default retry policy, breaker and limits.
    pub fn new(config: Config) -> Self {
        Self::with_resilience(config, ResilienceConfig::default())
    }

    /// A core with explicit resilience settings.
    pub fn with_resilience(config: Config, resilience: ResilienceConfig) -> Self {
        Self {
            signer: config.signer(),
            config,
            shared: Arc::new(Mutex::new(Shared {
                budget: RetryBudget::new(resilience.retry.budget),
                breakers: Breakers::new(resilience.breaker),
                limiters: Limiters::new(resilience.rate_limit),
                skew: ClockSkew::default(),
                jitter: Jitter::new(resilience.seed),
            })),
            retry: resilience.retry,
            next_id: Arc::new(AtomicU64::new(1)),
        }
    }

    /// The same core with another time allowed for one request (to
    /// connect, to the answer's head, and between two pieces of a body),
    /// sharing this one's retry budget, breakers, rate limits, clock skew
    /// and request ids: what a client's `with_timeout` calls run on.
    pub fn with_timeout(&self, timeout: std::time::Duration) -> Result<Self, ConfigError> {
        Ok(Self {
            config: self.config.with_timeout(timeout)?,
            signer: self.signer.clone(),
            retry: self.retry.clone(),
            shared: Arc::clone(&self.shared),
            next_id: Arc::clone(&self.next_id),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The signer.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// A fresh request id.
    pub fn next_request_id(&self) -> RequestId {
        RequestId(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// The clock offset learned from the server.
    pub fn clock_skew(&self) -> ClockSkew {
        self.shared().skew
    }

    /// Signs `prepared` at wall time `wall`, corrected by the learned clock
    /// skew; the request carries this core's read limits.
    pub fn sign(
        &self,
        prepared: &PreparedRequest,
        wall: OffsetDateTime,
    ) -> Result<Request<RequestBody>, SignError> {
        let time = self.shared().skew.corrected(wall);
        let mut request = prepared.sign(&self.signer, time)?;
        request.extensions_mut().insert(*self.config.read_limits());
        Ok(request)
    }

    /// A presigned URL for `operation`, valid for `expires_in` (1 s to 7
    /// days) from wall time `wall`, corrected by the learned clock skew.
    pub fn presign<O: Operation>(
        &self,
        operation: &O,
        expires_in: std::time::Duration,
        wall: OffsetDateTime,
    ) -> Result<PresignedRequest, R2Error> {
        let time = self.shared().skew.corrected(wall);
        operation.presign(self.config.endpoint(), &self.signer, expires_in, time)
    }

    /// The shared state, locked.
    pub(crate) fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::body_limits::ReadLimits;
    use crate::ops::HeadObject;
    use crate::{BucketName, Credentials, ObjectKey};

    fn core() -> ClientCore {
        let credentials = Credentials::new("AKID", "secret").unwrap();
        let config = Config::for_endpoint("https://r2.example", credentials)
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        ClientCore::new(config)
    }

    fn signed(core: &ClientCore) -> Request<RequestBody> {
        let head = HeadObject::new(
            BucketName::new("bucket").unwrap(),
            ObjectKey::new("k").unwrap(),
        );
        let prepared = head.to_request(core.config().endpoint()).unwrap();
        core.sign(&prepared, OffsetDateTime::UNIX_EPOCH).unwrap()
    }

    #[test]
    fn a_timeout_view_signs_requests_with_its_own_limits_and_shares_the_rest() {
        let core = core();
        let quick = core.with_timeout(Duration::from_millis(250)).unwrap();
        let default = ReadLimits::new(Duration::from_secs(1));
        let limits = |request: &Request<RequestBody>| default.of_request(request);
        assert_eq!(limits(&signed(&core)).idle, Duration::from_secs(30));
        assert_eq!(limits(&signed(&quick)).idle, Duration::from_millis(250));
        assert_eq!(
            ReadLimits::timeout_of(&signed(&quick), Duration::from_secs(1)),
            Duration::from_millis(250)
        );
        assert_eq!(default.of_request(&Request::new(())), default, "unsigned");
        assert_eq!(core.config().timeout(), Duration::from_secs(30));

        let first = core.next_request_id();
        assert_eq!(quick.next_request_id(), RequestId(first.0 + 1));
        let local = OffsetDateTime::UNIX_EPOCH;
        quick
            .shared()
            .skew
            .learn(local + Duration::from_secs(600), local);
        assert_eq!(core.clock_skew().offset(), time::Duration::seconds(600));
        assert!(core.with_timeout(Duration::ZERO).is_err());
    }
}
