#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The ranged download machine against the fake server: sizing from the
//! first answer, parallel ranges, `If-Match` pinning, retries of cut or
//! failed ranges, empty and missing objects.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use r2_proto::error::R2Error;
use r2_proto::error::{ObjectError, TransferError};
use r2_proto::model::ETag;
use r2_proto::resilience::{Note, RetryClass};
use r2_proto::sim::{self, FakeS3, Fault, Faults, RequestKind, Sim, SimError, Target};
use r2_proto::transfer::{BodyPlan, Download, DownloadAction, DownloadEvent, DownloadOptions};
use r2_proto::{BucketName, ClientCore, ObjectKey, ResilienceConfig};

const MIB: usize = 1024 * 1024;

fn core() -> Arc<ClientCore> {
    sim::client(ResilienceConfig::default()).unwrap()
}

fn options() -> DownloadOptions {
    DownloadOptions {
        part_size: MIB as u64,
        concurrency: 4,
        if_match: None,
        in_order: false,
        progress_interval: r2_proto::transfer::PROGRESS_INTERVAL,
    }
}

fn server_with(key: &str, object: &Bytes) -> FakeS3 {
    let mut server = FakeS3::new();
    server.put("bucket", key, object.clone());
    server
}

#[test]
fn a_large_object_arrives_whole_through_parallel_ranges() {
    let object = sim::noise(9 * MIB + 123, 1);
    let mut sim =
        Sim::new(server_with("big", &object), 2).with_max_latency(Duration::from_millis(120));
    let (file, out) = sim
        .run_download(&core(), "bucket", "big", options())
        .unwrap();
    assert_eq!(file, object);
    assert_eq!(out.size, object.len() as u64);
    assert_eq!(out.requests, 10);
    assert_eq!(
        out.metadata.etag.as_ref().map(ETag::as_str),
        Some(sim.server.object("bucket", "big").unwrap().etag.as_str())
    );
    assert_eq!(sim.sent_kinds(), vec![RequestKind::GetObject; 10]);
    // Only the first request goes alone: it learns the size.
    let trace_first_two: Vec<_> = sim.trace.iter().take(2).cloned().collect();
    assert!(matches!(
        trace_first_two[1],
        r2_proto::sim::TraceStep::Answered { .. }
    ));
}

#[test]
fn small_and_empty_objects_take_one_request() {
    for len in [0, 1, 1000, MIB, MIB + 1] {
        let object = sim::noise(len, 3);
        let mut sim = Sim::new(server_with("k", &object), 4);
        let (file, out) = sim.run_download(&core(), "bucket", "k", options()).unwrap();
        assert_eq!(file, object, "{len}");
        assert_eq!(out.size, len as u64);
        let expected_requests = len.div_ceil(MIB).max(1);
        assert_eq!(out.requests as usize, expected_requests, "{len}");
    }
}

#[test]
fn an_object_replaced_mid_way_is_a_precondition_failure() {
    let object = sim::noise(6 * MIB, 5);
    let mut sim = Sim::new(server_with("k", &object), 6)
        .with_max_latency(Duration::from_millis(50))
        .replace_after(2, "bucket", "k", sim::noise(6 * MIB, 99));
    let error = sim
        .run_download(&core(), "bucket", "k", options())
        .unwrap_err();
    assert!(
        matches!(
            error,
            SimError::Machine(R2Error::Object(ObjectError::PreconditionFailed(_)))
        ),
        "{error:?}"
    );
}

#[test]
fn a_given_etag_pins_the_first_request_too() {
    let object = sim::noise(3 * MIB, 7);
    let mut sim = Sim::new(server_with("k", &object), 8);
    let pinned = DownloadOptions {
        if_match: Some(ETag::new("\"0123456789abcdef0123456789abcdef\"")),
        ..options()
    };
    let error = sim
        .run_download(&core(), "bucket", "k", pinned)
        .unwrap_err();
    assert!(matches!(
        error,
        SimError::Machine(R2Error::Object(ObjectError::PreconditionFailed(_)))
    ));
    assert_eq!(sim.sent_kinds().len(), 1);
}

