//! The retry bookkeeping of one logical request, shared by every machine:
//! whether it may go now (breaker, rate limit), and after a failure whether
//! and when to try again (policy, budget, clock skew).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::client_core::{ClientCore, Now};
use crate::error::R2Error;
use crate::resilience::{BreakerEvent, BreakerState, Note, Refusal, RetryClass};

/// Whether a request may go now.
#[derive(Debug)]
pub(crate) enum Gate {
    /// Send it.
    Go,
    /// The rate limiter says wait until then.
    WaitUntil(Instant),
    /// The circuit breaker refuses.
    Refused(R2Error),
}

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Try again at this instant.
    RetryAt(Instant),
    /// Give up with the error.
    GiveUp,
}

/// The retries of one logical request.
#[derive(Debug, Clone)]
pub(crate) struct Attempts {
    bucket: Option<String>,
    /// Attempts sent so far.
    sent: u32,
    /// The class of the last failure that led to a retry.
    retried_as: Option<RetryClass>,
    skew_corrected: bool,
    /// When the attempt in flight was signed (for learning clock skew).
    sent_wall: Option<OffsetDateTime>,
    /// False for a single-attempt request (its caller retries it).
    retries: bool,
}

fn breaker_note(bucket: Option<String>, state: BreakerState) -> Note {
    Note::Breaker(match state {
        BreakerState::Open { .. } => BreakerEvent::Opened(bucket),
        BreakerState::HalfOpen { .. } => BreakerEvent::HalfOpened(bucket),
        BreakerState::Closed { .. } => BreakerEvent::Closed(bucket),
    })
}

impl Attempts {
    /// Bookkeeping for a request to `bucket`.
    pub(crate) fn new(bucket: Option<&str>) -> Self {
        Self {
            bucket: bucket.map(str::to_owned),
            sent: 0,
            retried_as: None,
            skew_corrected: false,
            sent_wall: None,
            retries: true,
        }
    }

    /// Bookkeeping for a request its caller retries (no retries here).
    pub(crate) fn single(bucket: Option<&str>) -> Self {
        Self {
            retries: false,
            ..Self::new(bucket)
        }
    }

    /// Attempts sent so far.
    pub(crate) fn sent(&self) -> u32 {
        self.sent
    }

    /// Asks the rate limiter, then the breaker, whether a request may go
    /// now. The limiter comes first so that a half-open probe slot is only
    /// taken by a request that really goes.
    pub(crate) fn gate(&mut self, core: &ClientCore, now: Now, notes: &mut VecDeque<Note>) -> Gate {
        let mut shared = core.shared();
        if let Err(until) = shared
            .limiters
            .for_bucket(self.bucket.as_deref())
            .acquire(now.instant)
        {
            notes.push_back(Note::RateLimited { until });
            return Gate::WaitUntil(until);
        }
        let key = shared.breakers.key(self.bucket.as_deref());
        match shared
            .breakers
            .for_bucket(self.bucket.as_deref())
            .acquire(now.instant)
        {
            Ok(true) => notes.push_back(Note::Breaker(BreakerEvent::HalfOpened(key))),
            Ok(false) => {}
            Err(refusal) => {
                let retry_in = match refusal {
                    Refusal::Open(until) => until.saturating_duration_since(now.instant),
                    Refusal::ProbeOut => Duration::ZERO,
                };
                return Gate::Refused(R2Error::CircuitOpen {
                    bucket: key,
                    retry_in,
                });
            }
        }
        self.sent += 1;
        self.sent_wall = Some(now.wall);
        Gate::Go
    }

    /// Records a success.
    pub(crate) fn succeeded(&mut self, core: &ClientCore, notes: &mut VecDeque<Note>) {
        let mut shared = core.shared();
        shared.budget.refund(self.retried_as);
        let key = shared.breakers.key(self.bucket.as_deref());
        if let Some(state) = shared
            .breakers
            .for_bucket(self.bucket.as_deref())
            .on_success()
        {
            notes.push_back(breaker_note(key, state));
        }
    }

    /// Records a failure and decides whether and when to try again.
    pub(crate) fn failed(
        &mut self,
        core: &ClientCore,
        now: Now,
        error: &R2Error,
        notes: &mut VecDeque<Note>,
    ) -> Verdict {
        let class = RetryClass::of(error);
        let mut shared = core.shared();
        let key = shared.breakers.key(self.bucket.as_deref());
        let counts = class.counts_against_endpoint();
        if let Some(state) = shared
            .breakers
            .for_bucket(self.bucket.as_deref())
            .on_failure(now.instant, counts)
        {
            notes.push_back(breaker_note(key, state));
        }
        if class == RetryClass::Throttled {
            shared
                .limiters
                .for_bucket(self.bucket.as_deref())
                .on_throttle(now.instant);
        }
        if !self.retries {
            return Verdict::GiveUp;
        }
        if class == RetryClass::ClockSkew {
            return match (error.server_time(), self.sent_wall) {
                (Some(server), Some(sent)) if !self.skew_corrected => {
                    self.skew_corrected = true;
                    shared.skew.learn(server, sent);
                    notes.push_back(Note::ClockCorrected {
                        offset: shared.skew.offset(),
                    });
                    Verdict::RetryAt(now.instant)
                }
                _ => Verdict::GiveUp,
            };
        }
        let retry_number = self.sent.saturating_sub(u32::from(self.skew_corrected));
        let Some(after) =
            core.retry_policy()
                .delay(class, retry_number, error.retry_after(), &mut shared.jitter)
        else {
            return Verdict::GiveUp;
        };
        if !shared.budget.try_spend(class) {
            notes.push_back(Note::BudgetExhausted {
                error: error.clone(),
            });
            return Verdict::GiveUp;
        }
        self.retried_as = Some(class);
        notes.push_back(Note::Retrying {
            attempt: self.sent,
            after,
            class,
            error: error.clone(),
        });
        Verdict::RetryAt(now.instant + after)
    }
}
