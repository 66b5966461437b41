use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use time::macros::datetime;

use super::*;
use crate::error::NetworkError;
use crate::model::ByteRange;
use crate::ops::{GetObject, Operation, PutObject, RequestBody};
use crate::{BucketName, Config, Credentials, ObjectKey};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const TOKEN: &str = "session-token-value-0123456789";

fn config() -> Config {
    let credentials = Credentials::new("AKIDREPLAY", SECRET)
        .and_then(|c| c.with_session_token(TOKEN))
        .unwrap();
    Config::for_endpoint("https://example.test", credentials)
        .build()
        .unwrap()
}

fn signed<O: Operation>(operation: &O) -> Request<RequestBody> {
    let config = config();
    operation
        .to_request(config.endpoint())
        .unwrap()
        .sign(&config.signer(), datetime!(2024-05-01 12:00 UTC))
        .unwrap()
}

fn get(range: Option<(u64, u64)>) -> Request<RequestBody> {
    let mut get = GetObject::new(
        BucketName::new("photos").unwrap(),
        ObjectKey::new("a b/cat.jpg").unwrap(),
    );
    if let Some((first, last)) = range {
        get = get.range(ByteRange::inclusive(first, last).unwrap());
    }
    signed(&get)
}

fn put(body: &'static str) -> Request<RequestBody> {
    signed(&PutObject::new(
        BucketName::new("photos").unwrap(),
        ObjectKey::new("a b/cat.jpg").unwrap(),
        body,
    ))
}

fn response(status: u16, body: &'static [u8]) -> Response<Bytes> {
    Response::builder()
        .status(status)
        .header("etag", "\"abc\"")
        .header("x-amz-meta-z", "1")
        .header("x-amz-meta-a", "2")
        .body(Bytes::from_static(body))
        .unwrap()
}

/// PUT, then two ranged GETs answered out of order, then a failed GET.
fn recorded() -> Cassette {
    let recorder = Recorder::new();
    let first = recorder.begin(&put("meow"));
    recorder.finish(first, Ok(&response(200, b"")), Duration::from_millis(5));
    let low = recorder.begin(&get(Some((0, 1))));
    let high = recorder.begin(&get(Some((2, 3))));
    recorder.finish(high, Ok(&response(206, &[0xff, 0xfe])), Duration::ZERO);
    recorder.finish(low, Ok(&response(206, b"me")), Duration::ZERO);
    let failed = recorder.begin(&get(None));
    let error = NetworkError::Timeout(Duration::from_secs(2));
    recorder.finish(failed, Err(&error), Duration::from_secs(2));
    recorder.cassette()
}

#[test]
fn a_cassette_is_in_issue_order_with_sorted_headers_and_no_secrets() {
    let cassette = recorded();
    let seqs: Vec<u64> = cassette.interactions.iter().map(|i| i.seq).collect();
    assert_eq!(seqs, [0, 1, 2, 3]);
    let first = &cassette.interactions[0];
    assert_eq!(first.operation, "PutObject");
    assert_eq!(first.bucket.as_deref(), Some("photos"));
    assert_eq!(first.key.as_deref(), Some("a b/cat.jpg"));
    assert_eq!(first.request.body.text.as_deref(), Some("meow"));
    assert_eq!(first.duration(), Duration::from_millis(5));
    let json = cassette.to_json();
    assert_eq!(json, recorded().to_json(), "recording is deterministic");
    let signature = put("meow").headers()["authorization"]
        .to_str()
        .unwrap()
        .rsplit('=')
        .next()
        .unwrap()
        .to_owned();
    for secret in [SECRET, TOKEN, "AKIDREPLAY", signature.as_str()] {
        assert!(!json.contains(secret), "{secret} leaked into {json}");
    }
    assert!(json.contains("SignedHeaders=host;"), "{json}");
    let a = json.find("\"x-amz-meta-a\"").unwrap();
    let z = json.find("\"x-amz-meta-z\"").unwrap();
    assert!(a < z, "headers are sorted");
    assert_eq!(Cassette::from_json(&json).unwrap(), cassette);
    assert_eq!(
        cassette.statuses().into_iter().collect::<Vec<_>>(),
        [(0, 1), (200, 1), (206, 2)]
    );
}

#[test]
fn replay_answers_by_range_once_each_and_repeats_failures() {
    let replayer = Replayer::new(recorded()).unwrap();
    let high = replayer.answer(&get(Some((2, 3)))).unwrap();
    assert_eq!(high.seq, 2);
    assert_eq!(high.outcome.unwrap().body().as_ref(), [0xff, 0xfe]);
    let low = replayer
        .answer(&get(Some((0, 1))))
        .unwrap()
        .outcome
        .unwrap();
    assert_eq!(low.status(), 206);
    assert_eq!(low.body().as_ref(), b"me");
    assert_eq!(low.headers()["etag"], "\"abc\"");
    assert_eq!(
        replayer.answer(&get(None)).unwrap().outcome.unwrap_err(),
        NetworkError::Timeout(Duration::from_secs(2))
    );
    assert_eq!(
        replayer.unplayed(),
        ["#0 PutObject photos/a b/cat.jpg: PUT /photos/a%20b/cat.jpg"]
    );
    assert!(replayer.answer(&put("meow")).is_ok());
    assert!(replayer.unplayed().is_empty());
}

