//! When to try again, and how long to wait.
//!
//! | class | errors | attempts | first wait |
//! |---|---|---|---|
//! | [`Throttled`](RetryClass::Throttled) | `SlowDown`, 429 `TooManyRequests` | 5 | `Retry-After`, else 1 s |
//! | [`ServerError`](RetryClass::ServerError) | `InternalError`, `ServiceUnavailable`, other 5xx | 3 | 1 s |
//! | [`Transient`](RetryClass::Transient) | timeouts, failed connections, `RequestTimeout` | 3 | 500 ms |
//! | [`StreamInterrupted`](RetryClass::StreamInterrupted) | a body cut short | 2 | 1 s, fixed |
//! | [`ClockSkew`](RetryClass::ClockSkew) | `RequestTimeTooSkewed` | 2 | none: once more, after correcting the clock |
//!
//! Exponential waits use full jitter (a uniform draw from zero to
//! `base × 2^(n−1)`, capped at 20 s), so their expectation never decreases;
//! `Retry-After` is a lower bound, itself capped, so no wait exceeds the cap.
//! Attempts count the first one. A token-bucket budget, as in the AWS
//! standard retry mode, stops retry storms when a service is failing.

use std::time::Duration;

use super::rng::Jitter;
use crate::error::{AuthError, NetworkError, NetworkFailure, R2Error, ServerError, TransferError};

/// How an error is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// Throttling: `SlowDown`, 429.
    Throttled,
    /// The service failed: 500, 503 and other 5xx but 501.
    ServerError,
    /// No answer: timeouts, refused or reset connections, `RequestTimeout`.
    Transient,
    /// A body broke off mid-way.
    StreamInterrupted,
    /// `RequestTimeTooSkewed`: retried once with a corrected clock.
    ClockSkew,
    /// Retrying cannot help.
    Permanent,
}

impl RetryClass {
    /// The class of `error`.
    pub fn of(error: &R2Error) -> Self {
        match error {
            R2Error::Server(ServerError::SlowDown(_) | ServerError::TooManyRequests(_)) => {
                Self::Throttled
            }
            R2Error::Server(ServerError::NotImplemented(_)) => Self::Permanent,
            R2Error::Server(_) => Self::ServerError,
            R2Error::Unrecognized(d) if d.status == 429 => Self::Throttled,
            R2Error::Unrecognized(d) if d.status >= 500 && d.status != 501 => Self::ServerError,
            R2Error::Network(NetworkFailure {
                error:
                    NetworkError::Tls(_)
                    | NetworkError::NotRecorded(_)
                    | NetworkError::ProxyRefused { status: 0..500, .. }
                    | NetworkError::BodyTooLarge { .. }
                    | NetworkError::HeadTooLarge { .. },
                ..
            }) => Self::Permanent,
            R2Error::Network(NetworkFailure {
                error: NetworkError::StreamInterrupted(_),
                ..
            })
            | R2Error::Transfer(
                TransferError::IncompleteBody { .. } | TransferError::ChecksumMismatch { .. },
            ) => Self::StreamInterrupted,
            R2Error::Network(_) | R2Error::Transfer(TransferError::RequestTimeout(_)) => {
                Self::Transient
            }
            R2Error::Auth(AuthError::RequestTimeTooSkewed(_)) => Self::ClockSkew,
            _ => Self::Permanent,
        }
    }

    /// The class's name, for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Throttled => "throttled",
            Self::ServerError => "server_error",
            Self::Transient => "transient",
            Self::StreamInterrupted => "stream_interrupted",
            Self::ClockSkew => "clock_skew",
            Self::Permanent => "permanent",
        }
    }

    /// True for the classes a circuit breaker counts: the service or the
    /// path to it is failing (not throttling, not the request's own fault).
    pub fn counts_against_endpoint(self) -> bool {
        matches!(self, Self::ServerError | Self::Transient)
    }
}

/// How waits grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    /// Full jitter over `base × 2^(n−1)`, capped.
    Exponential,
    /// Always `base`.
    Fixed,
}

/// Retries for one class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryRule {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first wait.
    pub base: Duration,
    /// How waits grow.
    pub backoff: Backoff,
}

/// The retry budget: a token bucket shared by all requests of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetConfig {
    /// Tokens when full.
    pub capacity: u32,
    /// Tokens a retry costs.
    pub retry_cost: u32,
    /// Tokens a retry after a timeout costs.
    pub timeout_retry_cost: u32,
    /// Tokens a first-attempt success returns.
    pub success_refund: u32,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            capacity: 500,
            retry_cost: 5,
            timeout_retry_cost: 10,
            success_refund: 1,
        }
    }
}

