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
use conformance::scenarios::{ScenarioClient, Target, create_bucket};
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