#[test]
fn cut_and_failed_ranges_are_fetched_again() {
    let object = sim::noise(5 * MIB, 9);
    let faults = Faults::none()
        .after(Target::Any, 2, 1, Fault::CutBody(1000))
        .after(Target::Any, 1, 1, Fault::Refused);
    let mut sim = Sim::new(server_with("k", &object), 10)
        .with_faults(faults)
        .with_max_latency(Duration::ZERO);
    let (file, out) = sim.run_download(&core(), "bucket", "k", options()).unwrap();
    assert_eq!(file, object);
    assert_eq!(out.requests, 7);
    let classes: Vec<RetryClass> = sim
        .notes()
        .into_iter()
        .filter_map(|n| match n {
            Note::Retrying { class, .. } => Some(*class),
            _ => None,
        })
        .collect();
    assert_eq!(
        classes,
        vec![RetryClass::Transient, RetryClass::StreamInterrupted]
    );
}

#[test]
fn a_range_that_keeps_failing_fails_the_download() {
    let object = sim::noise(2 * MIB, 11);
    let faults = Faults::none().after(Target::Any, 1, 10, Fault::CutBody(10));
    let mut sim = Sim::new(server_with("k", &object), 12)
        .with_faults(faults)
        .with_max_latency(Duration::ZERO);
    let error = sim.run_download(
        &core(),
        "bucket",
        "k",
        DownloadOptions {
            concurrency: 1,
            ..options()
        },
    );
    assert!(
        matches!(
            error,
            Err(SimError::Machine(R2Error::Transfer(
                TransferError::IncompleteBody { received: 10, .. }
            )))
        ),
        "{error:?}"
    );
    // Two attempts for a cut body, one fixed second apart.
    assert_eq!(sim.sent_kinds().len(), 3);
    assert_eq!(sim.waits(), vec![Duration::from_secs(1)]);
}

#[test]
fn a_missing_object_fails_at_once() {
    let mut sim = Sim::new(FakeS3::new(), 13);
    let error = sim
        .run_download(&core(), "bucket", "nope", options())
        .unwrap_err();
    assert!(matches!(
        error,
        SimError::Machine(R2Error::Object(ObjectError::NoSuchKey(_)))
    ));
    assert_eq!(sim.sent_kinds().len(), 1);
}

#[test]
fn server_errors_on_ranges_back_off_and_recover() {
    let object = sim::noise(4 * MIB, 14);
    let faults = Faults::none().after(Target::Any, 1, 2, Fault::INTERNAL);
    let mut sim = Sim::new(server_with("k", &object), 15).with_faults(faults);
    let (file, _) = sim.run_download(&core(), "bucket", "k", options()).unwrap();
    assert_eq!(file, object);
    assert_eq!(sim.sent_kinds().len(), 6);
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    map
}

/// A download of 5-byte ranges, driven by hand at a fixed moment.
fn by_hand() -> (r2_proto::Now, Download) {
    let options = DownloadOptions {
        part_size: 5,
        ..options()
    };
    let bucket = BucketName::new("bkt").unwrap();
    let download = Download::new(core(), bucket, ObjectKey::new("k").unwrap(), options);
    (Sim::new(FakeS3::new(), 0).now(), download)
}

/// The next action that is not a progress report (those are checked by
/// the simulated drivers).
fn next(download: &mut Download, now: r2_proto::Now) -> Option<DownloadAction> {
    loop {
        match download.poll(now) {
            Some(DownloadAction::Progress(_)) => {}
            other => return other,
        }
    }
}

fn fetch(download: &mut Download, now: r2_proto::Now) -> r2_proto::transfer::Fetch {
    match next(download, now) {
        Some(DownloadAction::Fetch(fetch)) => fetch,
        other => panic!("expected a fetch, got {other:?}"),
    }
}

