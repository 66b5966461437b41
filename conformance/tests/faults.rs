//! Reliability under injected faults, for every adapter: the fault proxy
//! sits between the client and a real server (the in-process s3s-fs, and
//! moto where a behaviour needs it) and breaks requests as each test
//! scripts; the proxy's log, with the time each request arrived, shows what
//! the client did about it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use conformance::adapters::{BlockingScenarioClient, SmolScenarioClient, TokioScenarioClient};
use conformance::scenarios::{ClientSetup, ScenarioClient, Target, Tuning, create_bucket};
use conformance::servers::{Fault, FaultProxy, Match, S3sFsServer, Seen, ServerOptions};
use r2_proto::error::{AuthError, NetworkError, ObjectError, R2Error, ServerError, TransferError};
use r2_proto::ops::{GetObject, HeadObject, ListMultipartUploads, PutObject};
use r2_proto::resilience::{BreakerConfig, RetryClass, RetryPolicy};
use r2_proto::sim::noise;
use r2_proto::{BucketName, Config, ObjectKey, ResilienceConfig};

/// What a request may take beyond its backoff on this machine (the proxy
/// forwards each request on a fresh connection to a debug-built server).
const SLACK: Duration = Duration::from_millis(500);

/// A server, the proxy in front of it, and a bucket.
struct World {
    proxy: FaultProxy,
    upstream: Target,
    through: Target,
    bucket: BucketName,
    server: Option<S3sFsServer>,
}

fn world(upstream: Target, server: Option<S3sFsServer>, tag: &str) -> World {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let proxy = FaultProxy::start(&upstream.endpoint).unwrap();
    let bucket = BucketName::new(format!(
        "faults-{tag}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
    .unwrap();
    create_bucket(&upstream.config().unwrap(), &bucket).unwrap();
    let through = Target {
        endpoint: proxy.endpoint(),
        ..upstream.clone()
    };
    World {
        proxy,
        upstream,
        through,
        bucket,
        server,
    }
}

/// s3s-fs, with a clock window wide enough that the proxy can play a
/// server whose clock is off.
fn s3s_fs(tag: &str) -> World {
    let options = ServerOptions {
        max_clock_skew: Duration::from_secs(2 * 3600),
        ..ServerOptions::default()
    };
    let server = S3sFsServer::start_with(options).unwrap();
    world(Target::s3s_fs(&server), Some(server), tag)
}

/// moto, when `.ci/run` started one.
fn moto(tag: &str, test: &str) -> Option<World> {
    let Some(target) = Target::moto_from_env() else {
        println!("SKIP {test} on moto: R2_TEST_MOTO_ENDPOINT is not set (.ci/run sets it)");
        return None;
    };
    Some(world(target, None, tag))
}

impl World {
    fn config(&self) -> Config {
        self.through.config().unwrap()
    }

    fn client<C: ScenarioClient>(&self) -> C {
        C::connect(self.config()).unwrap()
    }

    /// A client that reaches the server without the proxy.
    fn direct<C: ScenarioClient>(&self) -> C {
        C::connect(self.upstream.config().unwrap()).unwrap()
    }

    fn key(&self, name: &str) -> ObjectKey {
        ObjectKey::new(name).unwrap()
    }

    /// The requests with `method` whose target contains `part`.
    fn seen(&self, method: &str, part: &str) -> Vec<Seen> {
        self.proxy
            .log()
            .into_iter()
            .filter(|s| s.method == method && s.target.contains(part))
            .collect()
    }
}

/// Each wait between attempts is within the policy's ceiling for its retry.
fn within_policy(seen: &[Seen], class: RetryClass, policy: &RetryPolicy) {
    for (retry, pair) in (1u32..).zip(seen.windows(2)) {
        let gap = pair[1].at.duration_since(pair[0].at);
        let ceiling = policy.ceiling(class, retry).unwrap();
        assert!(
            gap <= ceiling + SLACK,
            "retry {retry} came after {gap:?}, the policy allows {ceiling:?}"
        );
    }
}

fn retries_follow_the_policy<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    let client: C = world.client();
    let policy = RetryPolicy::default();

    world.proxy.inject(
        Match::method("PUT").and_path("/retry/ok"),
        Fault::INTERNAL_ERROR,
        2,
    );
    let put = PutObject::new(world.bucket.clone(), world.key("retry/ok"), "x");
    client.put(put).unwrap();
    let seen = world.seen("PUT", "/retry/ok");
    assert_eq!(seen.len(), 3, "two failures, then the success");
    within_policy(&seen, RetryClass::ServerError, &policy);

    world.proxy.inject(
        Match::method("PUT").and_path("/retry/never"),
        Fault::SERVICE_UNAVAILABLE,
        100,
    );
    let put = PutObject::new(world.bucket.clone(), world.key("retry/never"), "x");
    let error = client.put(put).unwrap_err();
    assert!(
        matches!(error, R2Error::Server(ServerError::ServiceUnavailable(_))),
        "{error:?}"
    );
    let seen = world.seen("PUT", "/retry/never");
    assert_eq!(
        seen.len(),
        policy.server_error.max_attempts as usize,
        "exactly the policy's attempts, then the error"
    );
    within_policy(&seen, RetryClass::ServerError, &policy);

    for (fault, path) in [
        (Fault::ResetBeforeHeaders, "/retry/reset"),
        (Fault::ApplyThenReset, "/retry/lost"),
    ] {
        world
            .proxy
            .inject(Match::method("PUT").and_path(path), fault, 1);
        let key = world.key(path.trim_start_matches('/'));
        client
            .put(PutObject::new(world.bucket.clone(), key.clone(), "x"))
            .unwrap();
        let seen = world.seen("PUT", path);
        assert_eq!(seen.len(), 2, "{path}: one reset, one retry");
        within_policy(&seen, RetryClass::Transient, &policy);
        let got = client
            .get(GetObject::new(world.bucket.clone(), key))
            .unwrap();
        assert_eq!(got.body.as_ref(), b"x");
    }
}

fn retry_after_is_honoured<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    let client: C = world.client();
    world.proxy.inject(
        Match::method("PUT").and_path("/throttled"),
        Fault::slow_down(2),
        1,
    );
    let put = PutObject::new(world.bucket.clone(), world.key("throttled"), "x");
    client.put(put).unwrap();
    let seen = world.seen("PUT", "/throttled");
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at.duration_since(seen[0].at);
    let policy = RetryPolicy::default();
    let ceiling = policy
        .ceiling(RetryClass::Throttled, 1)
        .unwrap()
        .max(Duration::from_secs(2));
    assert!(
        gap >= Duration::from_secs(2),
        "Retry-After: 2 was not waited: {gap:?}"
    );
    assert!(gap <= ceiling + SLACK, "waited {gap:?}");
}

