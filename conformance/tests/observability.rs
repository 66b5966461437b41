//! What the adapters log and count, through the real facades: a recorder
//! installed for this test binary sees the design's metric names and
//! labels, and a TRACE subscriber that captures every line of a full
//! scenario run never sees a secret key, a session token or a signature.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use conformance::adapters::{BlockingScenarioClient, SmolScenarioClient, TokioScenarioClient};
use conformance::scenarios::{ScenarioClient, Target, Tuning, create_bucket, run_suite};
use conformance::servers::{Answer, CaptureServer, HostileServer, S3sFsServer};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use r2_proto::ops::{GetObject, PutObject};
use r2_proto::sim::noise;
use r2_proto::{BucketName, Config, Credentials, ObjectKey};

/// Every log line written in this process.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Installed {
    logs: Captured,
    metrics: Snapshotter,
    /// Held by each test: a snapshot drains what the recorder holds, so
    /// the tests must not snapshot while another counts.
    serial: Mutex<()>,
}

/// The subscriber and the recorder, installed once for the whole binary.
fn installed() -> &'static Installed {
    static INSTALLED: OnceLock<Installed> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        let recorder = DebuggingRecorder::new();
        let metrics = recorder.snapshotter();
        recorder.install().unwrap();
        Installed {
            logs,
            metrics,
            serial: Mutex::new(()),
        }
    })
}

const SECRET: &str = "wire-secret-never-logged-5b1f";
const TOKEN: &str = "session-token-never-logged-77c2";

#[test]
fn trace_logs_of_full_runs_hold_no_secret_token_or_signature() {
    let installed = installed();
    let _serial = installed
        .serial
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // The whole suite through every adapter, at TRACE.
    let server = S3sFsServer::start().unwrap();
    let target = Target::s3s_fs(&server);
    assert!(run_suite::<TokioScenarioClient>(&target).is_empty());
    assert!(run_suite::<BlockingScenarioClient>(&target).is_empty());
    assert!(run_suite::<SmolScenarioClient>(&target).is_empty());
    // Requests carrying a session token (s3s-fs has no tokens: the capture
    // server answers them), and presigned URLs whose signatures we know.
    let capture = CaptureServer::start().unwrap();
    let credentials = Credentials::new("AKIDTRACE", SECRET)
        .unwrap()
        .with_session_token(TOKEN)
        .unwrap();
    let config = Config::for_endpoint(capture.endpoint(), credentials)
        .allow_insecure_http()
        .build()
        .unwrap();
    let bucket = BucketName::new("bkt").unwrap();
    let key = ObjectKey::new("k").unwrap();
    let mut signatures = Vec::new();
    let tokio = TokioScenarioClient::connect(config.clone()).unwrap();
    let blocking = BlockingScenarioClient::connect(config.clone()).unwrap();
    let smol = SmolScenarioClient::connect(config).unwrap();
    tokio
        .put(PutObject::new(bucket.clone(), key.clone(), "x"))
        .unwrap();
    blocking
        .put(PutObject::new(bucket.clone(), key.clone(), "x"))
        .unwrap();
    smol.put(PutObject::new(bucket.clone(), key.clone(), "x"))
        .unwrap();
    let get = GetObject::new(bucket, key);
    for url in [
        tokio.presign_get(&get, Duration::from_secs(60)).unwrap(),
        blocking.presign_get(&get, Duration::from_secs(60)).unwrap(),
        smol.presign_get(&get, Duration::from_secs(60)).unwrap(),
    ] {
        let signature = url
            .url()
            .split("X-Amz-Signature=")
            .nth(1)
            .unwrap()
            .to_owned();
        tracing::info!(url = ?url, "a presigned URL in a log line goes through its redacting Debug");
        signatures.push(signature);
    }
    for request in capture.requests() {
        let authorization = request.header("authorization").unwrap();
        signatures.push(authorization.split("Signature=").nth(1).unwrap().to_owned());
        assert_eq!(request.header("x-amz-security-token"), Some(TOKEN));
    }

    let text = String::from_utf8(installed.logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("r2.request"), "no request spans were logged");
    assert!(
        text.contains("sending request"),
        "no DEBUG request lines were logged"
    );
    assert!(
        text.contains("signed with AWS4-HMAC-SHA256"),
        "no TRACE signing lines were logged"
    );
    assert!(
        text.lines().count() > 500,
        "suspiciously few log lines: {}",
        text.lines().count()
    );
    for secret in [
        SECRET,
        TOKEN,
        conformance::servers::s3s_fs::SECRET_ACCESS_KEY,
    ] {
        assert!(!text.contains(secret), "a secret reached the logs");
    }
    assert_eq!(signatures.len(), 6);
    for signature in &signatures {
        assert_eq!(signature.len(), 64);
        assert!(
            !text.contains(signature.as_str()),
            "a signature reached the logs"
        );
    }
}

