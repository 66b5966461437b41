//! Record and replay: the scenario suite recorded through r2-tokio against
//! the in-process server, then replayed with the server gone under every
//! adapter, matching strictly (method, path, query, every header but the
//! signature and dates, and the body), so all three adapters are shown to
//! send the same requests, and to send every recorded one.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use conformance::adapters::{BlockingScenarioClient, SmolScenarioClient, TokioScenarioClient};
use conformance::scenarios::{Capabilities, ScenarioClient, Target, run_suite};
use conformance::servers::S3sFsServer;
use r2_proto::error::{NetworkError, R2Error};
use r2_proto::ops::{GetObject, PutObject};
use r2_proto::replay::{Cassette, MatchOn, Recorder, Replayer, Route};
use r2_proto::{BucketName, Config, Credentials, ObjectKey};

/// The suite recorded once per test binary, saved to a file.
fn recorded_suite() -> &'static PathBuf {
    static CASSETTE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    CASSETTE.get_or_init(|| {
        let recorder = Arc::new(Recorder::new());
        {
            let server = S3sFsServer::start().unwrap();
            let target = Target::s3s_fs(&server).recording(&recorder);
            let failures = run_suite::<TokioScenarioClient>(&target);
            assert!(failures.is_empty(), "recording: {failures:#?}");
        }
        let path =
            std::env::temp_dir().join(format!("r2-suite-{}.cassette.json", std::process::id()));
        recorder.save(&path).unwrap();
        path
    })
}

fn replays_the_suite<C: ScenarioClient>() {
    let cassette = Cassette::load(recorded_suite()).unwrap();
    assert!(
        cassette.interactions.len() > 100,
        "a suspiciously short recording: {} interactions",
        cassette.interactions.len()
    );
    let replayer = Arc::new(Replayer::new(cassette).unwrap().match_on(MatchOn::strict()));
    let target = Target::replaying(Capabilities::S3S_FS, &replayer);
    let failures = run_suite::<C>(&target);
    assert!(failures.is_empty(), "{}: {failures:#?}", C::NAME);
    let unplayed = replayer.unplayed();
    assert!(
        unplayed.is_empty(),
        "{} never sent {} recorded requests: {unplayed:#?}",
        C::NAME,
        unplayed.len()
    );
}

#[test]
fn the_suite_recorded_by_r2_tokio_replays_under_r2_tokio() {
    replays_the_suite::<TokioScenarioClient>();
}

#[test]
fn the_suite_recorded_by_r2_tokio_replays_under_r2_blocking() {
    replays_the_suite::<BlockingScenarioClient>();
}

#[test]
fn the_suite_recorded_by_r2_tokio_replays_under_r2_smol() {
    replays_the_suite::<SmolScenarioClient>();
}

#[test]
fn cassettes_hold_no_secret_and_read_as_the_requests_went() {
    let text = std::fs::read_to_string(recorded_suite()).unwrap();
    for secret in [
        conformance::servers::s3s_fs::SECRET_ACCESS_KEY,
        conformance::servers::s3s_fs::ACCESS_KEY_ID,
    ] {
        assert!(!text.contains(secret), "{secret} is in the cassette");
    }
    let cassette = Cassette::from_json(&text).unwrap();
    for interaction in &cassette.interactions {
        if let Some(authorization) = interaction.request.headers.get("authorization") {
            for value in authorization.values() {
                assert!(value.ends_with("Signature=***"), "{value}");
            }
        }
    }
    let seqs: Vec<u64> = cassette.interactions.iter().map(|i| i.seq).collect();
    assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]));
    let operations: std::collections::BTreeSet<&str> = cassette
        .interactions
        .iter()
        .map(|i| i.operation.as_str())
        .collect();
    for expected in [
        "PutObject",
        "GetObject",
        "HeadObject",
        "DeleteObjects",
        "CopyObject",
        "ListObjectsV2",
        "CreateMultipartUpload",
        "UploadPart",
        "CompleteMultipartUpload",
        "DeleteObject",
    ] {
        assert!(
            operations.contains(expected),
            "no {expected} in {operations:?}"
        );
    }
    let statuses = cassette.statuses();
    assert!(
        statuses.keys().any(|s| *s >= 400),
        "errors are recorded too: {statuses:?}"
    );
}

/// One PUT of `key`, recorded against a real server.
fn one_put(key: &str) -> Cassette {
    let server = S3sFsServer::start().unwrap();
    let recorder = Arc::new(Recorder::new());
    let target = Target::s3s_fs(&server).recording(&recorder);
    conformance::scenarios::create_bucket(&target.config().unwrap(), &bucket()).unwrap();
    let client = target
        .connect::<BlockingScenarioClient>(target.config().unwrap())
        .unwrap();
    client
        .put(PutObject::new(
            bucket(),
            ObjectKey::new(key).unwrap(),
            "recorded",
        ))
        .unwrap();
    recorder.cassette()
}

fn bucket() -> BucketName {
    BucketName::new(conformance::scenarios::REPLAY_BUCKET).unwrap()
}

