//! The `vectors` binary: output lines and exit status.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::{Command, Output};

use conformance::shipped_vectors;

fn run(args: &[&std::path::Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vectors"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("r2-vectors-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn shipped_file_passes() {
    let output = run(&[&shipped_vectors().join("s3-botocore/vectors.json")]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(stdout(&output).lines().last(), Some("83 passed, 0 failed"));
}

#[test]
fn a_failing_case_is_named_with_its_field() {
    let text = std::fs::read_to_string(shipped_vectors().join("s3-botocore/vectors.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["cases"][3]["expected"]["string_to_sign"] = "tampered".into();
    let name = json["cases"][3]["name"].as_str().unwrap().to_owned();
    let path = temp_file("tampered.json", &json.to_string());
    let output = run(&[&path]);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with(&format!("FAIL {name}: string_to_sign differs at byte 0")),
        "{out}"
    );
    assert_eq!(lines[1], "82 passed, 1 failed");
}

#[test]
fn malformed_or_missing_files_fail_cleanly() {
    let bad = temp_file("bad.json", "{ not json");
    let missing = std::env::temp_dir().join("r2-no-such-vectors.json");
    let output = run(&[
        &bad,
        &missing,
        &shipped_vectors().join("s3-botocore/vectors.json"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8(output.stderr.clone()).unwrap();
    assert!(err.contains("bad.json: not a valid vector file"), "{err}");
    assert!(
        err.contains("r2-no-such-vectors.json: cannot read the file"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(stdout(&output).lines().last(), Some("83 passed, 0 failed"));
    let usage = run(&[]);
    assert_eq!(usage.status.code(), Some(2));
}
