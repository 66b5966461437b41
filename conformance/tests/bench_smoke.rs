//! The end-to-end bench runs: `bench --quick` (64 MiB objects, 500 small
//! PUTs, one run each) goes through every scenario of every adapter against
//! its sink process and prints a full table. Its figures are not checked
//! here (speed is for the release bench to show, not for a test to assert).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

#[test]
fn the_quick_bench_prints_every_scenario_of_every_adapter() {
    let out = Command::new(env!("CARGO_BIN_EXE_bench"))
        .arg("--quick")
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{table}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = |adapter: &str| {
        table
            .lines()
            .filter(|line| line.starts_with(&format!("| {adapter} |")))
            .count()
    };
    // r2-tokio also puts once in each of the four other integrity modes.
    assert_eq!(rows("r2-tokio"), 13, "{table}");
    assert_eq!(rows("r2-blocking"), 9, "{table}");
    assert_eq!(rows("r2-smol"), 9, "{table}");
    assert!(
        !table.contains(" 0 MB/s"),
        "a scenario moved nothing:\n{table}"
    );
}
