#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! One request with its retries, driven against the fake server on a fake
//! clock: the exact sequence of sends, notes and waits.

use std::sync::Arc;
use std::time::Duration;

use r2_proto::error::R2Error;
use r2_proto::error::{AuthError, ObjectError, ServerError};
use r2_proto::ops::{GetObject, PutObject};
use r2_proto::resilience::{
    BreakerConfig, BreakerEvent, BudgetConfig, Note, RateLimitConfig, RetryClass, RetryPolicy,
};
use r2_proto::sim::{self, FakeS3, Fault, Faults, RequestKind, Sim, SimError, Target, TraceStep};
use r2_proto::{BucketName, ClientCore, ObjectKey, ResilienceConfig};

fn core_with(resilience: ResilienceConfig) -> Arc<ClientCore> {
    sim::client(resilience).unwrap()
}

fn core() -> Arc<ClientCore> {
    core_with(ResilienceConfig::default())
}

fn put(key: &str) -> PutObject {
    PutObject::new(
        BucketName::new("bucket").unwrap(),
        ObjectKey::new(key).unwrap(),
        "hello",
    )
}

fn get(key: &str) -> GetObject {
    GetObject::new(
        BucketName::new("bucket").unwrap(),
        ObjectKey::new(key).unwrap(),
    )
}

/// A world whose answers come back at once, so the only time that passes is waiting.
fn sim(faults: Faults) -> Sim {
    Sim::new(FakeS3::new(), 7)
        .with_max_latency(Duration::ZERO)
        .with_faults(faults)
}

fn retry_waits(sim: &Sim) -> Vec<(u32, Duration, RetryClass)> {
    sim.notes()
        .into_iter()
        .filter_map(|n| match n {
            Note::Retrying {
                attempt,
                after,
                class,
                ..
            } => Some((*attempt, *after, *class)),
            _ => None,
        })
        .collect()
}

/// The trace a retried request must leave: send, note, wait (when not zero), send, …
fn expected_trace(sim: &Sim, kind: RequestKind) -> Vec<TraceStep> {
    let mut expected = Vec::new();
    let mut at = Duration::ZERO;
    for note in sim.notes() {
        expected.push(TraceStep::Sent { kind, at });
        expected.push(TraceStep::Answered { kind });
        expected.push(TraceStep::Note(note.clone()));
        if let Note::Retrying { after, .. } = note
            && !after.is_zero()
        {
            expected.push(TraceStep::Waited(*after));
            at += *after;
        }
    }
    expected.push(TraceStep::Sent { kind, at });
    expected.push(TraceStep::Answered { kind });
    expected
}

#[test]
fn a_request_that_succeeds_is_sent_once() {
    let mut sim = sim(Faults::none());
    let out = sim.run_exchange(&core(), put("a")).unwrap();
    assert_eq!(out.etag.as_str(), "\"5d41402abc4b2a76b9719d911017c592\"");
    assert_eq!(
        sim.trace,
        vec![
            TraceStep::Sent {
                kind: RequestKind::PutObject,
                at: Duration::ZERO
            },
            TraceStep::Answered {
                kind: RequestKind::PutObject
            }
        ]
    );
    assert_eq!(sim.server.object("bucket", "a").unwrap().data, "hello");
}

#[test]
fn server_errors_are_retried_with_growing_jittered_waits() {
    let faults = Faults::none().next(Target::Kind(RequestKind::PutObject), 2, Fault::INTERNAL);
    let mut sim = sim(faults);
    sim.run_exchange(&core(), put("a")).unwrap();
    let waits = retry_waits(&sim);
    assert_eq!(waits.len(), 2);
    assert_eq!((waits[0].0, waits[0].2), (1, RetryClass::ServerError));
    assert!(waits[0].1 <= Duration::from_secs(1), "{waits:?}");
    assert_eq!(waits[1].0, 2);
    assert!(waits[1].1 <= Duration::from_secs(2), "{waits:?}");
    assert_eq!(sim.trace, expected_trace(&sim, RequestKind::PutObject));
    assert_eq!(sim.elapsed(), waits[0].1 + waits[1].1);
}

