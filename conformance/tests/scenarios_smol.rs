//! The scenario suite through `r2-smol`, against the in-process s3s-fs
//! server and, when `.ci/run` started one, moto.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use conformance::adapters::SmolScenarioClient;
use conformance::scenarios::{Target, run_suite};
use conformance::servers::S3sFsServer;

#[test]
fn r2_smol_passes_the_suite_on_s3s_fs() {
    let server = S3sFsServer::start().unwrap();
    let failures = run_suite::<SmolScenarioClient>(&Target::s3s_fs(&server));
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn r2_smol_passes_the_suite_on_moto() {
    let Some(target) = Target::moto_from_env() else {
        println!("SKIP r2_smol on moto: R2_TEST_MOTO_ENDPOINT is not set (.ci/run sets it)");
        return;
    };
    let failures = run_suite::<SmolScenarioClient>(&target);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// r2-smol needs no smol executor: its sockets and timers are async-io's,
/// so a bare `block_on` or a tokio runtime drives it as well.
#[test]
fn r2_smol_runs_under_other_executors() {
    use r2_proto::ops::{GetObject, PutObject};
    use r2_proto::{BucketName, ObjectKey};

    let server = S3sFsServer::start().unwrap();
    let target = Target::s3s_fs(&server);
    let bucket = BucketName::new("elsewhere").unwrap();
    conformance::scenarios::create_bucket(&target.config().unwrap(), &bucket).unwrap();
    let client = r2_smol::R2Client::new(target.config().unwrap()).unwrap();
    let round_trip = |name: &'static str| {
        let client = client.clone();
        let bucket = bucket.clone();
        async move {
            let key = ObjectKey::new(format!("on/{name}")).unwrap();
            let put = PutObject::new(bucket.clone(), key.clone(), name);
            client.objects().put(put).await.unwrap();
            let got = client
                .objects()
                .get(GetObject::new(bucket, key))
                .await
                .unwrap();
            assert_eq!(got.body.as_ref(), name.as_bytes());
        }
    };
    futures_lite::future::block_on(round_trip("futures-lite"));
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(round_trip("tokio"));
}
