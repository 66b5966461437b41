//! A 256 MiB object through each adapter: a concurrent multipart upload
//! from a file and a parallel ranged download to a file, compared byte for
//! byte (no timing here: speed is the benches' business).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use conformance::adapters::{BlockingScenarioClient, SmolScenarioClient, TokioScenarioClient};
use conformance::scenarios::{ScenarioClient, Target, Tuning, create_bucket};
use conformance::servers::S3sFsServer;
use r2_proto::sim::noise;
use r2_proto::{BucketName, ObjectKey};

const SIZE: usize = 256 << 20;

fn large_round_trip<C: ScenarioClient>(bucket: &str) {
    let server = S3sFsServer::start().unwrap();
    let target = Target::s3s_fs(&server);
    let config = target.config().unwrap();
    let bucket = BucketName::new(bucket).unwrap();
    create_bucket(&config, &bucket).unwrap();
    let client = C::connect(config).unwrap();
    let dir = std::env::temp_dir().join(format!("r2-large-{}-{}", C::NAME, std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("source.bin");
    let data = noise(SIZE, 256);
    std::fs::write(&source, &data).unwrap();
    let key = ObjectKey::new("large/256MiB.bin").unwrap();
    let tuning = Tuning {
        part_size: 8 << 20,
        concurrency: 4,
    };

    let uploaded = client
        .upload_file(bucket.clone(), key.clone(), &source, tuning, None)
        .unwrap();
    assert_eq!(uploaded.size, SIZE as u64);
    assert_eq!(uploaded.parts, 32);
    assert!(
        uploaded.etag.as_str().ends_with("-32\""),
        "{}",
        uploaded.etag
    );

    let target_file = dir.join("downloaded.bin");
    let downloaded = client
        .download_file(bucket, key, &target_file, tuning)
        .unwrap();
    assert_eq!(downloaded.size, SIZE as u64);
    assert_eq!(downloaded.requests, 32);
    let back = std::fs::read(&target_file).unwrap();
    assert!(
        back == data[..],
        "{}: the downloaded bytes differ from the uploaded ones",
        C::NAME
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn r2_tokio_moves_256_mib_byte_exact() {
    large_round_trip::<TokioScenarioClient>("large-tokio");
}

#[test]
fn r2_blocking_moves_256_mib_byte_exact() {
    large_round_trip::<BlockingScenarioClient>("large-blocking");
}

#[test]
fn r2_smol_moves_256_mib_byte_exact() {
    large_round_trip::<SmolScenarioClient>("large-smol");
}
