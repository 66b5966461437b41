//! Client-side rate limiting: an optional requests-per-second token bucket,
//! and an adaptive slow-down after throttling (`SlowDown`, 429).
//!
//! Adaptive mode halves the allowed rate on each throttling answer (from the
//! configured rate, or from the rate actually being sent when none is
//! configured) and adds back 10% of the configured rate per second of
//! quiet, the additive-increase / multiplicative-decrease scheme.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Rate limiting settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitConfig {
    /// Requests per second allowed; `None` for no fixed limit.
    pub requests_per_second: Option<f64>,
    /// Requests that may go at once after a quiet spell.
    pub burst: f64,
    /// Slow down after throttling answers.
    pub adaptive: bool,
    /// One limiter per bucket instead of one per client.
    pub per_bucket: bool,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            requests_per_second: None,
            burst: 10.0,
            adaptive: true,
            per_bucket: false,
        }
    }
}

/// The slowest rate adaptive mode goes down to.
const MIN_RATE: f64 = 0.5;

/// One token bucket.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    config: RateLimitConfig,
    /// The rate in force; `None` while unlimited.
    rate: Option<f64>,
    tokens: f64,
    last: Option<Instant>,
    /// Requests sent in the current second, to measure the sending rate.
    window: (Option<Instant>, f64),
    measured: f64,
}

impl RateLimiter {
    /// A limiter at the configured rate.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            rate: config.requests_per_second,
            tokens: config.burst,
            config,
            last: None,
            window: (None, 0.0),
            measured: 0.0,
        }
    }

    /// The rate in force, if any.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = self.last.map_or(0.0, |last| {
            now.saturating_duration_since(last).as_secs_f64()
        });
        self.last = Some(now);
        if let Some(rate) = self.rate {
            self.tokens = (self.tokens + elapsed * rate).min(self.config.burst.max(1.0));
            if self.config.adaptive {
                let ceiling = self.config.requests_per_second;
                let step = ceiling.unwrap_or(self.measured.max(1.0)) * 0.1 * elapsed;
                let raised = rate + step;
                self.rate = match ceiling {
                    Some(ceiling) => Some(raised.min(ceiling)),
                    // Unlimited by configuration: lift the limit once it is well above what we send.
                    None if raised > 2.0 * self.measured.max(MIN_RATE) => None,
                    None => Some(raised),
                };
            }
        }
    }

    /// Takes a token at `now`, or says when one will be there.
    pub fn acquire(&mut self, now: Instant) -> Result<(), Instant> {
        self.refill(now);
        self.count(now);
        let Some(rate) = self.rate else {
            return Ok(());
        };
        // A hair under one token is one: waits are whole nanoseconds, and a
        // wait rounded down to nothing would never let the request go.
        if self.tokens >= 1.0 - 1e-9 {
            self.tokens = (self.tokens - 1.0).max(0.0);
            Ok(())
        } else {
            let wait = (1.0 - self.tokens) / rate.max(MIN_RATE);
            let nanos = (wait * 1e9).ceil().max(1.0);
            Err(now + Duration::from_nanos(nanos as u64))
        }
    }

    fn count(&mut self, now: Instant) {
        match self.window.0 {
            Some(start) if now.saturating_duration_since(start) < Duration::from_secs(1) => {
                self.window.1 += 1.0;
            }
            _ => {
                self.measured = self.window.1.max(self.measured * 0.5);
                self.window = (Some(now), 1.0);
            }
        }
    }

    /// Slows down after a throttling answer (adaptive mode only).
    pub fn on_throttle(&mut self, now: Instant) {
        if !self.config.adaptive {
            return;
        }
        self.refill(now);
        let current = self
            .rate
            .unwrap_or(self.measured.max(self.window.1).max(1.0));
        self.rate = Some((current / 2.0).max(MIN_RATE));
        self.tokens = self.tokens.min(1.0);
    }
}

/// The limiters of a client: one, or one per bucket.
#[derive(Debug, Clone)]
pub struct Limiters {
    config: RateLimitConfig,
    client: RateLimiter,
    buckets: HashMap<String, RateLimiter>,
}

impl Limiters {
    /// Fresh limiters.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            config,
            client: RateLimiter::new(config),
            buckets: HashMap::new(),
        }
    }

    /// The limiter for `bucket`.
    pub fn for_bucket(&mut self, bucket: Option<&str>) -> &mut RateLimiter {
        match bucket {
            Some(bucket) if self.config.per_bucket => self
                .buckets
                .entry(bucket.to_owned())
                .or_insert_with(|| RateLimiter::new(self.config)),
            _ => &mut self.client,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_rate_spaces_requests() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(RateLimitConfig {
            requests_per_second: Some(2.0),
            burst: 2.0,
            adaptive: false,
            per_bucket: false,
        });
        assert!(limiter.acquire(start).is_ok());
        assert!(limiter.acquire(start).is_ok());
        let wait = limiter.acquire(start).unwrap_err();
        assert_eq!(wait, start + Duration::from_millis(500));
        assert!(limiter.acquire(wait).is_ok());
        limiter.on_throttle(wait);
        assert_eq!(limiter.rate(), Some(2.0));
    }

    #[test]
    fn unlimited_until_throttled_then_recovers() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(RateLimitConfig::default());
        for i in 0..40 {
            assert!(
                limiter
                    .acquire(start + Duration::from_millis(i * 25))
                    .is_ok()
            );
        }
        let t = start + Duration::from_secs(1);
        assert!(limiter.acquire(t).is_ok());
        limiter.on_throttle(t);
        let halved = limiter.rate().unwrap();
        assert!((15.0..=25.0).contains(&halved), "{halved}");
        limiter.on_throttle(t);
        assert!(limiter.rate().unwrap() < halved);
        // Quiet time raises the rate, and the limit lifts.
        let mut later = t;
        for _ in 0..100 {
            later += Duration::from_secs(1);
            let _ = limiter.acquire(later);
        }
        assert_eq!(limiter.rate(), None);
    }

    #[test]
    fn adaptive_rate_never_drops_below_the_floor_nor_climbs_over_the_ceiling() {
        let start = Instant::now();
        let mut limiter = RateLimiter::new(RateLimitConfig {
            requests_per_second: Some(100.0),
            ..RateLimitConfig::default()
        });
        for _ in 0..50 {
            limiter.on_throttle(start);
        }
        assert_eq!(limiter.rate(), Some(MIN_RATE));
        let later = start + Duration::from_secs(60);
        let _ = limiter.acquire(later);
        assert_eq!(limiter.rate(), Some(100.0));
    }

    #[test]
    fn per_bucket_limiters_are_separate() {
        let start = Instant::now();
        let config = RateLimitConfig {
            requests_per_second: Some(1.0),
            burst: 1.0,
            adaptive: false,
            per_bucket: true,
        };
        let mut limiters = Limiters::new(config);
        assert!(limiters.for_bucket(Some("a")).acquire(start).is_ok());
        assert!(limiters.for_bucket(Some("a")).acquire(start).is_err());
        assert!(limiters.for_bucket(Some("b")).acquire(start).is_ok());
        assert!(limiters.for_bucket(None).acquire(start).is_ok());
    }
}