#[test]
fn a_server_that_ignores_if_match_is_caught_by_the_etag() {
    let (now, mut download) = by_hand();
    let first = fetch(&mut download, now);
    assert_eq!(first.request.headers()["range"], "bytes=0-4");
    assert!(first.request.headers().get("if-match").is_none());
    let plan = download.on_headers(
        now,
        first.id,
        StatusCode::PARTIAL_CONTENT,
        &headers(&[
            ("content-range", "bytes 0-4/10"),
            ("content-length", "5"),
            ("etag", "\"a\""),
        ]),
    );
    assert_eq!(plan, BodyPlan::Write { offset: 0, len: 5 });
    download.handle(
        now,
        DownloadEvent::BodyDone {
            id: first.id,
            received: 5,
        },
    );
    assert_eq!(download.completed_prefix(), 5);
    let second = fetch(&mut download, now);
    assert_eq!(second.offset, 5);
    assert_eq!(second.request.headers()["range"], "bytes=5-9");
    assert_eq!(second.request.headers()["if-match"], "\"a\"");
    let plan = download.on_headers(
        now,
        second.id,
        StatusCode::PARTIAL_CONTENT,
        &headers(&[
            ("content-range", "bytes 5-9/10"),
            ("content-length", "5"),
            ("etag", "\"b\""),
        ]),
    );
    assert_eq!(plan, BodyPlan::Discard);
    let failed = next(&mut download, now);
    assert!(
        matches!(
            failed,
            Some(DownloadAction::Failed(R2Error::Transfer(
                TransferError::ObjectChanged { .. }
            )))
        ),
        "{failed:?}"
    );
}

#[test]
fn a_server_that_ignores_range_sends_the_whole_object_once() {
    let (now, mut download) = by_hand();
    let first = fetch(&mut download, now);
    let plan = download.on_headers(
        now,
        first.id,
        StatusCode::OK,
        &headers(&[("content-length", "12"), ("etag", "\"a\"")]),
    );
    assert_eq!(plan, BodyPlan::Write { offset: 0, len: 12 });
    download.handle(
        now,
        DownloadEvent::BodyDone {
            id: first.id,
            received: 12,
        },
    );
    let done = next(&mut download, now);
    assert!(matches!(done, Some(DownloadAction::Done(out)) if out.size == 12 && out.requests == 1));
    assert!(next(&mut download, now).is_none());
}

#[test]
fn a_range_answered_with_the_wrong_bytes_is_refused() {
    let (now, mut download) = by_hand();
    let first = fetch(&mut download, now);
    let plan = download.on_headers(
        now,
        first.id,
        StatusCode::PARTIAL_CONTENT,
        &headers(&[("content-range", "bytes 1-5/10"), ("content-length", "5")]),
    );
    assert_eq!(plan, BodyPlan::Discard);
    assert!(matches!(
        next(&mut download, now),
        Some(DownloadAction::Failed(R2Error::Response(_)))
    ));
    // Answers to requests it no longer waits for are dropped.
    assert_eq!(
        download.on_headers(now, first.id, StatusCode::OK, &HeaderMap::new()),
        BodyPlan::Discard
    );
}

/// After a first range pinned to `"a"`, the second range is answered with
/// `answer`: the machine must refuse its bytes (found by fuzzing: a
/// version-less 200 was taken as the range).
fn second_range_answered(
    status: StatusCode,
    answer: &[(&'static str, &str)],
) -> Option<DownloadAction> {
    let (now, mut download) = by_hand();
    let first = fetch(&mut download, now);
    let first_headers = headers(&[
        ("content-range", "bytes 0-4/10"),
        ("content-length", "5"),
        ("etag", "\"a\""),
    ]);
    download.on_headers(now, first.id, StatusCode::PARTIAL_CONTENT, &first_headers);
    download.handle(
        now,
        DownloadEvent::BodyDone {
            id: first.id,
            received: 5,
        },
    );
    let second = fetch(&mut download, now);
    let plan = download.on_headers(now, second.id, status, &headers(answer));
    assert_eq!(plan, BodyPlan::Discard, "{answer:?}");
    next(&mut download, now)
}

#[test]
fn an_answer_that_does_not_show_the_pinned_version_is_refused() {
    for (status, answer) in [
        (
            StatusCode::PARTIAL_CONTENT,
            vec![("content-range", "bytes 5-9/10"), ("content-length", "5")],
        ),
        (StatusCode::OK, vec![("content-length", "10")]),
    ] {
        let failed = second_range_answered(status, &answer);
        assert!(
            matches!(failed, Some(DownloadAction::Failed(R2Error::Response(_)))),
            "{answer:?}: {failed:?}"
        );
    }
}

#[test]
fn an_announced_length_other_than_the_range_is_refused() {
    let failed = second_range_answered(
        StatusCode::PARTIAL_CONTENT,
        &[
            ("content-range", "bytes 5-9/10"),
            ("content-length", "41"),
            ("etag", "\"a\""),
        ],
    );
    assert!(
        matches!(failed, Some(DownloadAction::Failed(R2Error::Response(_)))),
        "{failed:?}"
    );
}