fn timeouts_are_retried<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    let config = Config::for_endpoint(
        world.through.endpoint.clone(),
        r2_proto::Credentials::new(
            world.through.access_key_id.clone(),
            world.through.secret_access_key.clone(),
        )
        .unwrap(),
    )
    .allow_insecure_http()
    .timeout(Duration::from_millis(700))
    .build()
    .unwrap();
    let client = C::connect(config).unwrap();
    let key = world.key("stalled");
    client
        .put(PutObject::new(
            world.bucket.clone(),
            key.clone(),
            "patience",
        ))
        .unwrap();
    world.proxy.inject(
        Match::method("GET").and_path("/stalled"),
        Fault::Stall(Duration::from_secs(2)),
        1,
    );
    let got = client
        .get(GetObject::new(world.bucket.clone(), key))
        .unwrap();
    assert_eq!(got.body.as_ref(), b"patience");
    assert_eq!(
        world.seen("GET", "/stalled").len(),
        2,
        "timed out once, then retried"
    );
}

/// A client of `world` through its proxy with a short timeout.
fn impatient<C: ScenarioClient>(world: &World, timeout: Duration) -> C {
    let credentials = r2_proto::Credentials::new(
        world.through.access_key_id.clone(),
        world.through.secret_access_key.clone(),
    )
    .unwrap();
    let config = Config::for_endpoint(world.through.endpoint.clone(), credentials)
        .allow_insecure_http()
        .timeout(timeout)
        .build()
        .unwrap();
    C::connect(config).unwrap()
}

