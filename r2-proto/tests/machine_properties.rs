#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! Properties of the machines over random sizes, settings, latencies and
//! failure schedules:
//!
//! - an upload either stores every byte of the source exactly once, in
//!   order, or fails with the upload aborted or reported as resumable, and
//!   never leaves a partial object;
//! - CompleteMultipartUpload is never sent with a missing, duplicated or
//!   misordered part (the fake refuses such a list, and no run may fail so);
//! - a download yields the object byte for byte, or a typed error;
//! - backoff waits lie in [0, cap] and their ceiling never decreases;
//! - no request goes out while the circuit is open.

use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use r2_proto::error::R2Error;
use r2_proto::ops::PutObject;
use r2_proto::resilience::{
    BreakerConfig, BreakerEvent, BreakerState, CircuitBreaker, Jitter, Note, RetryClass,
    RetryPolicy,
};
use r2_proto::sim::{
    self, FakeS3, Fault, Faults, RequestKind, Sim, SimError, SourceMode, TraceStep,
};
use r2_proto::transfer::{DownloadOptions, UploadOptions};
use r2_proto::{BucketName, ClientCore, Config, ObjectKey, ResilienceConfig};

const MIB: usize = 1024 * 1024;

fn config() -> Config {
    sim::config().unwrap()
}

fn upload_faults() -> Vec<Fault> {
    vec![
        Fault::INTERNAL,
        Fault::SLOW_DOWN,
        Fault::TOO_MANY_REQUESTS,
        Fault::Refused,
        Fault::LostAnswer,
        Fault::AppliedThenError {
            status: 500,
            code: "InternalError",
        },
        Fault::Delay(Duration::from_secs(2)),
        Fault::ACCESS_DENIED,
    ]
}

fn mode() -> impl Strategy<Value = SourceMode> {
    prop_oneof![
        Just(SourceMode::Sized),
        Just(SourceMode::StreamEager),
        Just(SourceMode::StreamLazy)
    ]
}

fn upload_len() -> impl Strategy<Value = usize> {
    prop_oneof![
        0usize..=4096,
        (5 * MIB - 2)..=(5 * MIB + 2),
        (10 * MIB - 1)..=(10 * MIB + 1),
        (10 * MIB)..=(22 * MIB),
    ]
}

/// Error codes the fake gives a part list that breaks the rules.
const BAD_PART_LIST: [&str; 3] = ["InvalidPart", "InvalidPartOrder", "EntityTooSmall"];