#[test]
fn each_class_gives_up_after_its_attempts() {
    let cases = [
        (
            Fault::INTERNAL,
            3,
            RetryClass::ServerError,
            Duration::from_secs(1),
        ),
        (
            Fault::SLOW_DOWN,
            5,
            RetryClass::Throttled,
            Duration::from_secs(1),
        ),
        (
            Fault::TOO_MANY_REQUESTS,
            5,
            RetryClass::Throttled,
            Duration::from_secs(1),
        ),
        (
            Fault::Refused,
            3,
            RetryClass::Transient,
            Duration::from_millis(500),
        ),
        (
            Fault::LostAnswer,
            3,
            RetryClass::Transient,
            Duration::from_millis(500),
        ),
    ];
    for (fault, attempts, class, base) in cases {
        let faults = Faults::none().next(Target::Any, 100, fault.clone());
        // Adaptive slow-down would add rate-limit waits to throttled retries; see its own test.
        let resilience = ResilienceConfig {
            rate_limit: RateLimitConfig {
                adaptive: false,
                ..RateLimitConfig::default()
            },
            ..ResilienceConfig::default()
        };
        let mut sim = sim(faults);
        let error = sim
            .run_exchange(&core_with(resilience), put("a"))
            .unwrap_err();
        assert!(
            matches!(error, SimError::Machine(_)),
            "{fault:?}: {error:?}"
        );
        assert_eq!(sim.sent_kinds().len(), attempts, "{fault:?}");
        let waits = retry_waits(&sim);
        assert_eq!(waits.len(), attempts - 1, "{fault:?}");
        for (retry, after, got) in waits {
            assert_eq!(got, class);
            assert!(
                after <= base * (1 << (retry - 1)),
                "{fault:?}: retry {retry} waited {after:?}"
            );
        }
    }
}

#[test]
fn retry_after_is_a_lower_bound() {
    let slow = Fault::Error {
        status: 503,
        code: "SlowDown",
        retry_after: Some(7),
    };
    let mut sim = sim(Faults::none().next(Target::Any, 1, slow));
    sim.run_exchange(&core(), put("a")).unwrap();
    let waits = sim.waits();
    assert_eq!(waits.len(), 1);
    assert!(
        waits[0] >= Duration::from_secs(7) && waits[0] <= Duration::from_secs(20),
        "{waits:?}"
    );
}

#[test]
fn final_errors_are_not_retried() {
    let mut sim = sim(Faults::none().next(Target::Any, 1, Fault::ACCESS_DENIED));
    let error = sim.run_exchange(&core(), put("a")).unwrap_err();
    assert!(
        matches!(
            error,
            SimError::Machine(R2Error::Auth(AuthError::AccessDenied(_)))
        ),
        "{error:?}"
    );
    assert_eq!(sim.sent_kinds(), vec![RequestKind::PutObject]);

    let mut sim = sim_with_server();
    let error = sim.run_exchange(&core(), get("missing")).unwrap_err();
    assert!(
        matches!(
            error,
            SimError::Machine(R2Error::Object(ObjectError::NoSuchKey(_)))
        ),
        "{error:?}"
    );
    assert_eq!(sim.sent_kinds().len(), 1);
}

fn sim_with_server() -> Sim {
    sim(Faults::none())
}

#[test]
fn a_skewed_clock_is_corrected_once_and_remembered() {
    let server = FakeS3::new().with_clock_offset(time::Duration::hours(1));
    let mut sim = Sim::new(server, 7).with_max_latency(Duration::ZERO);
    let core = core();
    sim.run_exchange(&core, put("a")).unwrap();
    assert_eq!(sim.sent_kinds().len(), 2);
    assert!(sim.waits().is_empty(), "the corrected retry goes at once");
    let notes = sim.notes();
    assert!(
        matches!(notes.as_slice(), [Note::ClockCorrected { offset }] if *offset == time::Duration::hours(1)),
        "{notes:?}"
    );
    assert_eq!(core.clock_skew().offset(), time::Duration::hours(1));
    // The next request is signed with the corrected clock from the start.
    sim.run_exchange(&core, put("b")).unwrap();
    assert_eq!(sim.sent_kinds().len(), 3);
}

