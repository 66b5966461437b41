#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The upload machine against the fake server: single and multipart,
//! sized and streamed, per-part retries, abort, keep-and-resume, the
//! uncertain Complete, checksums and progress.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use r2_proto::error::{AuthError, TransferError};
use r2_proto::error::{R2Error, RequestError, UploadFailure};
use r2_proto::model::ChecksumAlgorithm;
use r2_proto::ops::{ListParts, PartSummary};
use r2_proto::resilience::{BreakerConfig, RetryPolicy};
use r2_proto::sim::{
    self, FakeS3, Fault, Faults, RequestKind, Sim, SimError, SourceMode, Target, TraceStep,
};
use r2_proto::transfer::{
    PartIntegrity, ResumeState, Upload, UploadOptions, UploadOutput, UploadSource,
};
use r2_proto::{BucketName, ClientCore, Config, ObjectKey, ResilienceConfig};

const MIB: usize = 1024 * 1024;

fn config() -> Config {
    sim::config().unwrap()
}

fn core_with(resilience: ResilienceConfig) -> Arc<ClientCore> {
    sim::client(resilience).unwrap()
}

fn core() -> Arc<ClientCore> {
    core_with(ResilienceConfig::default())
}

/// 5 MiB parts, 3 at once, multipart from 5 MiB.
fn options() -> UploadOptions {
    UploadOptions {
        part_size: 5 * MIB as u64,
        concurrency: 3,
        multipart_threshold: 5 * MIB as u64,
        // Every progress change at once, so that the only waits are the
        // retries' (the simulated driver checks the reports all the same).
        progress_interval: Duration::ZERO,
        ..UploadOptions::from_config(&config())
    }
}

