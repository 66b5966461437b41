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
