//! The load run with figures: `cargo run --release -p conformance --bin load
//! [-- KEYS IN_FLIGHT ROUNDS]` (default 2000 keys, 200 in flight, 3 rounds),
//! each key put, got and headed through r2-tokio against the in-process
//! server in this process. Prints requests per second, peak connections
//! and resident memory per round.
#![allow(clippy::print_stdout)]

use conformance::load::{memory_kib, run};
use conformance::scenarios::{Target, create_bucket};
use conformance::servers::S3sFsServer;
use r2_proto::BucketName;
use r2_tokio::R2Client;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = |at: usize, default: usize| {
        std::env::args()
            .nth(at)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (keys, in_flight, rounds) = (arg(1, 2000), arg(2, 200), arg(3, 3));
    let server = S3sFsServer::start()?;
    let target = Target::s3s_fs(&server);
    let bucket = BucketName::new("load")?;
    create_bucket(&target.config()?, &bucket)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = {
        let _entered = runtime.enter();
        R2Client::new(target.config()?)?
    };
    println!(
        "{keys} keys x (PUT, GET, HEAD) of 1 KiB, {in_flight} in flight, r2-tokio -> in-process s3s-fs"
    );
    for round in 0..rounds {
        let report = runtime.block_on(run(
            &client,
            &bucket,
            &format!("r{round}"),
            keys,
            in_flight,
            1024,
        ));
        let (rss, peak) = memory_kib().unwrap_or((0, 0));
        println!(
            "round {round}: {} requests in {:.2?} = {:.0} req/s, {} errors, rss {} MiB, peak rss {} MiB",
            report.requests,
            report.elapsed,
            report.per_second(),
            report.errors,
            rss / 1024,
            peak / 1024
        );
    }
    println!(
        "connections: at most {} open at once ({} accepted in all)",
        server.most_connections_open(),
        server.connections_accepted()
    );
    Ok(())
}