fn a_body_that_stalls_is_a_timeout<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    let client: C = impatient(&world, Duration::from_millis(700));
    let key = world.key("stalls");
    let data = noise(3, 1 << 20);
    client
        .put(PutObject::new(
            world.bucket.clone(),
            key.clone(),
            data.clone(),
        ))
        .unwrap();
    let stall = Fault::StallMidBody(Duration::from_secs(2));
    world
        .proxy
        .inject(Match::method("GET").and_path("/stalls"), stall.clone(), 1);
    let got = client
        .get(GetObject::new(world.bucket.clone(), key.clone()))
        .unwrap();
    assert_eq!(got.body, data, "stalled once, then retried whole");
    assert_eq!(world.seen("GET", "/stalls").len(), 2);

    let attempts = RetryPolicy::default().transient.max_attempts as usize;
    for streamed in [false, true] {
        world.proxy.clear_log();
        world
            .proxy
            .inject(Match::method("GET").and_path("/stalls"), stall.clone(), 100);
        let get = GetObject::new(world.bucket.clone(), key.clone());
        let error = if streamed {
            client.get_stream(get).unwrap_err()
        } else {
            client.get(get).unwrap_err()
        };
        world.proxy.clear();
        assert!(
            matches!(error.network(), Some(NetworkError::Timeout(_))),
            "streamed {streamed}: {error:?}"
        );
        let seen = world.seen("GET", "/stalls").len();
        if streamed {
            assert_eq!(seen, 1, "a stream's body is not retried once it started");
        } else {
            assert_eq!(seen, attempts, "every attempt timed out, then the error");
        }
    }
}

fn an_early_refusal_reaches_the_caller<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    let client: C = world.client();
    world.proxy.inject(
        Match::method("PUT").and_path("/refused"),
        Fault::ErrorBeforeBody {
            status: 403,
            code: "AccessDenied",
        },
        100,
    );
    let put = PutObject::new(
        world.bucket.clone(),
        world.key("refused"),
        noise(4, 8 << 20),
    );
    let error = client.put(put).unwrap_err();
    world.proxy.clear();
    assert!(
        matches!(error, R2Error::Auth(AuthError::AccessDenied(_))),
        "{error:?}"
    );
    assert_eq!(
        world.seen("PUT", "/refused").len(),
        1,
        "a refusal is final: the body is not sent again"
    );
}

fn the_breaker_opens_refuses_and_closes<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    let mut resilience = ResilienceConfig {
        breaker: BreakerConfig {
            failure_threshold: 5,
            reset_timeout: Duration::from_secs(1),
            success_threshold: 3,
            per_bucket: false,
        },
        ..ResilienceConfig::default()
    };
    resilience.retry.server_error.max_attempts = 1;
    let setup = ClientSetup {
        resilience,
        ..ClientSetup::default()
    };
    let client = C::connect_with(world.config(), setup).unwrap();
    let key = world.key("breaker");
    client
        .put(PutObject::new(world.bucket.clone(), key.clone(), "x"))
        .unwrap();
    let head = || client.head(HeadObject::new(world.bucket.clone(), key.clone()));
    let heads = || world.seen("HEAD", "/breaker").len();

    world
        .proxy
        .inject(Match::method("HEAD"), Fault::SERVICE_UNAVAILABLE, 5);
    for _ in 0..5 {
        assert!(matches!(
            head(),
            Err(R2Error::Server(ServerError::ServiceUnavailable(_)))
        ));
    }
    assert_eq!(heads(), 5);
    let refused = head();
    assert!(
        matches!(refused, Err(R2Error::CircuitOpen { .. })),
        "{refused:?}"
    );
    assert_eq!(heads(), 5, "an open circuit refuses without sending");

    std::thread::sleep(Duration::from_millis(1100));
    head().unwrap();
    assert_eq!(heads(), 6, "the probe went through");
    head().unwrap();
    head().unwrap();

    world
        .proxy
        .inject(Match::method("HEAD"), Fault::SERVICE_UNAVAILABLE, 1);
    assert!(head().is_err());
    head().unwrap();
    assert_eq!(
        heads(),
        10,
        "closed again: one failure does not open it, both requests were sent"
    );
}

