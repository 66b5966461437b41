//! What the machines report about retries, breakers, rate limits and the
//! clock, for logs and metrics.

use std::time::{Duration, Instant};

use super::breaker::BreakerEvent;
use super::retry::RetryClass;
use crate::error::R2Error;

/// Something worth logging or counting that happened inside a machine.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// A request failed and will be tried again after `after`.
    Retrying {
        /// The attempt that failed (1 for the first).
        attempt: u32,
        /// The wait before the next attempt.
        after: Duration,
        /// How the error is retried.
        class: RetryClass,
        /// The error.
        error: R2Error,
    },
    /// No retry: the retry budget is spent.
    BudgetExhausted {
        /// The error that was not retried.
        error: R2Error,
    },
    /// The circuit breaker changed state.
    Breaker(BreakerEvent),
    /// The clock offset was corrected from the server's time.
    ClockCorrected {
        /// Server time minus local time.
        offset: time::Duration,
    },
    /// The rate limiter holds the request until `until`.
    RateLimited {
        /// When it may go.
        until: Instant,
    },
}