#[test]
fn a_miss_names_the_nearest_exchange_and_how_it_differs() {
    let replayer = Replayer::new(recorded()).unwrap();
    let Err(NetworkError::NotRecorded(miss)) = replayer.answer(&get(Some((0, 9)))) else {
        panic!("expected a miss");
    };
    let nearest = miss.nearest.as_ref().unwrap();
    assert_eq!(nearest.seq, 1);
    assert_eq!(
        nearest.differences,
        ["header range: recorded \"bytes=0-1\", sent \"bytes=0-9\""]
    );
    assert_eq!(
        miss.to_string(),
        "no recorded exchange answers GetObject photos/a b/cat.jpg: GET /photos/a%20b/cat.jpg; \
         nearest is #1 (GetObject photos/a b/cat.jpg: GET /photos/a%20b/cat.jpg): \
         header range: recorded \"bytes=0-1\", sent \"bytes=0-9\""
    );
    assert!(replayer.answer(&get(Some((0, 1)))).is_ok());
    let Err(NetworkError::NotRecorded(again)) = replayer.answer(&get(Some((0, 1)))) else {
        panic!("expected a miss");
    };
    assert!(
        again
            .to_string()
            .ends_with("matches but was already replayed"),
        "{again}"
    );
    let error = crate::error::R2Error::from(NetworkError::NotRecorded(again));
    assert!(!error.is_retryable());

    let empty = Replayer::new(Cassette::default()).unwrap();
    let Err(NetworkError::NotRecorded(none)) = empty.answer(&put("x")) else {
        panic!("expected a miss");
    };
    assert!(none.to_string().ends_with("the cassette is empty"));
}

#[test]
fn match_rules_choose_what_must_agree() {
    let other_body = put("purr");
    let loose = Replayer::new(recorded()).unwrap();
    assert!(
        loose.answer(&other_body).is_ok(),
        "bodies of one length are not compared by default"
    );
    let strict = Replayer::new(recorded())
        .unwrap()
        .match_on(MatchOn::strict());
    let Err(NetworkError::NotRecorded(miss)) = strict.answer(&other_body) else {
        panic!("strict matching compares bodies");
    };
    let differences = &miss.nearest.as_ref().unwrap().differences;
    assert!(
        differences.contains(&"body: recorded 4 bytes, sent 4 bytes with other content".into()),
        "{differences:?}"
    );
    let anything = Replayer::new(recorded())
        .unwrap()
        .match_on(MatchOn::target_only());
    assert_eq!(anything.answer(&get(Some((7, 8)))).unwrap().seq, 1);
    let delays = Replayer::new(recorded()).unwrap().with_recorded_delays();
    assert_eq!(
        delays.answer(&put("meow")).unwrap().delay,
        Some(Duration::from_millis(5))
    );
    let with_type = MatchOn::default()
        .header("Content-Type")
        .method(false)
        .query(false);
    let typed = Replayer::new(recorded())
        .unwrap()
        .match_on(with_type.body(false));
    assert!(typed.answer(&put("meow")).is_ok());
}

#[test]
fn bad_cassettes_are_typed_errors() {
    assert!(matches!(
        Cassette::from_json("{"),
        Err(CassetteError::Malformed(_))
    ));
    let json = recorded().to_json();
    assert!(matches!(
        Cassette::from_json(&json.replace(CASSETTE_FORMAT, "r2-cassette/9")),
        Err(CassetteError::Format { found }) if found == "r2-cassette/9"
    ));
    let mut cassette = recorded();
    if let RecordedOutcome::Response(response) = &mut cassette.interactions[2].outcome {
        response.body.base64 = Some("!!".into());
    }
    assert!(matches!(
        Replayer::new(cassette),
        Err(CassetteError::Invalid { seq: 2, .. })
    ));
    let mut cassette = recorded();
    if let RecordedOutcome::Response(response) = &mut cassette.interactions[0].outcome {
        response.status = 1000;
    }
    assert!(matches!(
        Replayer::new(cassette),
        Err(CassetteError::Invalid { seq: 0, .. })
    ));
    let missing = std::env::temp_dir().join("r2-no-such-cassette.json");
    assert!(matches!(
        Replayer::load(&missing),
        Err(CassetteError::Io { .. })
    ));
}

#[test]
fn cassettes_survive_a_file() {
    let path = std::env::temp_dir().join(format!("r2-cassette-{}.json", std::process::id()));
    let recorder = Arc::new(Recorder::new());
    let pending = recorder.begin(&put("meow"));
    recorder.finish(pending, Ok(&response(200, b"")), Duration::ZERO);
    recorder.save(&path).unwrap();
    let replayer = Replayer::load(&path).unwrap();
    assert_eq!(replayer.answer(&put("meow")).unwrap().seq, 0);
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(Route::record(&recorder), Route::Record(_)));
    assert!(matches!(Route::default(), Route::Live));
}