fn a_failed_put_leaves_no_partial_object<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    let client: C = world.client();
    let old = noise(64 << 10, 1);
    let key = world.key("atomic/k");
    client
        .put(PutObject::new(
            world.bucket.clone(),
            key.clone(),
            old.clone(),
        ))
        .unwrap();
    world.proxy.inject(
        Match::method("PUT").and_path("/atomic/"),
        Fault::CutRequestBody,
        100,
    );
    let new = noise(64 << 10, 2);
    assert!(
        client
            .put(PutObject::new(
                world.bucket.clone(),
                key.clone(),
                new.clone()
            ))
            .is_err()
    );
    let fresh = world.key("atomic/fresh");
    assert!(
        client
            .put(PutObject::new(world.bucket.clone(), fresh.clone(), new))
            .is_err()
    );
    // What the server holds, seen without the proxy (the failing client's
    // circuit may well be open by now).
    let server: C = world.direct();
    let got = server
        .get(GetObject::new(world.bucket.clone(), key))
        .unwrap();
    assert_eq!(got.body, old, "the old object is intact");
    assert!(matches!(
        server.head(HeadObject::new(world.bucket.clone(), fresh)),
        Err(R2Error::Object(ObjectError::NoSuchKey(_)))
    ));
}

fn tuning() -> Tuning {
    Tuning {
        part_size: 5 << 20,
        concurrency: 2,
    }
}

/// Part files s3s-fs keeps for open multipart uploads.
fn leftover_parts(server: &S3sFsServer) -> Vec<String> {
    std::fs::read_dir(server.root())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".upload_id-"))
        .collect()
}

fn a_failed_multipart_upload_is_aborted_on<C: ScenarioClient>(world: &World) {
    let client: C = world.client();
    world.proxy.inject(
        Match::method("PUT").and_query("partNumber=2"),
        Fault::INTERNAL_ERROR,
        100,
    );
    let error = client
        .upload_bytes(
            world.bucket.clone(),
            world.key("doomed.bin"),
            noise(12 << 20, 3),
            tuning(),
        )
        .unwrap_err();
    let R2Error::Upload(failure) = error else {
        panic!("{error:?}");
    };
    assert!(failure.aborted, "{failure}");
    assert_eq!(failure.part, Some(2));
    assert_eq!(world.seen("DELETE", "uploadId=").len(), 1, "one abort");
    if let Some(server) = &world.server {
        assert_eq!(leftover_parts(server), Vec::<String>::new());
    } else {
        let open = client
            .list_uploads(ListMultipartUploads::new(world.bucket.clone()))
            .unwrap();
        assert!(open.uploads.is_empty(), "left behind: {:?}", open.uploads);
    }
}

fn a_failed_multipart_upload_is_aborted<C: ScenarioClient>(tag: &str) {
    a_failed_multipart_upload_is_aborted_on::<C>(&s3s_fs(tag));
    if let Some(world) = moto(tag, "a failed multipart upload is aborted") {
        a_failed_multipart_upload_is_aborted_on::<C>(&world);
    }
}

/// Needs ListParts with ETags, which s3s-fs leaves out: moto only.
fn a_kept_upload_resumes_byte_exact<C: ScenarioClient>(tag: &str) {
    let Some(world) = moto(tag, "a kept upload resumes byte-exact") else {
        return;
    };
    let client: C = world.client();
    let data = noise(13 << 20, 4);
    let path = scratch(tag, "resume.bin");
    std::fs::write(&path, &data).unwrap();
    let key = world.key("resumed.bin");
    world.proxy.inject(
        Match::method("PUT").and_query("partNumber=3"),
        Fault::INTERNAL_ERROR,
        100,
    );
    let error = client
        .upload_file_kept(world.bucket.clone(), key.clone(), &path, tuning())
        .unwrap_err();
    let R2Error::Upload(failure) = error else {
        panic!("{error:?}");
    };
    assert!(!failure.aborted);
    let state = failure
        .resume
        .clone()
        .expect("a kept upload has a resume state");
    world.proxy.clear();
    world.proxy.clear_log();
    client
        .upload_file(
            world.bucket.clone(),
            key.clone(),
            &path,
            tuning(),
            Some(state),
        )
        .unwrap();
    let sent: Vec<String> = world
        .seen("PUT", "partNumber=")
        .into_iter()
        .map(|s| s.target)
        .collect();
    assert!(
        sent.len() == 1 && sent[0].contains("partNumber=3"),
        "only the failed part goes again: {sent:?}"
    );
    let (_, back) = client
        .download_ordered(world.bucket.clone(), key, tuning())
        .unwrap();
    assert!(back == data, "the resumed object differs");
    let _ = std::fs::remove_file(&path);
}