/// The whole retry policy; every number is configurable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `SlowDown` and 429.
    pub throttled: RetryRule,
    /// 500, 503, other 5xx.
    pub server_error: RetryRule,
    /// Timeouts and failed connections.
    pub transient: RetryRule,
    /// Bodies cut short.
    pub stream_interrupted: RetryRule,
    /// The longest exponential wait.
    pub cap: Duration,
    /// The retry budget.
    pub budget: BudgetConfig,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            throttled: RetryRule {
                max_attempts: 5,
                base: Duration::from_secs(1),
                backoff: Backoff::Exponential,
            },
            server_error: RetryRule {
                max_attempts: 3,
                base: Duration::from_secs(1),
                backoff: Backoff::Exponential,
            },
            transient: RetryRule {
                max_attempts: 3,
                base: Duration::from_millis(500),
                backoff: Backoff::Exponential,
            },
            stream_interrupted: RetryRule {
                max_attempts: 2,
                base: Duration::from_secs(1),
                backoff: Backoff::Fixed,
            },
            cap: Duration::from_secs(20),
            budget: BudgetConfig::default(),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        let never = RetryRule {
            max_attempts: 1,
            base: Duration::ZERO,
            backoff: Backoff::Fixed,
        };
        Self {
            throttled: never,
            server_error: never,
            transient: never,
            stream_interrupted: never,
            ..Self::default()
        }
    }

    /// The rule of `class`, if it is retried on a schedule.
    pub fn rule(&self, class: RetryClass) -> Option<&RetryRule> {
        match class {
            RetryClass::Throttled => Some(&self.throttled),
            RetryClass::ServerError => Some(&self.server_error),
            RetryClass::Transient => Some(&self.transient),
            RetryClass::StreamInterrupted => Some(&self.stream_interrupted),
            RetryClass::ClockSkew | RetryClass::Permanent => None,
        }
    }

    /// The largest wait before retry number `retry` (1 for the first) of
    /// an error of `class`, or `None` if the class gives up by then. Full
    /// jitter draws the wait uniformly from zero to this ceiling, so the
    /// expected wait is half of it; it never decreases from one retry to
    /// the next and never exceeds the cap.
    pub fn ceiling(&self, class: RetryClass, retry: u32) -> Option<Duration> {
        let rule = self.rule(class)?;
        if retry == 0 || retry >= rule.max_attempts {
            return None;
        }
        Some(match rule.backoff {
            Backoff::Fixed => rule.base.min(self.cap),
            Backoff::Exponential => {
                let shift = (retry - 1).min(31);
                rule.base
                    .checked_mul(1u32 << shift)
                    .unwrap_or(self.cap)
                    .min(self.cap)
            }
        })
    }

    /// The wait before retry number `retry` (1 for the first retry) of an
    /// error of `class`, or `None` if the class gives up by then.
    /// `retry_after` (the server's `Retry-After`) is a lower bound, itself
    /// capped.
    pub fn delay(
        &self,
        class: RetryClass,
        retry: u32,
        retry_after: Option<Duration>,
        jitter: &mut Jitter,
    ) -> Option<Duration> {
        let ceiling = self.ceiling(class, retry)?;
        let wait = match self.rule(class).map(|r| r.backoff) {
            Some(Backoff::Exponential) => {
                let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
                Duration::from_nanos(jitter.up_to(nanos))
            }
            _ => ceiling,
        };
        Some(retry_after.map_or(wait, |after| wait.max(after.min(self.cap))))
    }
}

/// The retry budget's tokens.
#[derive(Debug, Clone)]
pub struct RetryBudget {
    config: BudgetConfig,
    tokens: u32,
}

impl RetryBudget {
    /// A full budget.
    pub fn new(config: BudgetConfig) -> Self {
        Self {
            tokens: config.capacity,
            config,
        }
    }

    /// The tokens left.
    pub fn tokens(&self) -> u32 {
        self.tokens
    }

    fn cost(&self, class: RetryClass) -> u32 {
        if class == RetryClass::Transient {
            self.config.timeout_retry_cost
        } else {
            self.config.retry_cost
        }
    }

    /// Takes the tokens for one retry of `class`; false if there are too few.
    pub fn try_spend(&mut self, class: RetryClass) -> bool {
        let cost = self.cost(class);
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }

    /// Returns tokens after a success: the retry's cost if it succeeded on
    /// a retry of `class`, else the first-attempt refund.
    pub fn refund(&mut self, retried_class: Option<RetryClass>) {
        let refund = retried_class.map_or(self.config.success_refund, |c| self.cost(c));
        self.tokens = (self.tokens + refund).min(self.config.capacity);
    }
}

