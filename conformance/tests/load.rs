//! A bounded load test: 2,000 keys put, got and headed through r2-tokio
//! with 200 in flight against the in-process server, three times over.
//! Nothing may fail, the server must never see more connections than the
//! client's pool allows, and memory must not grow from round to round.
//! (`cargo run --release -p conformance --bin load` prints the figures.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use conformance::load::{memory_kib, run};
use conformance::scenarios::{Target, create_bucket};
use conformance::servers::S3sFsServer;
use r2_proto::BucketName;
use r2_tokio::{DEFAULT_POOL_SIZE, R2Client};

#[test]
fn two_thousand_keys_with_two_hundred_in_flight() {
    let server = S3sFsServer::start().unwrap();
    let target = Target::s3s_fs(&server);
    let bucket = BucketName::new("load").unwrap();
    create_bucket(&target.config().unwrap(), &bucket).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let client = {
        let _entered = runtime.enter();
        R2Client::new(target.config().unwrap()).unwrap()
    };
    let mut resident = Vec::new();
    for round in 0..3 {
        let report = runtime.block_on(run(&client, &bucket, &format!("r{round}"), 2000, 200, 1024));
        assert_eq!(report.errors, 0, "round {round}: {report:?}");
        assert_eq!(report.requests, 6000);
        resident.extend(memory_kib().map(|(rss, _)| rss));
    }
    let most = server.most_connections_open();
    assert!(
        most <= DEFAULT_POOL_SIZE,
        "{most} connections open at once, the pool allows {DEFAULT_POOL_SIZE}"
    );
    assert!(server.connections_open() <= DEFAULT_POOL_SIZE);
    if let [first, .., last] = resident.as_slice() {
        assert!(
            last.saturating_sub(*first) < 32 << 10,
            "memory grew from {first} KiB to {last} KiB over the rounds"
        );
    }
}