#[test]
fn a_skew_error_without_the_server_time_is_final() {
    let skewed = Fault::Error {
        status: 403,
        code: "RequestTimeTooSkewed",
        retry_after: None,
    };
    let mut sim = sim(Faults::none().next(Target::Any, 5, skewed));
    let error = sim.run_exchange(&core(), put("a")).unwrap_err();
    assert!(
        matches!(
            error,
            SimError::Machine(R2Error::Auth(AuthError::RequestTimeTooSkewed(_)))
        ),
        "{error:?}"
    );
    assert_eq!(sim.sent_kinds().len(), 1);
}

#[test]
fn the_retry_budget_stops_a_retry_storm() {
    let resilience = ResilienceConfig {
        retry: RetryPolicy {
            budget: BudgetConfig {
                capacity: 10,
                ..BudgetConfig::default()
            },
            ..RetryPolicy::default()
        },
        breaker: BreakerConfig {
            failure_threshold: 1000,
            ..BreakerConfig::default()
        },
        ..ResilienceConfig::default()
    };
    let core = core_with(resilience);
    let mut sim = sim(Faults::none().next(Target::Any, 1000, Fault::INTERNAL));
    // The first request spends the budget on its two retries…
    sim.run_exchange(&core, put("a")).unwrap_err();
    assert_eq!(sim.sent_kinds().len(), 3);
    // … so the second fails after one attempt, saying why.
    let error = sim.run_exchange(&core, put("b")).unwrap_err();
    assert!(matches!(
        error,
        SimError::Machine(R2Error::Server(ServerError::InternalError(_)))
    ));
    assert_eq!(sim.sent_kinds().len(), 4);
    assert!(matches!(
        sim.notes().last(),
        Some(Note::BudgetExhausted { .. })
    ));
}