impl R2Error {
    /// True when trying again may succeed: throttling (`SlowDown`, 429),
    /// server failures (500, 503, and unknown 5xx codes), request timeouts,
    /// transport failures and truncated downloads. `RequestTimeTooSkewed` is
    /// not here: it is retried once after correcting the clock (see
    /// [`server_time`](Self::server_time)).
    pub fn is_retryable(&self) -> bool {
        !matches!(
            RetryClass::of(self),
            RetryClass::Permanent | RetryClass::ClockSkew
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ErrorDetails, ObjectError};

    fn error(code: &str, status: u16) -> R2Error {
        R2Error::from_details(ErrorDetails::new(code, "", status))
    }

    #[test]
    fn classes() {
        assert_eq!(
            RetryClass::of(&error("SlowDown", 503)),
            RetryClass::Throttled
        );
        assert_eq!(
            RetryClass::of(&error("TooManyRequests", 429)),
            RetryClass::Throttled
        );
        assert_eq!(RetryClass::of(&error("Odd", 429)), RetryClass::Throttled);
        assert_eq!(
            RetryClass::of(&error("InternalError", 500)),
            RetryClass::ServerError
        );
        assert_eq!(
            RetryClass::of(&error("BadGateway", 502)),
            RetryClass::ServerError
        );
        assert_eq!(
            RetryClass::of(&error("NotImplemented", 501)),
            RetryClass::Permanent
        );
        assert_eq!(
            RetryClass::of(&error("RequestTimeout", 400)),
            RetryClass::Transient
        );
        assert_eq!(
            RetryClass::of(&error("RequestTimeTooSkewed", 403)),
            RetryClass::ClockSkew
        );
        assert_eq!(
            RetryClass::of(&error("NoSuchKey", 404)),
            RetryClass::Permanent
        );
        let timeout = R2Error::from(NetworkError::Timeout(Duration::from_secs(1)));
        assert_eq!(RetryClass::of(&timeout), RetryClass::Transient);
        let cut = R2Error::Transfer(TransferError::IncompleteBody {
            expected: 2,
            received: 1,
        });
        assert_eq!(RetryClass::of(&cut), RetryClass::StreamInterrupted);
        assert_eq!(
            RetryClass::of(&R2Error::from(NetworkError::Tls("x".into()))),
            RetryClass::Permanent
        );
        assert!(RetryClass::Transient.counts_against_endpoint());
        assert!(!RetryClass::Throttled.counts_against_endpoint());
        let _ = ObjectError::NoSuchKey;
    }

    #[test]
    fn waits_follow_the_table() {
        let policy = RetryPolicy::default();
        let mut jitter = Jitter::new(1);
        // Full jitter: never above the ceiling, which doubles up to the cap.
        for retry in 1..=2 {
            let ceiling = Duration::from_secs(1) * (1 << (retry - 1));
            for _ in 0..200 {
                let wait = policy
                    .delay(RetryClass::ServerError, retry, None, &mut jitter)
                    .unwrap();
                assert!(wait <= ceiling);
            }
        }
        assert_eq!(
            policy.delay(RetryClass::ServerError, 3, None, &mut jitter),
            None
        );
        assert_eq!(
            policy.delay(RetryClass::ServerError, 0, None, &mut jitter),
            None
        );
        for _ in 0..200 {
            let wait = policy
                .delay(RetryClass::Throttled, 4, None, &mut jitter)
                .unwrap();
            assert!(wait <= Duration::from_secs(8));
        }
        assert_eq!(
            policy.delay(RetryClass::Throttled, 5, None, &mut jitter),
            None
        );
        assert_eq!(
            policy.delay(RetryClass::StreamInterrupted, 1, None, &mut jitter),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            policy.delay(RetryClass::StreamInterrupted, 2, None, &mut jitter),
            None
        );
        assert_eq!(
            policy.delay(RetryClass::Permanent, 1, None, &mut jitter),
            None
        );
        assert!(
            policy
                .delay(RetryClass::Transient, 2, None, &mut jitter)
                .unwrap()
                <= Duration::from_secs(1)
        );
        // Retry-After is a floor.
        let wait = policy
            .delay(
                RetryClass::Throttled,
                1,
                Some(Duration::from_secs(7)),
                &mut jitter,
            )
            .unwrap();
        assert!(wait >= Duration::from_secs(7));
        // … but no wait goes over the cap.
        let wait = policy
            .delay(
                RetryClass::Throttled,
                1,
                Some(Duration::from_secs(3600)),
                &mut jitter,
            )
            .unwrap();
        assert_eq!(wait, Duration::from_secs(20));
        assert!(
            RetryPolicy::none()
                .delay(RetryClass::Throttled, 1, None, &mut jitter)
                .is_none()
        );
    }

    #[test]
    fn exponential_waits_stay_under_the_cap() {
        let policy = RetryPolicy {
            throttled: RetryRule {
                max_attempts: 61,
                base: Duration::from_secs(1),
                backoff: Backoff::Exponential,
            },
            ..RetryPolicy::default()
        };
        let mut jitter = Jitter::new(9);
        for retry in 1..=60 {
            assert!(
                policy
                    .delay(RetryClass::Throttled, retry, None, &mut jitter)
                    .unwrap()
                    <= Duration::from_secs(20)
            );
        }
    }

    #[test]
    fn budget_drains_and_refills() {
        let mut budget = RetryBudget::new(BudgetConfig {
            capacity: 20,
            ..BudgetConfig::default()
        });
        assert!(budget.try_spend(RetryClass::Transient));
        assert!(budget.try_spend(RetryClass::ServerError));
        assert!(budget.try_spend(RetryClass::ServerError));
        assert_eq!(budget.tokens(), 0);
        assert!(!budget.try_spend(RetryClass::ServerError));
        budget.refund(Some(RetryClass::ServerError));
        assert_eq!(budget.tokens(), 5);
        budget.refund(None);
        assert_eq!(budget.tokens(), 6);
        for _ in 0..100 {
            budget.refund(Some(RetryClass::Transient));
        }
        assert_eq!(budget.tokens(), 20);
    }
}