fn scratch(tag: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("r2-faults-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn bad_bodies_are_errors<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    let client: C = world.client();
    let data = noise(300 << 10, 5);
    let key = world.key("bodies/one.bin");
    client
        .put(PutObject::new(
            world.bucket.clone(),
            key.clone(),
            data.clone(),
        ))
        .unwrap();
    let get = || GetObject::new(world.bucket.clone(), key.clone());
    let policy = RetryPolicy::default();

    world.proxy.inject(
        Match::method("GET").and_path("/bodies/"),
        Fault::TruncateBody,
        100,
    );
    let cut = client.get(get()).unwrap_err();
    assert!(
        matches!(cut, R2Error::Transfer(TransferError::IncompleteBody { .. })),
        "{cut:?}"
    );
    assert_eq!(
        world.seen("GET", "/bodies/").len(),
        policy.stream_interrupted.max_attempts as usize
    );
    let streamed = client.get_stream(get()).unwrap_err();
    assert!(
        matches!(
            streamed,
            R2Error::Transfer(TransferError::IncompleteBody { .. })
        ),
        "{streamed:?}"
    );
    world.proxy.clear();

    world.proxy.inject(
        Match::method("GET").and_path("/bodies/"),
        Fault::CorruptBody,
        100,
    );
    for outcome in [
        client.get(get()).map(|o| o.body),
        client.get_stream(get()).map(|(_, body)| body),
    ] {
        assert!(
            matches!(
                outcome,
                Err(R2Error::Transfer(TransferError::ChecksumMismatch { .. }))
            ),
            "{outcome:?}"
        );
    }
    world.proxy.clear();

    world.proxy.inject(
        Match::method("GET").and_path("/bodies/"),
        Fault::ResetMidBody,
        1,
    );
    assert_eq!(
        client.get(get()).unwrap().body,
        data,
        "retried after a reset mid-body"
    );
}

fn a_replaced_object_fails_the_download<C: ScenarioClient>(world: &World, expect_412: bool) {
    let client: C = world.client();
    let key = world.key("replaced.bin");
    client
        .put(PutObject::new(
            world.bucket.clone(),
            key.clone(),
            noise(4 << 20, 6),
        ))
        .unwrap();
    let replacement = world.upstream.config().unwrap();
    let (bucket, replaced) = (world.bucket.clone(), key.clone());
    world.proxy.inject(
        Match::method("GET").and_path("/replaced.bin"),
        Fault::Stall(Duration::ZERO),
        1,
    );
    world.proxy.inject(
        Match::method("GET").and_path("/replaced.bin"),
        Fault::Before(Arc::new(move || {
            let writer = BlockingScenarioClient::connect(replacement.clone()).unwrap();
            writer
                .put(PutObject::new(
                    bucket.clone(),
                    replaced.clone(),
                    noise(4 << 20, 7),
                ))
                .unwrap();
        })),
        1,
    );
    let path = scratch(C::NAME, "replaced.bin");
    let _ = std::fs::remove_file(&path);
    let outcome = client.download_file(
        world.bucket.clone(),
        key,
        &path,
        Tuning {
            part_size: 1 << 20,
            concurrency: 1,
        },
    );
    if expect_412 {
        assert!(
            matches!(
                outcome,
                Err(R2Error::Object(ObjectError::PreconditionFailed(_)))
            ),
            "{outcome:?}"
        );
    } else {
        assert!(
            matches!(
                outcome,
                Err(R2Error::Transfer(TransferError::ObjectChanged { .. }))
            ),
            "{outcome:?}"
        );
    }
    assert!(!path.exists(), "a failed download left a file");
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("replaced.bin"))
        .collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
}

