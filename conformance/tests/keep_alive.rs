//! Every adapter keeps its connection alive across requests: bodies with a
//! Content-Length, empty bodies, HEAD answers, error bodies and listings
//! all leave the connection reusable, so a sequence of requests one after
//! another opens exactly one connection.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use conformance::adapters::{BlockingScenarioClient, SmolScenarioClient, TokioScenarioClient};
use std::time::{Duration, Instant};

use conformance::scenarios::{ClientSetup, ScenarioClient, Target, Tuning, create_bucket};
use conformance::servers::S3sFsServer;
use r2_proto::error::ObjectError;
use r2_proto::error::R2Error;
use r2_proto::ops::{DeleteObject, GetObject, HeadObject, ListObjectsV2, PutObject};
use r2_proto::{BucketName, ObjectKey};

fn one_connection_for_a_sequence<C: ScenarioClient>() {
    let server = S3sFsServer::start().unwrap();
    let target = Target::s3s_fs(&server);
    let config = target.config().unwrap();
    let bucket = BucketName::new("keep").unwrap();
    create_bucket(&config, &bucket).unwrap();
    let before = server.connections_accepted();
    let client: C = target.connect(config).unwrap();
    let key = |i: usize| ObjectKey::new(format!("k/{i}")).unwrap();
    for i in 0..5 {
        let body = vec![b'x'; 1000 * i + 1];
        client
            .put(PutObject::new(bucket.clone(), key(i), body.clone()))
            .unwrap();
        let got = client.get(GetObject::new(bucket.clone(), key(i))).unwrap();
        assert_eq!(got.body.len(), body.len(), "{}", C::NAME);
        client
            .head(HeadObject::new(bucket.clone(), key(i)))
            .unwrap();
        let missing = client.get(GetObject::new(bucket.clone(), key(100 + i)));
        assert!(
            matches!(&missing, Err(R2Error::Object(ObjectError::NoSuchKey(_)))),
            "{}: {missing:?}",
            C::NAME
        );
        let listed = client.list(ListObjectsV2::new(bucket.clone())).unwrap();
        assert_eq!(listed.contents.len(), i + 1, "{}", C::NAME);
    }
    for i in 0..5 {
        client
            .delete(DeleteObject::new(bucket.clone(), key(i)))
            .unwrap();
    }
    let opened = server.connections_accepted() - before;
    assert_eq!(
        opened,
        1,
        "{}: {opened} connections for 30 requests one after another",
        C::NAME
    );
}

#[test]
fn r2_tokio_keeps_one_connection_alive() {
    one_connection_for_a_sequence::<TokioScenarioClient>();
}

#[test]
fn r2_blocking_keeps_one_connection_alive() {
    one_connection_for_a_sequence::<BlockingScenarioClient>();
}

#[test]
fn r2_smol_keeps_one_connection_alive() {
    one_connection_for_a_sequence::<SmolScenarioClient>();
}

/// The pool settings, on every adapter: an idle time of zero keeps no
/// connection (each request opens its own), and a share of one per host
/// closes the others once a parallel download is done.
fn pool_settings_are_kept<C: ScenarioClient>() {
    let server = S3sFsServer::start().unwrap();
    let target = Target::s3s_fs(&server);
    let config = target.config().unwrap();
    let bucket = BucketName::new("pooled").unwrap();
    create_bucket(&config, &bucket).unwrap();
    let key = ObjectKey::new("k").unwrap();

    let none_kept = ClientSetup {
        pool_idle: Some((Duration::ZERO, 10)),
        ..ClientSetup::default()
    };
    let client = C::connect_with(config.clone(), none_kept).unwrap();
    let before = server.connections_accepted();
    client
        .put(PutObject::new(&bucket, &key, vec![7u8; 4 << 20]))
        .unwrap();
    for _ in 0..3 {
        client.head(HeadObject::new(&bucket, &key)).unwrap();
    }
    let opened = server.connections_accepted() - before;
    assert_eq!(
        opened,
        4,
        "{}: {opened} connections for 4 requests",
        C::NAME
    );

    let one_kept = ClientSetup {
        pool_idle: Some((Duration::from_secs(50), 1)),
        ..ClientSetup::default()
    };
    let client = C::connect_with(config, one_kept).unwrap();
    let tuning = Tuning {
        part_size: 512 << 10,
        concurrency: 4,
    };
    let (_, bytes) = client.download_ordered(bucket, key, tuning).unwrap();
    assert_eq!(bytes.len(), 4 << 20);
    assert!(
        server.most_connections_open() >= 2,
        "{}: ranges in parallel",
        C::NAME
    );
    let started = Instant::now();
    while server.connections_open() > 1 && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        server.connections_open(),
        1,
        "{}: one connection kept, the others closed",
        C::NAME
    );
}

#[test]
fn r2_tokio_keeps_the_pool_settings() {
    pool_settings_are_kept::<TokioScenarioClient>();
}

#[test]
fn r2_blocking_keeps_the_pool_settings() {
    pool_settings_are_kept::<BlockingScenarioClient>();
}

#[test]
fn r2_smol_keeps_the_pool_settings() {
    pool_settings_are_kept::<SmolScenarioClient>();
}
