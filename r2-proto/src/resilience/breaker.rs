//! The circuit breaker: stop sending to an endpoint that keeps failing.
//!
//! Closed → Open after `failure_threshold` consecutive failures of the
//! endpoint (server errors, timeouts, refused connections; not throttling
//! and not errors of the request itself). Open refuses every request
//! immediately until `reset_timeout` has passed; then Half-open lets one
//! probe through at a time, and `success_threshold` successes in a row
//! close it again, while a failure reopens it. A probe whose answer never
//! comes back (its task was dropped) is presumed lost after `reset_timeout`,
//! so the breaker cannot wedge half-open.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The breaker's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failure_threshold: u32,
    /// How long an open circuit refuses requests.
    pub reset_timeout: Duration,
    /// Consecutive probe successes that close a half-open circuit.
    pub success_threshold: u32,
    /// One breaker per bucket instead of one per endpoint.
    pub per_bucket: bool,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            reset_timeout: Duration::from_secs(30),
            success_threshold: 3,
            per_bucket: false,
        }
    }
}

/// A breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests flow; counting consecutive failures.
    Closed {
        /// Failures in a row so far.
        failures: u32,
    },
    /// Requests are refused until `until`.
    Open {
        /// When a probe may go.
        until: Instant,
    },
    /// One probe at a time; counting successes.
    HalfOpen {
        /// Successes in a row so far.
        successes: u32,
        /// When the probe now out was let through, if one is out.
        probe_out: Option<Instant>,
    },
}

/// A change of state, for adapters to log and count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakerEvent {
    /// The circuit opened (the bucket, when breakers are per bucket).
    Opened(Option<String>),
    /// The circuit lets a probe through.
    HalfOpened(Option<String>),
    /// The circuit closed again.
    Closed(Option<String>),
}

/// One circuit breaker.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: BreakerState,
}

/// Why a request may not go now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The circuit is open until this instant.
    Open(Instant),
    /// A probe is out; wait for its result.
    ProbeOut,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            state: BreakerState::Closed { failures: 0 },
        }
    }

    /// The current state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Asks to send a request at `now`. An open circuit whose timeout has
    /// passed turns half-open and lets this request through as the probe.
    pub fn acquire(&mut self, now: Instant) -> Result<bool, Refusal> {
        match self.state {
            BreakerState::Closed { .. } => Ok(false),
            BreakerState::Open { until } if now < until => Err(Refusal::Open(until)),
            BreakerState::Open { .. } => {
                self.state = BreakerState::HalfOpen {
                    successes: 0,
                    probe_out: Some(now),
                };
                Ok(true)
            }
            BreakerState::HalfOpen {
                probe_out: Some(sent),
                ..
            } if now < sent + self.config.reset_timeout => Err(Refusal::ProbeOut),
            BreakerState::HalfOpen { successes, .. } => {
                self.state = BreakerState::HalfOpen {
                    successes,
                    probe_out: Some(now),
                };
                Ok(false)
            }
        }
    }

    /// Records a success; returns a transition if the circuit closed.
    pub fn on_success(&mut self) -> Option<BreakerState> {
        match self.state {
            BreakerState::Closed { .. } => {
                self.state = BreakerState::Closed { failures: 0 };
                None
            }
            BreakerState::HalfOpen { successes, .. } => {
                let successes = successes + 1;
                if successes >= self.config.success_threshold {
                    self.state = BreakerState::Closed { failures: 0 };
                    Some(self.state)
                } else {
                    self.state = BreakerState::HalfOpen {
                        successes,
                        probe_out: None,
                    };
                    None
                }
            }
            BreakerState::Open { .. } => None,
        }
    }

    /// Records the end of a request that failed; `counts` says whether the
    /// failure is the endpoint's. Returns a transition if the circuit opened.
    pub fn on_failure(&mut self, now: Instant, counts: bool) -> Option<BreakerState> {
        match self.state {
            BreakerState::Closed { failures } if counts => {
                let failures = failures + 1;
                if failures >= self.config.failure_threshold {
                    self.state = BreakerState::Open {
                        until: now + self.config.reset_timeout,
                    };
                    Some(self.state)
                } else {
                    self.state = BreakerState::Closed { failures };
                    None
                }
            }
            BreakerState::Closed { .. } => {
                self.state = BreakerState::Closed { failures: 0 };
                None
            }
            BreakerState::HalfOpen { successes, .. } if !counts => {
                self.state = BreakerState::HalfOpen {
                    successes,
                    probe_out: None,
                };
                None
            }
            BreakerState::HalfOpen { .. } => {
                self.state = BreakerState::Open {
                    until: now + self.config.reset_timeout,
                };
                Some(self.state)
            }
            BreakerState::Open { .. } => None,
        }
    }
}