fn parts_sent(sim: &Sim) -> Vec<u32> {
    sim.sent_kinds()
        .into_iter()
        .filter_map(|k| match k {
            RequestKind::UploadPart(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn upload_failure(error: SimError) -> UploadFailure {
    match error {
        SimError::Machine(R2Error::Upload(failure)) => *failure,
        other => panic!("expected an upload failure, got {other:?}"),
    }
}

/// An upload of `source` to `bucket/k`.
fn new_upload(
    core: &Arc<ClientCore>,
    source: UploadSource,
    options: UploadOptions,
) -> Result<Upload, R2Error> {
    let bucket = BucketName::new("bucket").unwrap();
    Upload::new(
        core.clone(),
        bucket,
        ObjectKey::new("k").unwrap(),
        source,
        options,
    )
}

/// The parts the server holds for the upload `state` names.
fn list_parts(sim: &mut Sim, core: &Arc<ClientCore>, state: &ResumeState) -> Vec<PartSummary> {
    let bucket = BucketName::new(state.bucket.clone()).unwrap();
    let key = ObjectKey::new(state.key.clone()).unwrap();
    let listed = sim
        .run_exchange(core, ListParts::new(bucket, key, state.upload_id.clone()))
        .unwrap();
    listed.parts
}

/// `fault` meets the first request of `kind`.
fn once(kind: RequestKind, fault: Fault) -> Faults {
    Faults::none().next(Target::Kind(kind), 1, fault)
}

/// Uploads `source` (known length, default options) to `bucket/k` under `faults`.
fn upload_under(
    faults: Faults,
    seed: u64,
    source: &Bytes,
) -> (Sim, Result<UploadOutput, SimError>) {
    let mut sim = Sim::new(FakeS3::new(), seed).with_faults(faults);
    let result = sim.run_upload(
        &core(),
        "bucket",
        "k",
        source.clone(),
        SourceMode::Sized,
        options(),
    );
    (sim, result)
}

/// Options that keep a failed upload, one part at a time.
fn keeping() -> UploadOptions {
    UploadOptions {
        keep_on_failure: true,
        concurrency: 1,
        ..options()
    }
}

/// Uploads `source` until part `failing` is refused for good, keeping the upload.
fn kept_after_part(
    failing: u32,
    source: &Bytes,
    seed: u64,
) -> (Sim, Arc<ClientCore>, UploadFailure) {
    let faults = Faults::none().next(
        Target::Kind(RequestKind::UploadPart(failing)),
        1,
        Fault::ACCESS_DENIED,
    );
    let core = core();
    let mut sim = Sim::new(FakeS3::new(), seed).with_faults(faults);
    let error = sim
        .run_upload(
            &core,
            "bucket",
            "k",
            source.clone(),
            SourceMode::Sized,
            keeping(),
        )
        .unwrap_err();
    (sim, core, upload_failure(error))
}

fn reads(sim: &Sim) -> usize {
    sim.trace
        .iter()
        .filter(|s| matches!(s, TraceStep::Read { .. }))
        .count()
}

#[test]
fn a_small_source_is_one_put_object() {
    let source = sim::noise(1000, 1);
    let mut sim = Sim::new(FakeS3::new(), 1);
    let out = sim
        .run_upload(
            &core(),
            "bucket",
            "small",
            source.clone(),
            SourceMode::Sized,
            options(),
        )
        .unwrap();
    assert_eq!(sim.sent_kinds(), vec![RequestKind::PutObject]);
    assert_eq!((out.parts, out.size, out.upload_id), (1, 1000, None));
    assert_eq!(sim.server.object("bucket", "small").unwrap().data, source);
}

#[test]
fn an_empty_source_is_an_empty_object() {
    for mode in [
        SourceMode::Sized,
        SourceMode::StreamEager,
        SourceMode::StreamLazy,
    ] {
        let mut sim = Sim::new(FakeS3::new(), 1);
        let out = sim
            .run_upload(&core(), "bucket", "empty", Bytes::new(), mode, options())
            .unwrap();
        assert_eq!(sim.sent_kinds(), vec![RequestKind::PutObject], "{mode:?}");
        assert_eq!(out.size, 0);
        assert!(
            sim.server
                .object("bucket", "empty")
                .unwrap()
                .data
                .is_empty()
        );
    }
}

#[test]
fn a_known_length_goes_in_equal_parts_completed_in_order() {
    let source = sim::noise(23 * MIB + 17, 2);
    let mut sim = Sim::new(FakeS3::new(), 3).with_max_latency(Duration::from_millis(200));
    let out = sim
        .run_upload(
            &core(),
            "bucket",
            "big",
            source.clone(),
            SourceMode::Sized,
            options(),
        )
        .unwrap();
    let kinds = sim.sent_kinds();
    assert_eq!(kinds.first(), Some(&RequestKind::CreateMultipartUpload));
    assert_eq!(kinds.last(), Some(&RequestKind::CompleteMultipartUpload));
    let mut parts = parts_sent(&sim);
    parts.sort_unstable();
    assert_eq!(parts, vec![1, 2, 3, 4, 5], "each part exactly once");
    // With random latencies the parts come back out of order…
    let answered: Vec<u32> = sim
        .answered_kinds()
        .into_iter()
        .filter_map(|k| match k {
            RequestKind::UploadPart(n) => Some(n),
            _ => None,
        })
        .collect();
    assert_ne!(
        answered,
        parts_sent(&sim),
        "this seed completes parts out of order"
    );
    // … and the object is still assembled in order (the fake checks the
    // order, the ETags and R2's equal-size rule).
    let stored = sim.server.object("bucket", "big").unwrap();
    assert_eq!(stored.data, source);
    assert_eq!(stored.parts, 5);
    assert_eq!(out.etag.as_str(), stored.etag);
    assert!(out.etag.as_str().ends_with("-5\""));
    assert_eq!((out.parts, out.size), (5, source.len() as u64));
    assert!(sim.server.open_uploads().is_empty());
}

#[test]
fn the_window_holds_at_most_the_concurrency() {
    for concurrency in [1, 2, 4] {
        let source = sim::noise(26 * MIB, 4);
        let mut sim = Sim::new(FakeS3::new(), 5).with_max_latency(Duration::from_millis(100));
        let options = UploadOptions {
            concurrency,
            ..options()
        };
        // The driver fails the run if the window ever exceeds the concurrency.
        sim.run_upload(
            &core(),
            "bucket",
            "k",
            source.clone(),
            SourceMode::Sized,
            options,
        )
        .unwrap();
        // Reads run ahead of sends by at most the window.
        let mut reads = 0;
        let mut answered = 0;
        for step in &sim.trace {
            match step {
                TraceStep::Read { .. } => reads += 1,
                TraceStep::Answered {
                    kind: RequestKind::UploadPart(_),
                } => answered += 1,
                _ => {}
            }
            assert!(reads - answered <= concurrency, "concurrency {concurrency}");
        }
    }
}

#[test]
fn a_failing_part_is_retried_alone() {
    let faults = Faults::none().next(Target::Kind(RequestKind::UploadPart(2)), 2, Fault::INTERNAL);
    let source = sim::noise(16 * MIB, 6);
    let (sim, result) = upload_under(faults, 7, &source);
    result.unwrap();
    let mut parts = parts_sent(&sim);
    parts.sort_unstable();
    assert_eq!(parts, vec![1, 2, 2, 2, 3, 4]);
    assert_eq!(sim.server.object("bucket", "k").unwrap().data, source);
}

#[test]
fn a_part_that_fails_for_good_aborts_the_upload_and_names_the_part() {
    let faults = once(RequestKind::UploadPart(3), Fault::ACCESS_DENIED);
    let (sim, result) = upload_under(faults, 9, &sim::noise(21 * MIB, 8));
    let failure = upload_failure(result.unwrap_err());
    assert_eq!(failure.part, Some(3));
    assert!(failure.aborted);
    assert_eq!(failure.upload_id.as_deref(), Some("upload-1"));
    assert!(matches!(
        failure.cause,
        R2Error::Auth(AuthError::AccessDenied(_))
    ));
    assert!(failure.to_string().contains("at part 3"), "{failure}");
    let kinds = sim.sent_kinds();
    assert_eq!(kinds.last(), Some(&RequestKind::AbortMultipartUpload));
    assert!(!kinds.contains(&RequestKind::CompleteMultipartUpload));
    assert!(sim.server.open_uploads().is_empty());
    assert!(
        sim.server.object("bucket", "k").is_none(),
        "never a partial object"
    );
}

#[test]
fn a_failed_read_aborts_the_upload() {
    let source = sim::noise(12 * MIB, 10);
    let mut sim = Sim::new(FakeS3::new(), 11);
    let mut upload =
        new_upload(&core(), UploadSource::Sized(source.len() as u64), options()).unwrap();
    let error = sim
        .drive_upload(&mut upload, source, SourceMode::Sized, 3, Some(2))
        .unwrap_err();
    let failure = upload_failure(error);
    assert_eq!(failure.part, Some(2));
    assert!(matches!(
        failure.cause,
        R2Error::Transfer(TransferError::SourceFailed { part: 2, .. })
    ));
    assert!(failure.aborted);
    assert!(sim.server.open_uploads().is_empty());
}

#[test]
fn a_kept_upload_resumes_with_only_the_missing_parts() {
    let source = sim::noise(27 * MIB, 12);
    let (mut sim, core, failure) = kept_after_part(4, &source, 13);
    assert!(!failure.aborted);
    assert!(
        !sim.sent_kinds()
            .contains(&RequestKind::AbortMultipartUpload)
    );
    let state = failure.resume.expect("a kept upload can be resumed");
    assert_eq!(state.upload_id, "upload-1");
    assert_eq!(state.part_size, 5 * MIB as u64);
    assert_eq!(sim.server.upload("upload-1").unwrap().parts.len(), 3);

    // Later, maybe in another process: the state travels as text.
    let state = ResumeState::decode(&state.encode()).unwrap();
    let listed = list_parts(&mut sim, &core, &state);
    assert_eq!(listed.len(), 3);
    let before = parts_sent(&sim).len();
    let mut upload = Upload::resume(core.clone(), &state, &listed, keeping()).unwrap();
    // The progress starts from what the server holds (the issue's "resume
    // aware"), before the parts are checked; one that fails its check is
    // sent again without being counted twice (the simulated driver checks
    // that the last report is the object's size).
    assert_eq!(upload.progress().confirmed, 15 * MIB as u64);
    assert_eq!(upload.progress().resumed, 15 * MIB as u64);
    assert_eq!(upload.progress().parts_done, 3);
    let out = sim
        .drive_upload(&mut upload, source.clone(), SourceMode::Sized, 1, None)
        .unwrap();
    assert_eq!(parts_sent(&sim)[before..], [4, 5, 6]);
    assert_eq!(sim.server.object("bucket", "k").unwrap().data, source);
    assert_eq!((out.parts, out.size), (6, source.len() as u64));
    assert_eq!(upload.progress().confirmed, source.len() as u64);
    assert_eq!(
        upload.progress().sent,
        (5 + 5 + 2) * MIB as u64,
        "parts 4, 5 and 6"
    );
}

#[test]
fn resuming_re_uploads_parts_whose_local_bytes_changed() {
    let source = sim::noise(15 * MIB, 14);
    let (mut sim, core, failure) = kept_after_part(3, &source, 15);
    let state = failure.resume.unwrap();
    // The file changed in part 2 since.
    let mut changed = source.to_vec();
    changed[5 * MIB + 10] ^= 0xff;
    let changed = Bytes::from(changed);
    let listed = list_parts(&mut sim, &core, &state);
    let before = parts_sent(&sim).len();
    let mut upload = Upload::resume(core.clone(), &state, &listed, keeping()).unwrap();
    sim.drive_upload(&mut upload, changed.clone(), SourceMode::Sized, 1, None)
        .unwrap();
    assert_eq!(parts_sent(&sim)[before..], [2, 3]);
    assert_eq!(sim.server.object("bucket", "k").unwrap().data, changed);
}

#[test]
fn resuming_without_verification_trusts_listed_parts_unread() {
    let source = sim::noise(15 * MIB, 14);
    let (mut sim, core, failure) = kept_after_part(3, &source, 15);
    let state = failure.resume.unwrap();
    let listed = list_parts(&mut sim, &core, &state);
    let trusting = UploadOptions {
        verify_resumed_parts: false,
        ..keeping()
    };
    let mut upload = Upload::resume(core.clone(), &state, &listed, trusting).unwrap();
    assert_eq!(upload.progress().confirmed, 10 * MIB as u64);
    let before = reads(&sim);
    sim.drive_upload(&mut upload, source.clone(), SourceMode::Sized, 1, None)
        .unwrap();
    assert_eq!(reads(&sim) - before, 1, "only part 3 is read");
    assert_eq!(sim.server.object("bucket", "k").unwrap().data, source);
}

#[test]
fn a_short_stream_becomes_one_put_object() {
    for mode in [SourceMode::StreamEager, SourceMode::StreamLazy] {
        let source = sim::noise(3 * MIB + 5, 16);
        let mut sim = Sim::new(FakeS3::new(), 17);
        let options = UploadOptions {
            multipart_threshold: 8 * MIB as u64,
            ..options()
        };
        let out = sim
            .run_upload(&core(), "bucket", "s", source.clone(), mode, options)
            .unwrap();
        assert_eq!(sim.sent_kinds(), vec![RequestKind::PutObject], "{mode:?}");
        assert_eq!(out.size, source.len() as u64);
        assert_eq!(sim.server.object("bucket", "s").unwrap().data, source);
    }
}

#[test]
fn a_long_stream_goes_multipart_within_its_window() {
    // Lengths that end mid-part and exactly on a part boundary.
    for (len, parts) in [(17 * MIB + 3, 4), (15 * MIB, 3)] {
        for mode in [SourceMode::StreamEager, SourceMode::StreamLazy] {
            let source = sim::noise(len, 18);
            let mut sim = Sim::new(FakeS3::new(), 19).with_max_latency(Duration::from_millis(80));
            let options = UploadOptions {
                concurrency: 2,
                multipart_threshold: 8 * MIB as u64,
                ..options()
            };
            let out = sim
                .run_upload(&core(), "bucket", "s", source.clone(), mode, options)
                .unwrap();
            assert_eq!(out.parts, parts, "{len} {mode:?}");
            let stored = sim.server.object("bucket", "s").unwrap();
            assert_eq!(stored.data, source, "{len} {mode:?}");
            assert_eq!(stored.parts, parts);
        }
    }
}

#[test]
fn a_stream_that_breaks_the_part_size_is_refused() {
    // A driver must fill each part: a short read before the end is an error, not a smaller part.
    let mut sim = Sim::new(FakeS3::new(), 20);
    let mut upload = new_upload(&core(), UploadSource::Stream, options()).unwrap();
    let now = sim.now();
    let first = upload.poll(now).unwrap();
    assert!(
        matches!(first, r2_proto::transfer::UploadAction::ReadStream { part: 1, max } if max == 5 * MIB as u64)
    );
    upload.handle(
        now,
        r2_proto::transfer::UploadEvent::StreamRead {
            part: 1,
            data: sim::noise(MIB, 1),
            end: false,
        },
    );
    let error = sim.drive_upload(&mut upload, Bytes::new(), SourceMode::StreamEager, 3, None);
    assert!(
        matches!(
            error,
            Err(SimError::Machine(R2Error::Transfer(
                TransferError::SourceFailed { part: 1, .. }
            )))
        ),
        "{error:?}"
    );
    assert!(sim.sent_kinds().is_empty());
}

#[test]
fn an_uncertain_complete_is_checked_before_it_is_repeated() {
    let cases = [
        Fault::AppliedThenError {
            status: 500,
            code: "InternalError",
        },
        Fault::LostAnswer,
        Fault::AppliedWithBody("<NotWhatWasAskedFor/>"),
    ];
    for fault in cases {
        let faults = once(RequestKind::CompleteMultipartUpload, fault.clone());
        let source = sim::noise(11 * MIB, 21);
        let (sim, result) = upload_under(faults, 22, &source);
        let out = result.unwrap();
        let kinds = sim.sent_kinds();
        assert_eq!(
            kinds[kinds.len() - 2..],
            [
                RequestKind::CompleteMultipartUpload,
                RequestKind::HeadObject
            ],
            "{fault:?}"
        );
        assert_eq!(sim.server.count(RequestKind::CompleteMultipartUpload), 1);
        assert_eq!(
            out.etag.as_str(),
            sim.server.object("bucket", "k").unwrap().etag
        );
    }
}

#[test]
fn a_complete_that_did_not_happen_is_tried_again() {
    let faults = once(RequestKind::CompleteMultipartUpload, Fault::INTERNAL);
    let source = sim::noise(11 * MIB, 23);
    let (sim, result) = upload_under(faults, 24, &source);
    result.unwrap();
    let kinds = sim.sent_kinds();
    assert_eq!(
        kinds[kinds.len() - 3..],
        [
            RequestKind::CompleteMultipartUpload,
            RequestKind::HeadObject,
            RequestKind::CompleteMultipartUpload
        ]
    );
    assert_eq!(sim.waits().len(), 1, "a backoff before the second Complete");
    assert_eq!(sim.server.object("bucket", "k").unwrap().data, source);
}

#[test]
fn a_part_the_server_stored_otherwise_is_sent_again_then_the_upload_fails_cleanly() {
    let other = Fault::AppliedWithHeader("x-amz-checksum-crc32", "AAAAAA==");
    let options = UploadOptions {
        part_integrity: PartIntegrity::Checksum(ChecksumAlgorithm::Crc32),
        ..options()
    };
    let source = sim::noise(11 * MIB, 41);
    let run = |faults: Faults| {
        let mut sim = Sim::new(FakeS3::new(), 42).with_faults(faults);
        let result = sim.run_upload(
            &core(),
            "bucket",
            "k",
            source.clone(),
            SourceMode::Sized,
            options.clone(),
        );
        (sim, result)
    };
    let (sim, result) = run(once(RequestKind::UploadPart(2), other.clone()));
    result.unwrap();
    let mut parts = parts_sent(&sim);
    parts.sort_unstable();
    assert_eq!(parts, [1, 2, 2, 3], "part 2 sent again");
    assert_eq!(sim.server.object("bucket", "k").unwrap().data, source);

    let always = Faults::none().next(Target::Kind(RequestKind::UploadPart(2)), 100, other);
    let (sim, result) = run(always);
    let failure = upload_failure(result.unwrap_err());
    assert!(
        matches!(
            failure.cause,
            R2Error::Transfer(TransferError::ChecksumMismatch {
                algorithm: "CRC32",
                ..
            })
        ),
        "{failure:?}"
    );
    assert!(failure.aborted, "the upload is aborted, nothing is left");
    assert!(sim.server.object("bucket", "k").is_none());
}

#[test]
fn a_file_that_grows_during_the_upload_fails_it_cleanly() {
    let source = sim::noise(16 * MIB, 43);
    let mut sim = Sim::new(FakeS3::new(), 44);
    let grows = SourceMode::GrowingFile { from: 3, grown: 7 };
    let result = sim.run_upload(&core(), "bucket", "k", source, grows, options());
    let failure = upload_failure(result.unwrap_err());
    assert_eq!(failure.part, Some(3));
    assert_eq!(
        failure.cause,
        R2Error::Transfer(TransferError::SourceChanged {
            expected: 16 * MIB as u64,
            found: 16 * MIB as u64 + 7
        })
    );
    assert!(failure.aborted);
    assert!(sim.server.object("bucket", "k").is_none(), "nothing stored");
}

#[test]
fn a_refused_complete_aborts() {
    let refused = Fault::Error {
        status: 400,
        code: "InvalidPart",
        retry_after: None,
    };
    let faults = once(RequestKind::CompleteMultipartUpload, refused);
    let (sim, result) = upload_under(faults, 25, &sim::noise(11 * MIB, 26));
    let failure = upload_failure(result.unwrap_err());
    assert_eq!(failure.part, None);
    assert!(failure.aborted);
    assert!(!sim.sent_kinds().contains(&RequestKind::HeadObject));
}

#[test]
fn parts_carry_the_integrity_asked_for() {
    for integrity in [
        PartIntegrity::ContentMd5,
        PartIntegrity::Checksum(ChecksumAlgorithm::Crc32),
        PartIntegrity::Checksum(ChecksumAlgorithm::Crc32c),
        PartIntegrity::Checksum(ChecksumAlgorithm::Sha256),
    ] {
        for len in [2 * MIB, 12 * MIB] {
            let source = sim::noise(len, 27);
            let mut sim = Sim::new(FakeS3::new(), 28);
            let options = UploadOptions {
                part_integrity: integrity,
                ..options()
            };
            // The fake checks every digest and that Complete echoes each part's checksum.
            sim.run_upload(
                &core(),
                "bucket",
                "k",
                source.clone(),
                SourceMode::Sized,
                options,
            )
            .unwrap_or_else(|e| panic!("{integrity:?} {len}: {e:?}"));
            assert_eq!(sim.server.object("bucket", "k").unwrap().data, source);
        }
    }
    let crc64 = UploadOptions {
        part_integrity: PartIntegrity::Checksum(ChecksumAlgorithm::Crc64Nvme),
        ..options()
    };
    let refused = new_upload(&core(), UploadSource::Sized(1), crc64);
    assert!(matches!(
        refused,
        Err(R2Error::Request(RequestError::UnsupportedChecksum(_)))
    ));
}

#[test]
fn progress_counts_each_byte_once_despite_retries() {
    let faults = Faults::none().next(Target::AnyPart, 3, Fault::Refused);
    let source = sim::noise(13 * MIB, 29);
    let mut sim = Sim::new(FakeS3::new(), 30).with_faults(faults);
    let mut upload =
        new_upload(&core(), UploadSource::Sized(source.len() as u64), options()).unwrap();
    assert_eq!(upload.progress().total, Some(source.len() as u64));
    sim.drive_upload(&mut upload, source.clone(), SourceMode::Sized, 3, None)
        .unwrap();
    let progress = upload.progress();
    assert_eq!(
        (progress.sent, progress.confirmed, progress.parts_done),
        (source.len() as u64, source.len() as u64, 3)
    );
}

#[test]
fn an_open_circuit_keeps_the_upload_for_later() {
    let resilience = ResilienceConfig {
        retry: RetryPolicy::none(),
        breaker: BreakerConfig {
            failure_threshold: 1,
            ..BreakerConfig::default()
        },
        ..ResilienceConfig::default()
    };
    let faults = once(RequestKind::UploadPart(1), Fault::INTERNAL);
    let mut sim = Sim::new(FakeS3::new(), 31)
        .with_faults(faults)
        .with_max_latency(Duration::ZERO);
    let options = UploadOptions {
        concurrency: 1,
        ..options()
    };
    let failure = upload_failure(
        sim.run_upload(
            &core_with(resilience),
            "bucket",
            "k",
            sim::noise(11 * MIB, 32),
            SourceMode::Sized,
            options,
        )
        .unwrap_err(),
    );
    // The abort itself was refused by the open circuit: the upload is still
    // there, and the caller learns how to resume or abort it.
    assert!(!failure.aborted);
    assert!(failure.resume.is_some());
    assert_eq!(sim.server.open_uploads(), vec!["upload-1".to_owned()]);
}

#[test]
fn options_out_of_range_are_refused() {
    let bad = [
        UploadOptions {
            concurrency: 0,
            ..options()
        },
        UploadOptions {
            concurrency: 17,
            ..options()
        },
        UploadOptions {
            multipart_threshold: 6 * 1024 * MIB as u64,
            ..options()
        },
    ];
    for options in bad {
        let made = new_upload(&core(), UploadSource::Sized(1), options.clone());
        assert!(
            matches!(made, Err(R2Error::Request(RequestError::OutOfRange { .. }))),
            "{options:?}"
        );
    }
    let too_big = new_upload(&core(), UploadSource::Sized(5 * (1 << 40)), options());
    assert!(matches!(
        too_big,
        Err(R2Error::Request(RequestError::TooLarge { .. }))
    ));
}

#[test]
fn a_kept_stream_upload_that_fails_is_aborted_since_a_stream_cannot_be_resumed() {
    let source = sim::noise(15 * MIB + 10, 9);
    let faults = Faults::none().next(
        Target::Kind(RequestKind::UploadPart(2)),
        1,
        Fault::ACCESS_DENIED,
    );
    for mode in [SourceMode::StreamEager, SourceMode::StreamLazy] {
        let mut sim = Sim::new(FakeS3::new(), 4).with_faults(faults.clone());
        let error = sim
            .run_upload(&core(), "bucket", "k", source.clone(), mode, keeping())
            .unwrap_err();
        let failure = upload_failure(error);
        assert!(failure.aborted, "{mode:?}: {failure}");
        assert_eq!(failure.resume, None, "{mode:?}");
        assert_eq!(sim.server.count(RequestKind::AbortMultipartUpload), 1);
        assert!(
            sim.server.open_uploads().is_empty(),
            "{mode:?}: an upload was left behind"
        );
    }
}

#[test]
fn a_part_number_zero_from_a_driver_is_ignored() {
    // Parts count from 1: a driver that reports part 0 is ignored, never a
    // wrapped index (which overflowed in a stream read).
    let mut sim = Sim::new(FakeS3::new(), 23);
    let mut upload = new_upload(&core(), UploadSource::Stream, options()).unwrap();
    let now = sim.now();
    let first = upload.poll(now).unwrap();
    assert!(matches!(
        first,
        r2_proto::transfer::UploadAction::ReadStream { part: 1, .. }
    ));
    for event in [
        r2_proto::transfer::UploadEvent::StreamRead {
            part: 0,
            data: sim::noise(MIB, 2),
            end: true,
        },
        r2_proto::transfer::UploadEvent::PartRead {
            part: 0,
            data: sim::noise(MIB, 3),
        },
    ] {
        upload.handle(now, event);
    }
    assert!(upload.poll(now).is_none(), "still waiting for part 1");
    let data = sim::noise(MIB, 4);
    upload.handle(
        now,
        r2_proto::transfer::UploadEvent::StreamRead {
            part: 1,
            data: data.clone(),
            end: true,
        },
    );
    let out = sim
        .drive_upload(&mut upload, Bytes::new(), SourceMode::StreamEager, 3, None)
        .unwrap();
    assert_eq!(out.size, MIB as u64);
}
