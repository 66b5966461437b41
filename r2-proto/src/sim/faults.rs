//! What goes wrong, and when: scripted faults for exact scenarios, and
//! seeded random faults for property tests.

use std::time::Duration;

use crate::resilience::Jitter;

use super::fake_s3::RequestKind;

/// What happens to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The server answers this error without applying the request.
    Error {
        /// HTTP status.
        status: u16,
        /// S3 error code.
        code: &'static str,
        /// `Retry-After`, in seconds.
        retry_after: Option<u64>,
    },
    /// The connection fails before the request arrives.
    Refused,
    /// The server applies the request, but its answer never arrives.
    LostAnswer,
    /// The server applies the request, then answers this error (an
    /// ambiguous outcome, as a gateway timeout after the work was done).
    AppliedThenError {
        /// HTTP status.
        status: u16,
        /// S3 error code.
        code: &'static str,
    },
    /// The server applies the request and answers with its status and
    /// headers, but this body in place of its own (one r2 cannot read).
    AppliedWithBody(&'static str),
    /// The server applies the request and answers with this header (name,
    /// value) in place of its own: a checksum or ETag of other bytes.
    AppliedWithHeader(&'static str, &'static str),
    /// A GET's body breaks off after this many bytes.
    CutBody(u64),
    /// The answer takes this long.
    Delay(Duration),
}

impl Fault {
    /// A 500 `InternalError`.
    pub const INTERNAL: Self = Self::Error {
        status: 500,
        code: "InternalError",
        retry_after: None,
    };
    /// A 503 `SlowDown`.
    pub const SLOW_DOWN: Self = Self::Error {
        status: 503,
        code: "SlowDown",
        retry_after: None,
    };
    /// R2's 429 for more than one write per second to a key.
    pub const TOO_MANY_REQUESTS: Self = Self::Error {
        status: 429,
        code: "TooManyRequests",
        retry_after: None,
    };
    /// A 403 `AccessDenied`: final.
    pub const ACCESS_DENIED: Self = Self::Error {
        status: 403,
        code: "AccessDenied",
        retry_after: None,
    };
}

/// Which requests a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Exactly this kind (and part number).
    Kind(RequestKind),
    /// Any UploadPart.
    AnyPart,
    /// Any request.
    Any,
}

impl Target {
    fn matches(self, kind: RequestKind) -> bool {
        match self {
            Self::Kind(wanted) => wanted == kind,
            Self::AnyPart => matches!(kind, RequestKind::UploadPart(_)),
            Self::Any => true,
        }
    }
}

#[derive(Debug, Clone)]
struct Rule {
    target: Target,
    /// Matching requests to let through first.
    skip: usize,
    /// Matching requests still to fault.
    times: usize,
    fault: Fault,
}

#[derive(Debug, Clone)]
struct RandomFaults {
    jitter: Jitter,
    per_mille: u64,
    choices: Vec<Fault>,
}

/// A fault schedule.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<Rule>,
    random: Option<RandomFaults>,
}

impl Faults {
    /// No faults.
    pub fn none() -> Self {
        Self::default()
    }

    /// The next `times` requests matching `target` meet `fault`.
    pub fn next(self, target: Target, times: usize, fault: Fault) -> Self {
        self.after(target, 0, times, fault)
    }

    /// After `skip` matching requests, the next `times` meet `fault`.
    pub fn after(mut self, target: Target, skip: usize, times: usize, fault: Fault) -> Self {
        self.rules.push(Rule {
            target,
            skip,
            times,
            fault,
        });
        self
    }

    /// Besides the rules, each request meets one of `choices` with
    /// probability `per_mille`/1000, drawn from `seed`.
    pub fn random(mut self, seed: u64, per_mille: u64, choices: Vec<Fault>) -> Self {
        self.random = Some(RandomFaults {
            jitter: Jitter::new(seed),
            per_mille,
            choices,
        });
        self
    }

    /// The fault for the next request of `kind`, if any.
    pub fn pick(&mut self, kind: RequestKind) -> Option<Fault> {
        for rule in &mut self.rules {
            if !rule.target.matches(kind) || rule.times == 0 {
                continue;
            }
            if rule.skip > 0 {
                rule.skip -= 1;
                continue;
            }
            rule.times -= 1;
            return Some(rule.fault.clone());
        }
        let random = self.random.as_mut()?;
        if random.jitter.up_to(999) >= random.per_mille {
            return None;
        }
        let count = random.choices.len() as u64;
        let index = usize::try_from(random.jitter.up_to(count.saturating_sub(1))).ok()?;
        random.choices.get(index).cloned()
    }
}
