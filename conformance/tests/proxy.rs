//! Proxies, on every adapter: the whole scenario suite passes over TLS
//! through a loopback `CONNECT` proxy that wants credentials, and the proxy
//! carries every request but sees none of it; a plain-http endpoint is
//! tunnelled too, `NO_PROXY` hosts are reached directly, and a proxy's
//! refusal is a typed error, retried only when the proxy could not reach
//! the endpoint.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use conformance::every_adapter;
use conformance::scenarios::{ScenarioClient, Target, run_suite};
use conformance::servers::{ConnectProxy, ProxyRules, S3sFsServer, TlsProxy};
use r2_proto::BucketName;
use r2_proto::error::{NetworkError, R2Error};
use r2_proto::ops::ListObjectsV2;
use r2_proto::proxy::{Proxies, Proxy};
use r2_proto::resilience::RetryPolicy;

/// Text every signed request's head carries.
const SIGNED_HEADER: &[u8] = b"x-amz-content-sha256";

fn proxy_at(url: &str) -> Proxies {
    Proxies::all(Proxy::parse(url).unwrap())
}

fn passes_the_suite_over_tls_through_a_proxy<C: ScenarioClient>() {
    let server = S3sFsServer::start().unwrap();
    let upstream = server.endpoint().trim_start_matches("http://").to_owned();
    let front = TlsProxy::start(upstream).unwrap();
    // base64("r2user:pa:ss")
    let proxy = ConnectProxy::start(ProxyRules {
        authorization: Some("Basic cjJ1c2VyOnBhOnNz".into()),
        watch_for: Some(SIGNED_HEADER.to_vec()),
        ..ProxyRules::default()
    })
    .unwrap();
    let proxies = proxy_at(&format!("http://r2user:pa%3Ass@{}", proxy.address()));
    let target = Target::s3s_fs(&server).over_tls(&front).through(proxies);
    let failures = run_suite::<C>(&target);
    assert!(
        failures.is_empty(),
        "{}: {} failures:\n{}",
        C::NAME,
        failures.len(),
        failures.join("\n")
    );
    let front_address = front.endpoint().trim_start_matches("https://").to_owned();
    let targets = proxy.targets();
    assert!(!targets.is_empty(), "{}: no tunnel was opened", C::NAME);
    assert!(
        targets.iter().all(|target| *target == front_address),
        "{targets:?}"
    );
    let (up, down) = proxy.bytes();
    assert!(
        up > 1 << 20 && down > 1 << 20,
        "carried {up} and {down} bytes"
    );
    assert!(
        !proxy.saw_watched_text(),
        "{}: a request crossed the proxy in the clear",
        C::NAME
    );
    assert_eq!(proxy.refused(), 0);
}

/// A listing of a bucket that does not exist: answered by the server
/// (`NoSuchBucket`) when the request reached it.
fn list_missing<C: ScenarioClient>(client: &C) -> R2Error {
    let bucket = BucketName::new("no-such-bucket").unwrap();
    client.list(ListObjectsV2::new(bucket)).unwrap_err()
}

fn plain_http_is_tunnelled_and_no_proxy_goes_around<C: ScenarioClient>() {
    let server = S3sFsServer::start().unwrap();
    let server_address = server.endpoint().trim_start_matches("http://").to_owned();
    let proxy = ConnectProxy::start(ProxyRules {
        watch_for: Some(SIGNED_HEADER.to_vec()),
        ..ProxyRules::default()
    })
    .unwrap();
    let target = Target::s3s_fs(&server);
    let config = target.config().unwrap();

    let through: C = target
        .clone()
        .through(proxy_at(&proxy.address()))
        .connect(config.clone())
        .unwrap();
    let error = list_missing(&through);
    assert_eq!(error.code(), Some("NoSuchBucket"), "{}: {error}", C::NAME);
    assert_eq!(proxy.targets(), vec![server_address.clone()]);
    assert!(
        proxy.saw_watched_text(),
        "plain http: the tunnel carries it"
    );

    let around: C = target
        .through(proxy_at(&proxy.address()).no_proxy("localhost, 127.0.0.0/8"))
        .connect(config)
        .unwrap();
    let error = list_missing(&around);
    assert_eq!(error.code(), Some("NoSuchBucket"), "{}: {error}", C::NAME);
    assert_eq!(proxy.targets().len(), 1, "NO_PROXY: no tunnel");
}

fn a_refusal_is_typed_and_retried_only_when_the_proxy_could_not_reach<C: ScenarioClient>() {
    let server = S3sFsServer::start().unwrap();
    let target = Target::s3s_fs(&server);
    let config = target.config().unwrap();

    let wants_credentials = ConnectProxy::start(ProxyRules {
        authorization: Some("Basic bm9ib2R5Om5vbmU=".into()),
        ..ProxyRules::default()
    })
    .unwrap();
    let client: C = target
        .clone()
        .through(proxy_at(&format!(
            "http://r2user:wrong-secret@{}",
            wants_credentials.address()
        )))
        .connect(config.clone())
        .unwrap();
    let error = list_missing(&client);
    match error.network() {
        Some(NetworkError::ProxyRefused {
            status: 407,
            message,
        }) => {
            assert!(message.contains(&wants_credentials.address()), "{message}");
        }
        other => panic!("{}: {other:?}", C::NAME),
    }
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("wrong-secret"), "{shown}");
    assert_eq!(wants_credentials.refused(), 1, "a 407 is not retried");

    let unreachable = ConnectProxy::start(ProxyRules {
        refuse_with: Some(502),
        ..ProxyRules::default()
    })
    .unwrap();
    let client: C = target
        .clone()
        .through(proxy_at(&unreachable.address()))
        .connect(config.clone())
        .unwrap();
    let error = list_missing(&client);
    assert!(
        matches!(
            error.network(),
            Some(NetworkError::ProxyRefused { status: 502, .. })
        ),
        "{}: {error:?}",
        C::NAME
    );
    let attempts = RetryPolicy::default().transient.max_attempts;
    assert_eq!(
        u64::from(attempts),
        unreachable.refused(),
        "a 502 is retried"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = closed.local_addr().unwrap().to_string();
    drop(closed);
    let client: C = target.through(proxy_at(&gone)).connect(config).unwrap();
    let error = list_missing(&client);
    assert!(
        error.to_string().contains(&format!("proxy http://{gone}")),
        "{}: {error}",
        C::NAME
    );
}

every_adapter!(
    passes_the_suite_over_tls_through_a_proxy,
    plain_http_is_tunnelled_and_no_proxy_goes_around,
    a_refusal_is_typed_and_retried_only_when_the_proxy_could_not_reach,
);