fn error_code(error: &R2Error) -> Option<&str> {
    error.details().map(|d| d.code.as_str())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn an_upload_stores_every_byte_once_or_fails_cleanly(
        len in upload_len(),
        mode in mode(),
        concurrency in 1usize..=4,
        keep_on_failure in any::<bool>(),
        fault_seed in any::<u64>(),
        per_mille in 0u64..250,
        seed in any::<u64>(),
    ) {
        let source = sim::noise(len, seed);
        let faults = Faults::none().random(fault_seed, per_mille, upload_faults());
        let mut sim = Sim::new(FakeS3::new(), seed)
            .with_faults(faults)
            .with_max_latency(Duration::from_millis(300));
        let core = Arc::new(ClientCore::with_resilience(config(), ResilienceConfig { seed, ..ResilienceConfig::default() }));
        let options = UploadOptions {
            part_size: 5 * MIB as u64,
            concurrency,
            multipart_threshold: 8 * MIB as u64,
            keep_on_failure,
            ..UploadOptions::from_config(&config())
        };
        let result = sim.run_upload(&core, "bucket", "k", source.clone(), mode, options);
        // Whatever happened, the key holds the whole source or nothing.
        if let Some(stored) = sim.server.object("bucket", "k") {
            prop_assert_eq!(&stored.data, &source);
        }
        match result {
            Ok(out) => {
                let stored = sim.server.object("bucket", "k").expect("stored");
                prop_assert_eq!(out.size, len as u64);
                prop_assert_eq!(&out.etag.as_str(), &stored.etag);
                if out.upload_id.is_some() {
                    prop_assert_eq!(stored.parts as usize, len.div_ceil(5 * MIB).max(1));
                }
                // Only uploads whose creation answer was lost stay open, and they hold nothing.
                for id in sim.server.open_uploads() {
                    prop_assert!(sim.server.upload(&id).unwrap().parts.is_empty(), "upload {id} left with parts");
                }
            }
            Err(SimError::Machine(R2Error::Upload(failure))) => {
                let code = error_code(&failure.cause);
                prop_assert!(!code.is_some_and(|c| BAD_PART_LIST.contains(&c)), "a bad part list was sent: {failure}");
                let id = failure.upload_id.clone().expect("a multipart failure names its upload");
                if failure.aborted {
                    prop_assert!(sim.server.upload(&id).is_none(), "aborted but still open");
                } else if mode == SourceMode::Sized {
                    prop_assert!(failure.resume.is_some(), "kept without a way to resume: {failure}");
                }
                if !failure.aborted && !keep_on_failure {
                    // Kept only because the abort itself failed for good.
                    prop_assert!(sim.sent_kinds().contains(&RequestKind::AbortMultipartUpload));
                }
            }
            Err(SimError::Machine(error)) => {
                // A single PutObject, or a CreateMultipartUpload, failed: no parts were sent.
                prop_assert!(!sim.sent_kinds().iter().any(|k| matches!(k, RequestKind::UploadPart(_))), "{error:?}");
                prop_assert!(error.is_retryable() || error_code(&error) == Some("AccessDenied") || matches!(error, R2Error::CircuitOpen { .. }), "{error:?}");
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn a_download_is_byte_exact_or_a_typed_error(
        len in prop_oneof![0usize..=2048, (MIB / 2)..=(6 * MIB)],
        part_size in (256 * 1024u64)..=(2 * MIB as u64),
        concurrency in 1usize..=6,
        fault_seed in any::<u64>(),
        per_mille in 0u64..300,
        cut in 0u64..100_000,
        seed in any::<u64>(),
    ) {
        let object = sim::noise(len, seed);
        let mut server = FakeS3::new();
        server.put("bucket", "k", object.clone());
        let choices = vec![
            Fault::INTERNAL,
            Fault::SLOW_DOWN,
            Fault::Refused,
            Fault::LostAnswer,
            Fault::CutBody(cut),
            Fault::Delay(Duration::from_secs(1)),
        ];
        let mut sim = Sim::new(server, seed)
            .with_faults(Faults::none().random(fault_seed, per_mille, choices))
            .with_max_latency(Duration::from_millis(200));
        let core = Arc::new(ClientCore::with_resilience(config(), ResilienceConfig { seed, ..ResilienceConfig::default() }));
        let options = DownloadOptions { part_size, concurrency, if_match: None, in_order: false, progress_interval: r2_proto::transfer::PROGRESS_INTERVAL };
        match sim.run_download(&core, "bucket", "k", options) {
            Ok((file, out)) => {
                prop_assert_eq!(file.len(), len);
                prop_assert!(file == object, "bytes differ");
                prop_assert_eq!(out.size, len as u64);
            }
            Err(SimError::Machine(error)) => {
                let typed = error.is_retryable() || matches!(error, R2Error::CircuitOpen { .. });
                prop_assert!(typed, "{error:?}");
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }

    #[test]
    fn waits_stay_within_zero_and_the_cap(
        class in prop_oneof![
            Just(RetryClass::Throttled),
            Just(RetryClass::ServerError),
            Just(RetryClass::Transient),
            Just(RetryClass::StreamInterrupted),
        ],
        retry in 1u32..8,
        retry_after in proptest::option::of(0u64..100),
        seed in any::<u64>(),
    ) {
        let policy = RetryPolicy::default();
        let mut jitter = Jitter::new(seed);
        let retry_after = retry_after.map(Duration::from_secs);
        match (policy.ceiling(class, retry), policy.delay(class, retry, retry_after, &mut jitter)) {
            (Some(ceiling), Some(wait)) => {
                prop_assert!(ceiling <= policy.cap);
                prop_assert!(wait <= policy.cap);
                if let Some(after) = retry_after {
                    prop_assert!(wait >= after.min(policy.cap));
                } else {
                    prop_assert!(wait <= ceiling);
                }
                if let Some(next) = policy.ceiling(class, retry + 1) {
                    prop_assert!(next >= ceiling, "the ceiling went down");
                }
            }
            (None, None) => {}
            other => prop_assert!(false, "ceiling and delay disagree: {other:?}"),
        }
    }

    #[test]
    fn an_open_breaker_lets_nothing_through(
        steps in proptest::collection::vec((0u8..4, 0u64..20_000), 1..200),
    ) {
        let config = BreakerConfig { failure_threshold: 3, success_threshold: 2, ..BreakerConfig::default() };
        let mut breaker = CircuitBreaker::new(config);
        let start = Instant::now();
        let mut now = start;
        for (op, millis) in steps {
            now += Duration::from_millis(millis);
            let before = breaker.state();
            match op {
                0 => {
                    let acquired = breaker.acquire(now);
                    if let BreakerState::Open { until } = before
                        && now < until
                    {
                        prop_assert!(acquired.is_err(), "a request went through an open circuit");
                    }
                    if let BreakerState::HalfOpen { probe_out: Some(sent), .. } = before
                        && now < sent + config.reset_timeout
                    {
                        prop_assert!(acquired.is_err(), "two probes at once");
                    }
                }
                1 => { breaker.on_success(); }
                2 => { breaker.on_failure(now, true); }
                _ => { breaker.on_failure(now, false); }
            }
        }
    }

    #[test]
    fn no_request_is_sent_between_opened_and_half_opened(
        fault_seed in any::<u64>(),
        per_mille in 200u64..900,
        sleeps in proptest::collection::vec(0u64..20, 5..40),
    ) {
        let resilience = ResilienceConfig {
            retry: RetryPolicy::none(),
            breaker: BreakerConfig { failure_threshold: 2, reset_timeout: Duration::from_secs(10), ..BreakerConfig::default() },
            ..ResilienceConfig::default()
        };
        let core = Arc::new(ClientCore::with_resilience(config(), resilience));
        let mut sim = Sim::new(FakeS3::new(), fault_seed)
            .with_faults(Faults::none().random(fault_seed, per_mille, vec![Fault::INTERNAL, Fault::Refused]));
        for seconds in sleeps {
            let put = PutObject::new(BucketName::new("bucket").unwrap(), ObjectKey::new("k").unwrap(), "x");
            let _ = sim.run_exchange(&core, put);
            sim.sleep(Duration::from_secs(seconds));
        }
        let mut open = false;
        for step in &sim.trace {
            match step {
                TraceStep::Note(Note::Breaker(BreakerEvent::Opened(_))) => open = true,
                TraceStep::Note(Note::Breaker(BreakerEvent::HalfOpened(_))) => open = false,
                TraceStep::Sent { .. } => prop_assert!(!open, "sent while open"),
                _ => {}
            }
        }
    }
}

#[test]
fn the_expected_wait_grows_with_each_retry() {
    let policy = RetryPolicy::default();
    let mut jitter = Jitter::new(42);
    let mean = |retry: u32, jitter: &mut Jitter| {
        let total: Duration = (0..4000)
            .map(|_| {
                policy
                    .delay(RetryClass::Throttled, retry, None, jitter)
                    .unwrap()
            })
            .sum();
        total / 4000
    };
    let means: Vec<Duration> = (1..=4).map(|retry| mean(retry, &mut jitter)).collect();
    for pair in means.windows(2) {
        assert!(pair[1] > pair[0], "{means:?}");
    }
    // Full jitter: about half the ceiling.
    let half = Duration::from_millis(500);
    assert!(
        means[0] > half.mul_f64(0.9) && means[0] < half.mul_f64(1.1),
        "{means:?}"
    );
}