#[test]
fn metrics_follow_the_design_names_and_labels() {
    let installed = installed();
    let _serial = installed
        .serial
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let server = S3sFsServer::start().unwrap();
    let target = Target::s3s_fs(&server);
    let config = target.config().unwrap();
    let bucket = BucketName::new("metrics-bucket").unwrap();
    create_bucket(&config, &bucket).unwrap();
    counts_one_upload_and_one_miss::<TokioScenarioClient>(installed, &config, &bucket);
    counts_one_upload_and_one_miss::<BlockingScenarioClient>(installed, &config, &bucket);
    counts_one_upload_and_one_miss::<SmolScenarioClient>(installed, &config, &bucket);
}

/// Exactly what one 3-part upload and one GET of a missing key count
/// through adapter `C` (a snapshot drains the recorder, so each adapter's
/// figures stand alone).
fn counts_one_upload_and_one_miss<C: ScenarioClient>(
    installed: &Installed,
    config: &Config,
    bucket: &BucketName,
) {
    let _drained = installed.metrics.snapshot();
    let client = C::connect(config.clone()).unwrap();
    let tuning = Tuning {
        part_size: 5 << 20,
        concurrency: 2,
    };
    let key = ObjectKey::new(format!("m/{}", C::NAME)).unwrap();
    client
        .upload_bytes(bucket.clone(), key, noise(11 << 20, 5), tuning)
        .unwrap();
    let missing = GetObject::new(bucket.clone(), ObjectKey::new("m/none").unwrap());
    assert!(client.get(missing).is_err());
    // An exists-check is normal: the miss is logged at DEBUG, never ERROR.
    let text = String::from_utf8(installed.logs.0.lock().unwrap().clone()).unwrap();
    let misses: Vec<&str> = text.lines().filter(|l| l.contains("NoSuchKey")).collect();
    assert!(
        misses
            .iter()
            .any(|l| l.contains("DEBUG") && l.contains("no such key")),
        "{}: {misses:#?}",
        C::NAME
    );
    assert!(
        !misses.iter().any(|l| l.contains("ERROR")),
        "{}: {misses:#?}",
        C::NAME
    );
    // The error's type and code, and the server's request id, are on the
    // request's own span.
    let answered = text
        .lines()
        .rfind(|l| l.contains("error answer") && l.contains("r2.key=\"m/none\""))
        .unwrap_or_else(|| panic!("{}: no error answer logged", C::NAME));
    for field in [
        "error.type=\"object\"",
        "error.code=\"NoSuchKey\"",
        "r2.request_seq=",
    ] {
        assert!(
            answered.contains(field),
            "{}: {field} in {answered}",
            C::NAME
        );
    }

    let snapshot = installed.metrics.snapshot().into_vec();
    let find = |name: &str, labels: &[(&str, &str)]| -> Option<&DebugValue> {
        snapshot.iter().find_map(|(key, _, _, value)| {
            let key = key.key();
            let matches = key.name() == name
                && labels
                    .iter()
                    .all(|(k, v)| key.labels().any(|l| l.key() == *k && l.value() == *v));
            matches.then_some(value)
        })
    };
    let counter = |name: &str, labels: &[(&str, &str)]| match find(name, labels) {
        Some(DebugValue::Counter(n)) => *n,
        other => panic!("{}: {name} {labels:?}: {other:?}", C::NAME),
    };
    let bucket = ("bucket", "metrics-bucket");
    let counts = [
        (counter("r2_multipart_parts_total", &[bucket]), 3),
        (
            counter(
                "r2_requests_total",
                &[("operation", "UploadPart"), bucket, ("status", "200")],
            ),
            3,
        ),
        (
            counter(
                "r2_requests_total",
                &[("operation", "GetObject"), bucket, ("status", "404")],
            ),
            1,
        ),
        (
            counter(
                "r2_bytes_transferred_total",
                &[("operation", "UploadPart"), ("direction", "sent")],
            ),
            11 << 20,
        ),
        (
            counter(
                "r2_errors_total",
                &[
                    ("operation", "GetObject"),
                    ("error_type", "object"),
                    ("code", "NoSuchKey"),
                ],
            ),
            1,
        ),
    ];
    for (index, (seen, expected)) in counts.into_iter().enumerate() {
        assert_eq!(seen, expected, "{}: count #{index}", C::NAME);
    }
    match find(
        "r2_request_duration_seconds",
        &[("operation", "CompleteMultipartUpload")],
    ) {
        Some(DebugValue::Histogram(values)) => assert_eq!(values.len(), 1, "{}", C::NAME),
        other => panic!("{}: duration histogram: {other:?}", C::NAME),
    }
}

