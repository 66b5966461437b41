//! The `r2-testserver` binary as another language's test would run it:
//! started as a process, its endpoint and credentials read from the JSON
//! line it prints, used by a real client, stopped by closing its input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use r2_blocking::R2Client;
use r2_blocking::proto::ops::{GetObject, PutObject};
use r2_blocking::proto::{BucketName, Config, Credentials, ObjectKey};

/// The string value of `name` in a flat JSON object of strings.
fn field(json: &str, name: &str) -> String {
    let start = json.find(&format!("\"{name}\":\"")).unwrap() + name.len() + 4;
    let end = start + json[start..].find('"').unwrap();
    json[start..end].to_owned()
}

#[test]
fn the_binary_prints_where_it_serves_and_stops_when_its_input_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_r2-testserver"))
        .args(["--bucket", "from-another-language", "--exit-on-eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let (endpoint, root) = (field(&line, "endpoint"), field(&line, "root"));
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{line}");
    assert_eq!(field(&line, "region"), "auto");
    let credentials = Credentials::new(
        field(&line, "access_key_id"),
        field(&line, "secret_access_key"),
    )
    .unwrap();
    let config = Config::for_endpoint(endpoint, credentials)
        .allow_insecure_http()
        .build()
        .unwrap();
    let client = R2Client::new(config).unwrap();
    let (bucket, key) = (
        BucketName::new("from-another-language").unwrap(),
        ObjectKey::new("a/b c.txt").unwrap(),
    );
    client
        .objects()
        .put(PutObject::new(bucket.clone(), key.clone(), "hello"))
        .unwrap();
    let got = client.objects().get(GetObject::new(bucket, key)).unwrap();
    assert_eq!(&got.body[..], b"hello");

    drop(child.stdin.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    assert!(!std::path::Path::new(&root).exists(), "{root} left behind");
}

#[test]
fn a_bad_argument_is_refused_with_the_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_r2-testserver"))
        .arg("--prot")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("usage: r2-testserver"));
}
