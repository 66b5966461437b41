//! Retries, backoff, clock-skew correction, the circuit breaker and rate
//! limiting, as plain data driven by the machines.
//!
//! Nothing here reads a clock or draws randomness of its own: instants come
//! in as arguments and jitter comes from a seeded [`Jitter`].

mod breaker;
mod note;
mod rate;
mod retry;
mod rng;
mod skew;

pub use breaker::{BreakerConfig, BreakerEvent, BreakerState, Breakers, CircuitBreaker, Refusal};
pub use note::Note;
pub use rate::{Limiters, RateLimitConfig, RateLimiter};
pub use retry::{Backoff, BudgetConfig, RetryBudget, RetryClass, RetryPolicy, RetryRule};
pub use rng::Jitter;
pub use skew::ClockSkew;