#[test]
fn retries_are_counted_and_logged_as_warnings() {
    let installed = installed();
    let _serial = installed
        .serial
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // A server that is not there: every attempt fails to connect, and the
    // retries are counted by class before the error is returned.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let credentials = Credentials::new("AKIDRETRY", "retry-secret").unwrap();
    let config = Config::for_endpoint(endpoint, credentials)
        .allow_insecure_http()
        .build()
        .unwrap();
    let client = BlockingScenarioClient::connect(config).unwrap();
    let bucket = BucketName::new("retry-bucket").unwrap();
    let error = client
        .get(GetObject::new(bucket, ObjectKey::new("k").unwrap()))
        .unwrap_err();
    assert_eq!(error.category(), "network", "{error:?}");
    let snapshot = installed.metrics.snapshot().into_vec();
    let unanswered: u64 = snapshot
        .iter()
        .filter(|(key, ..)| {
            let key = key.key();
            key.name() == "r2_requests_total"
                && key
                    .labels()
                    .any(|l| l.key() == "status" && l.value() == "none")
                && key
                    .labels()
                    .any(|l| l.key() == "bucket" && l.value() == "retry-bucket")
        })
        .map(|(.., value)| match value {
            DebugValue::Counter(n) => *n,
            _ => 0,
        })
        .sum();
    let attempts = u64::from(
        r2_proto::resilience::RetryPolicy::default()
            .transient
            .max_attempts,
    );
    assert_eq!(unanswered, attempts, "requests with no answer are counted");
    let retries: u64 = snapshot
        .iter()
        .filter(|(key, ..)| key.key().name() == "r2_retries_total")
        .filter(|(key, ..)| {
            key.key()
                .labels()
                .any(|l| l.key() == "class" && l.value() == "transient")
        })
        .map(|(.., value)| match value {
            DebugValue::Counter(n) => *n,
            _ => 0,
        })
        .sum();
    assert!(retries >= 2, "transient retries counted: {retries}");
    let text = String::from_utf8(installed.logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.lines()
            .any(|l| l.contains("WARN") && l.contains("retrying"))
    );
}

#[test]
fn the_servers_request_id_is_on_the_request_span() {
    let installed = installed();
    let _serial = installed
        .serial
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let body = "<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>";
    let answer = format!(
        "HTTP/1.1 404 Not Found\r\nx-amz-request-id: SERVER-REQ-77\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let server = HostileServer::start(Answer::Raw(answer.into_bytes())).unwrap();
    let credentials = Credentials::new("AKIDSPAN", "span-secret").unwrap();
    let config = Config::for_endpoint(server.endpoint(), credentials)
        .allow_insecure_http()
        .build()
        .unwrap();
    let client = BlockingScenarioClient::connect(config).unwrap();
    let bucket = BucketName::new("span-bucket").unwrap();
    let error = client
        .get(GetObject::new(bucket, ObjectKey::new("span/key").unwrap()))
        .unwrap_err();
    assert_eq!(error.code(), Some("NoSuchKey"));
    let text = String::from_utf8(installed.logs.0.lock().unwrap().clone()).unwrap();
    let answered = text
        .lines()
        .rfind(|l| l.contains("error answer") && l.contains("r2.key=\"span/key\""))
        .unwrap_or_else(|| panic!("no error answer logged"));
    assert!(
        answered.contains("aws.request_id=\"SERVER-REQ-77\"")
            && answered.contains("r2.request_seq="),
        "{answered}"
    );
}