#[test]
fn the_breaker_opens_refuses_probes_and_closes() {
    let resilience = ResilienceConfig {
        retry: RetryPolicy::none(),
        ..ResilienceConfig::default()
    };
    let core = core_with(resilience);
    let mut sim = sim(Faults::none().next(Target::Any, 6, Fault::INTERNAL));
    for n in 0..5 {
        assert!(sim.run_exchange(&core, put("a")).is_err(), "request {n}");
    }
    assert_eq!(
        sim.notes(),
        vec![&Note::Breaker(BreakerEvent::Opened(None))]
    );
    // Open: refused at once, nothing sent.
    let error = sim.run_exchange(&core, put("a")).unwrap_err();
    let SimError::Machine(R2Error::CircuitOpen { bucket, retry_in }) = error else {
        panic!("{error:?}");
    };
    assert_eq!((bucket, retry_in), (None, Duration::from_secs(30)));
    assert_eq!(sim.sent_kinds().len(), 5);
    sim.sleep(Duration::from_secs(10));
    let error = sim.run_exchange(&core, put("a")).unwrap_err();
    assert!(
        matches!(error, SimError::Machine(R2Error::CircuitOpen { retry_in, .. }) if retry_in == Duration::from_secs(20))
    );
    // Half-open: one probe; it fails (the sixth fault), so the circuit opens again.
    sim.sleep(Duration::from_secs(20));
    sim.run_exchange(&core, put("a")).unwrap_err();
    assert_eq!(sim.sent_kinds().len(), 6);
    sim.sleep(Duration::from_secs(30));
    // Three successful probes close it.
    for _ in 0..3 {
        sim.run_exchange(&core, put("a")).unwrap();
    }
    let breaker_notes: Vec<_> = sim
        .notes()
        .into_iter()
        .filter_map(|n| match n {
            Note::Breaker(event) => Some(event.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        breaker_notes,
        vec![
            BreakerEvent::Opened(None),
            BreakerEvent::HalfOpened(None),
            BreakerEvent::Opened(None),
            BreakerEvent::HalfOpened(None),
            BreakerEvent::Closed(None),
        ]
    );
    // Closed: requests flow again.
    sim.run_exchange(&core, put("a")).unwrap();
}

#[test]
fn per_bucket_breakers_isolate_a_failing_bucket() {
    let resilience = ResilienceConfig {
        retry: RetryPolicy::none(),
        breaker: BreakerConfig {
            failure_threshold: 2,
            per_bucket: true,
            ..BreakerConfig::default()
        },
        ..ResilienceConfig::default()
    };
    let core = core_with(resilience);
    let mut sim = sim(Faults::none().next(Target::Any, 2, Fault::INTERNAL));
    sim.run_exchange(&core, put("a")).unwrap_err();
    sim.run_exchange(&core, put("a")).unwrap_err();
    let error = sim.run_exchange(&core, put("a")).unwrap_err();
    assert!(
        matches!(error, SimError::Machine(R2Error::CircuitOpen { bucket: Some(b), .. }) if b == "bucket")
    );
    let other = PutObject::new(
        BucketName::new("other").unwrap(),
        ObjectKey::new("a").unwrap(),
        "x",
    );
    sim.run_exchange(&core, other).unwrap();
}

#[test]
fn throttling_is_not_held_against_the_endpoint() {
    let resilience = ResilienceConfig {
        retry: RetryPolicy::none(),
        breaker: BreakerConfig {
            failure_threshold: 2,
            ..BreakerConfig::default()
        },
        ..ResilienceConfig::default()
    };
    let core = core_with(resilience);
    let mut sim = sim(Faults::none().next(Target::Any, 5, Fault::SLOW_DOWN));
    for _ in 0..5 {
        sim.run_exchange(&core, put("a")).unwrap_err();
    }
    sim.run_exchange(&core, put("a")).unwrap();
    assert!(!sim.notes().iter().any(|n| matches!(n, Note::Breaker(_))));
}

#[test]
fn a_fixed_rate_spaces_requests() {
    let resilience = ResilienceConfig {
        rate_limit: RateLimitConfig {
            requests_per_second: Some(2.0),
            burst: 1.0,
            adaptive: false,
            per_bucket: false,
        },
        ..ResilienceConfig::default()
    };
    let core = core_with(resilience);
    let mut sim = sim(Faults::none());
    for key in ["a", "b", "c", "d"] {
        sim.run_exchange(&core, put(key)).unwrap();
    }
    let sent_at: Vec<Duration> = sim
        .trace
        .iter()
        .filter_map(|s| match s {
            TraceStep::Sent { at, .. } => Some(*at),
            _ => None,
        })
        .collect();
    let ms: Vec<u128> = sent_at.iter().map(Duration::as_millis).collect();
    assert_eq!(ms, vec![0, 500, 1000, 1500]);
    let limited = sim
        .notes()
        .iter()
        .filter(|n| matches!(n, Note::RateLimited { .. }))
        .count();
    assert_eq!(limited, 3);
}

#[test]
fn throttling_slows_the_adaptive_limiter_down() {
    let core = core();
    let mut sim = sim(Faults::none().next(Target::Any, 1, Fault::SLOW_DOWN));
    sim.run_exchange(&core, put("a")).unwrap();
    for key in ["b", "c", "d"] {
        sim.run_exchange(&core, put(key)).unwrap();
    }
    // After the SlowDown the limiter holds requests back instead of sending at once.
    assert!(
        sim.notes()
            .iter()
            .any(|n| matches!(n, Note::RateLimited { .. })),
        "{:?}",
        sim.notes()
    );
}