/// The breakers of a client: one for the endpoint, or one per bucket.
#[derive(Debug, Clone)]
pub struct Breakers {
    config: BreakerConfig,
    endpoint: CircuitBreaker,
    buckets: HashMap<String, CircuitBreaker>,
}

impl Breakers {
    /// Closed breakers.
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            endpoint: CircuitBreaker::new(config),
            buckets: HashMap::new(),
        }
    }

    /// The breaker for `bucket`.
    pub fn for_bucket(&mut self, bucket: Option<&str>) -> &mut CircuitBreaker {
        match bucket {
            Some(bucket) if self.config.per_bucket => self
                .buckets
                .entry(bucket.to_owned())
                .or_insert_with(|| CircuitBreaker::new(self.config)),
            _ => &mut self.endpoint,
        }
    }

    /// The key events name: the bucket when breakers are per bucket.
    pub fn key(&self, bucket: Option<&str>) -> Option<String> {
        bucket.filter(|_| self.config.per_bucket).map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_refuses_probes_and_closes() {
        let start = Instant::now();
        let mut breaker = CircuitBreaker::new(BreakerConfig::default());
        for _ in 0..4 {
            assert_eq!(breaker.acquire(start), Ok(false));
            assert_eq!(breaker.on_failure(start, true), None);
        }
        // A non-counting failure resets the run.
        breaker.on_failure(start, false);
        for _ in 0..4 {
            breaker.on_failure(start, true);
        }
        assert!(matches!(
            breaker.state(),
            BreakerState::Closed { failures: 4 }
        ));
        let opened = breaker.on_failure(start, true);
        let until = start + Duration::from_secs(30);
        assert_eq!(opened, Some(BreakerState::Open { until }));
        assert_eq!(
            breaker.acquire(start + Duration::from_secs(29)),
            Err(Refusal::Open(until))
        );
        // After the timeout: one probe, the next waits for it.
        assert_eq!(breaker.acquire(until), Ok(true));
        assert_eq!(breaker.acquire(until), Err(Refusal::ProbeOut));
        assert_eq!(breaker.on_success(), None);
        assert_eq!(breaker.acquire(until), Ok(false));
        assert_eq!(breaker.on_success(), None);
        assert_eq!(breaker.acquire(until), Ok(false));
        assert_eq!(
            breaker.on_success(),
            Some(BreakerState::Closed { failures: 0 })
        );
    }

    #[test]
    fn a_failed_probe_reopens() {
        let start = Instant::now();
        let mut breaker = CircuitBreaker::new(BreakerConfig {
            failure_threshold: 1,
            ..BreakerConfig::default()
        });
        breaker.on_failure(start, true);
        let later = start + Duration::from_secs(31);
        assert_eq!(breaker.acquire(later), Ok(true));
        assert_eq!(
            breaker.on_failure(later, true),
            Some(BreakerState::Open {
                until: later + Duration::from_secs(30)
            })
        );
        assert_eq!(breaker.on_success(), None);
        // A probe that fails for its own reasons frees the slot without reopening.
        let again = later + Duration::from_secs(31);
        assert_eq!(breaker.acquire(again), Ok(true));
        assert_eq!(breaker.on_failure(again, false), None);
        assert_eq!(breaker.acquire(again), Ok(false));
    }

    #[test]
    fn a_lost_probe_expires() {
        let start = Instant::now();
        let mut breaker = CircuitBreaker::new(BreakerConfig {
            failure_threshold: 1,
            ..BreakerConfig::default()
        });
        breaker.on_failure(start, true);
        let probe = start + Duration::from_secs(30);
        assert_eq!(breaker.acquire(probe), Ok(true));
        // Its answer never comes back.
        let almost = probe + Duration::from_secs(29);
        assert_eq!(breaker.acquire(almost), Err(Refusal::ProbeOut));
        let expired = probe + Duration::from_secs(30);
        assert_eq!(breaker.acquire(expired), Ok(false));
        assert_eq!(
            breaker.state(),
            BreakerState::HalfOpen {
                successes: 0,
                probe_out: Some(expired)
            }
        );
    }

    #[test]
    fn per_bucket_breakers_are_separate() {
        let start = Instant::now();
        let config = BreakerConfig {
            failure_threshold: 1,
            per_bucket: true,
            ..BreakerConfig::default()
        };
        let mut breakers = Breakers::new(config);
        breakers.for_bucket(Some("a")).on_failure(start, true);
        assert!(breakers.for_bucket(Some("a")).acquire(start).is_err());
        assert!(breakers.for_bucket(Some("b")).acquire(start).is_ok());
        assert_eq!(breakers.key(Some("a")), Some("a".into()));
        let mut shared = Breakers::new(BreakerConfig::default());
        assert_eq!(shared.key(Some("a")), None);
        assert!(shared.for_bucket(Some("a")).acquire(start).is_ok());
    }
}
