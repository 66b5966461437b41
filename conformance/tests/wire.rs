//! What each adapter writes on the wire, byte for byte: the path the core
//! signed (dot segments and `%2e` untouched), `Content-Length` on every PUT
//! and POST, none and no chunked encoding on body-less requests, never
//! `Expect: 100-continue`, no header twice.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use conformance::adapters::{BlockingScenarioClient, SmolScenarioClient, TokioScenarioClient};
use conformance::scenarios::{ClientSetup, ScenarioClient};
use conformance::servers::CaptureServer;
use r2_proto::ops::{CompleteMultipartUpload, CompletedPart, DeleteObject, GetObject, PutObject};
use r2_proto::{BucketName, Config, Credentials, ObjectKey};

fn config(endpoint: String) -> Config {
    Config::for_endpoint(
        endpoint,
        Credentials::new("AKIDWIRE", "wire-secret").unwrap(),
    )
    .allow_insecure_http()
    .build()
    .unwrap()
}

fn check_wire<C: ScenarioClient>() {
    let server = CaptureServer::start().unwrap();
    let setup = ClientSetup {
        application: Some("wire-test/1.0".into()),
        ..ClientSetup::default()
    };
    let client = C::connect_with(config(server.endpoint()), setup).unwrap();
    let bucket = BucketName::new("bkt").unwrap();
    let key = |k: &str| ObjectKey::new(k).unwrap();

    client
        .put(PutObject::new(bucket.clone(), key("a/./b/../c"), "hello"))
        .unwrap();
    client
        .get(GetObject::new(bucket.clone(), key("%2e%2e/x")))
        .unwrap();
    client
        .delete(DeleteObject::new(bucket.clone(), key("sp ace+plus/~")))
        .unwrap();
    let complete = CompleteMultipartUpload::new(
        bucket.clone(),
        key("../up"),
        "id",
        vec![CompletedPart::new(
            1,
            "\"d41d8cd98f00b204e9800998ecf8427e\"",
        )],
    );
    let _ = client.complete_multipart(complete);

    let seen = server.requests();
    let lines: Vec<&str> = seen.iter().map(|r| r.line.as_str()).collect();
    assert_eq!(
        lines,
        [
            "PUT /bkt/a/./b/../c HTTP/1.1",
            "GET /bkt/%252e%252e/x HTTP/1.1",
            "DELETE /bkt/sp%20ace%2Bplus/~ HTTP/1.1",
            "POST /bkt/../up?uploadId=id HTTP/1.1",
        ],
        "{}",
        C::NAME
    );
    let (put, get, delete, post) = (&seen[0], &seen[1], &seen[2], &seen[3]);
    assert_eq!(put.header("content-length"), Some("5"), "{}", C::NAME);
    assert_eq!(put.body_len, 5);
    assert!(
        post.header("content-length").is_some_and(|v| v != "0"),
        "{}",
        C::NAME
    );
    for request in [get, delete] {
        assert_eq!(
            request.header("content-length"),
            None,
            "{}: {request:?}",
            C::NAME
        );
    }
    for request in &seen {
        assert_eq!(request.header("expect"), None, "{}: {request:?}", C::NAME);
        assert_eq!(
            request.header("transfer-encoding"),
            None,
            "{}: {request:?}",
            C::NAME
        );
        assert!(request.header("authorization").is_some(), "{}", C::NAME);
        let mut names: Vec<String> = request
            .headers
            .iter()
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(
            names.len(),
            count,
            "{}: a header sent twice: {request:?}",
            C::NAME
        );
        let host = server.endpoint().replace("http://", "");
        assert_eq!(request.header("host"), Some(host.as_str()), "{}", C::NAME);
        let agent = format!(
            "{}/{version} r2-proto/{version} wire-test/1.0",
            C::NAME.replace('_', "-"),
            version = env!("CARGO_PKG_VERSION")
        );
        assert_eq!(
            request.header("user-agent"),
            Some(agent.as_str()),
            "{}",
            C::NAME
        );
    }
}

#[test]
fn r2_tokio_sends_the_signed_path_and_lengths() {
    check_wire::<TokioScenarioClient>();
}

#[test]
fn r2_blocking_sends_the_signed_path_and_lengths() {
    check_wire::<BlockingScenarioClient>();
}

#[test]
fn r2_smol_sends_the_signed_path_and_lengths() {
    check_wire::<SmolScenarioClient>();
}