fn a_replaced_object_is_never_a_mixed_file<C: ScenarioClient>(tag: &str) {
    // s3s-fs ignores If-Match on GET: the changed ETag gives it away.
    a_replaced_object_fails_the_download::<C>(&s3s_fs(tag), false);
    // moto, like S3 and R2, answers the pinned GET with 412.
    if let Some(world) = moto(tag, "a replaced object fails the download with 412") {
        a_replaced_object_fails_the_download::<C>(&world, true);
    }
}

fn clock_skew_is_corrected<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    world
        .proxy
        .set_clock_ahead(Some(Duration::from_secs(20 * 60)));
    let client: C = world.client();
    client
        .put(PutObject::new(
            world.bucket.clone(),
            world.key("skew/a"),
            "a",
        ))
        .unwrap();
    let seen = world.seen("PUT", "/skew/a");
    assert_eq!(seen.len(), 2, "refused once, then re-signed");
    assert_eq!(seen[0].fault.as_deref(), Some("too skewed"));
    assert_eq!(seen[1].fault, None);
    client
        .put(PutObject::new(
            world.bucket.clone(),
            world.key("skew/b"),
            "b",
        ))
        .unwrap();
    assert_eq!(
        world.seen("PUT", "/skew/b").len(),
        1,
        "the correction is remembered"
    );
}

fn multipart_faults_are_retried_byte_exact<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    let client: C = world.client();
    let data = noise(12 << 20, 8);
    let key = world.key("retried.bin");
    world.proxy.inject(
        Match::method("PUT").and_query("partNumber=1"),
        Fault::SERVICE_UNAVAILABLE,
        1,
    );
    world.proxy.inject(
        Match::method("PUT").and_query("partNumber=2"),
        Fault::ResetAfterHeaders,
        1,
    );
    world.proxy.inject(
        Match::method("POST").and_query("uploadId="),
        Fault::OkWithError("InternalError"),
        1,
    );
    client
        .upload_bytes(world.bucket.clone(), key.clone(), data.clone(), tuning())
        .unwrap();
    assert_eq!(
        world.seen("POST", "uploadId=").len(),
        2,
        "the 200 <Error> Complete was retried"
    );
    world.proxy.inject(
        Match::method("GET").and_path("/retried.bin"),
        Fault::TruncateBody,
        1,
    );
    let (_, back) = client
        .download_ordered(world.bucket.clone(), key, tuning())
        .unwrap();
    assert!(back == data, "the object differs");
}

/// Direct access to the upstream stays available to the tests (and keeps
/// the helper honest: the proxy is the only thing in the way).
fn the_proxy_is_transparent<C: ScenarioClient>(tag: &str) {
    let world = s3s_fs(tag);
    let client: C = world.client();
    let key = world.key("plain");
    client
        .put(PutObject::new(world.bucket.clone(), key.clone(), "through"))
        .unwrap();
    let direct: C = world.direct();
    let got = direct
        .get(GetObject::new(world.bucket.clone(), key))
        .unwrap();
    assert_eq!(got.body.as_ref(), b"through");
    assert!(world.proxy.log().iter().all(|s| s.fault.is_none()));
}

macro_rules! every_adapter {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                use super::*;

                #[test]
                fn r2_tokio() {
                    super::$scenario::<TokioScenarioClient>("tokio");
                }

                #[test]
                fn r2_blocking() {
                    super::$scenario::<BlockingScenarioClient>("blocking");
                }

                #[test]
                fn r2_smol() {
                    super::$scenario::<SmolScenarioClient>("smol");
                }
            }
        )*
    };
}

every_adapter!(
    the_proxy_is_transparent,
    retries_follow_the_policy,
    retry_after_is_honoured,
    timeouts_are_retried,
    a_body_that_stalls_is_a_timeout,
    an_early_refusal_reaches_the_caller,
    the_breaker_opens_refuses_and_closes,
    a_failed_put_leaves_no_partial_object,
    a_failed_multipart_upload_is_aborted,
    a_kept_upload_resumes_byte_exact,
    bad_bodies_are_errors,
    a_replaced_object_is_never_a_mixed_file,
    clock_skew_is_corrected,
    multipart_faults_are_retried_byte_exact,
);