fn unmatched_requests_fail_at_once_naming_the_nearest<C: ScenarioClient>() {
    let replayer = Arc::new(Replayer::new(one_put("a/recorded")).unwrap());
    let target = Target::replaying(Capabilities::S3S_FS, &replayer);
    let client = target.connect::<C>(target.config().unwrap()).unwrap();
    let outcome = client.get(GetObject::new(
        bucket(),
        ObjectKey::new("a/recorded").unwrap(),
    ));
    match outcome.as_ref().map_err(R2Error::network) {
        Err(Some(NetworkError::NotRecorded(miss))) => {
            let nearest = miss.nearest.as_ref().unwrap();
            assert_eq!(nearest.seq, 0);
            assert!(
                nearest
                    .differences
                    .iter()
                    .any(|d| d.starts_with("operation: recorded \"PutObject\"")),
                "{}: {miss}",
                C::NAME
            );
        }
        other => panic!("{}: {other:?}", C::NAME),
    }
    assert_eq!(
        replayer.unplayed().len(),
        1,
        "{}: the PUT is still unplayed",
        C::NAME
    );
}

#[test]
fn unmatched_requests_are_typed_errors_on_every_adapter() {
    unmatched_requests_fail_at_once_naming_the_nearest::<TokioScenarioClient>();
    unmatched_requests_fail_at_once_naming_the_nearest::<BlockingScenarioClient>();
    unmatched_requests_fail_at_once_naming_the_nearest::<SmolScenarioClient>();
}

fn replays_recorded_delays<C: ScenarioClient>() {
    let mut cassette = one_put("a/slow");
    cassette.interactions[0].duration_us = 300_000;
    let replayer = Arc::new(Replayer::new(cassette).unwrap().with_recorded_delays());
    let target = Target::replaying(Capabilities::S3S_FS, &replayer);
    let client = target.connect::<C>(target.config().unwrap()).unwrap();
    let started = Instant::now();
    client
        .put(PutObject::new(
            bucket(),
            ObjectKey::new("a/slow").unwrap(),
            "recorded",
        ))
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{}: the recorded 300 ms were not waited",
        C::NAME
    );
}

#[test]
fn recorded_delays_are_replayed_when_asked_on_every_adapter() {
    replays_recorded_delays::<TokioScenarioClient>();
    replays_recorded_delays::<BlockingScenarioClient>();
    replays_recorded_delays::<SmolScenarioClient>();
}

/// The cassette kept in the repository.
fn workflow_cassette() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cassettes/workflow.json")
}

fn replays_the_workflow<C: ScenarioClient>() {
    let cassette = Cassette::load(workflow_cassette()).unwrap();
    let bucket = BucketName::new(cassette.interactions[0].bucket.clone().unwrap()).unwrap();
    let replayer = Arc::new(Replayer::new(cassette).unwrap().match_on(MatchOn::strict()));
    let credentials = Credentials::new("AKIDREPLAY", "no secret is needed to replay").unwrap();
    let config = Config::for_endpoint("http://replay.invalid", credentials)
        .allow_insecure_http()
        .build()
        .unwrap();
    let client = C::connect_routed(config, Route::replay(&replayer)).unwrap();
    conformance::workflow::run(&client, &bucket).unwrap_or_else(|e| panic!("{}: {e}", C::NAME));
    assert_eq!(replayer.unplayed(), Vec::<String>::new(), "{}", C::NAME);
}

#[test]
fn the_committed_cassette_replays_on_every_adapter_with_no_server() {
    replays_the_workflow::<TokioScenarioClient>();
    replays_the_workflow::<BlockingScenarioClient>();
    replays_the_workflow::<SmolScenarioClient>();
}

/// `R2_RECORD=1 cargo test -p conformance --test replay record_the_workflow`
/// records `cassettes/workflow.json` again: against R2 when `R2_ACCOUNT_ID`,
/// `R2_ACCESS_KEY_ID`, `R2_SECRET_ACCESS_KEY` and `R2_BUCKET` are set, else
/// against the embedded server.
#[test]
fn record_the_workflow_cassette_when_asked() {
    if std::env::var("R2_RECORD").as_deref() != Ok("1") {
        println!("SKIP recording cassettes/workflow.json: R2_RECORD=1 is not set");
        return;
    }
    let recorder = Arc::new(Recorder::new());
    let route = Route::record(&recorder);
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let _server;
    let (client, bucket) = match (
        var("R2_ACCOUNT_ID"),
        var("R2_ACCESS_KEY_ID"),
        var("R2_SECRET_ACCESS_KEY"),
        var("R2_BUCKET"),
    ) {
        (Some(account), Some(key_id), Some(secret), Some(bucket)) => {
            let credentials = Credentials::new(key_id, secret).unwrap();
            let config = Config::for_account(account, credentials).build().unwrap();
            let client = BlockingScenarioClient::connect_routed(config, route).unwrap();
            (client, BucketName::new(bucket).unwrap())
        }
        _ => {
            let server = S3sFsServer::start().unwrap();
            let target = Target::s3s_fs(&server);
            conformance::scenarios::create_bucket(&target.config().unwrap(), &bucket()).unwrap();
            let client =
                BlockingScenarioClient::connect_routed(target.config().unwrap(), route).unwrap();
            _server = server;
            (client, bucket())
        }
    };
    conformance::workflow::run(&client, &bucket).unwrap();
    recorder.save(workflow_cassette()).unwrap();
    println!("recorded {}", workflow_cassette().display());
}
