//! Replays the seeds, the crash regressions and any local corpus through
//! each target's body, on stable, so an input that once crashed stays a
//! regression test.

use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};

fn inputs(target: &str) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    for dir in ["seeds", "regressions", "corpus"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_file() {
                found.push(std::fs::read(&path).unwrap());
            }
        }
    }
    assert!(!found.is_empty(), "no corpus for {target}");
    found
}

#[test]
fn sign_request_corpus() {
    for data in inputs("sign_request") {
        if let Ok(input) = r2_fuzz::SignInput::arbitrary_take_rest(Unstructured::new(&data)) {
            r2_fuzz::sign_request(input);
        }
    }
}

#[test]
fn key_encoding_corpus() {
    for data in inputs("key_encoding") {
        r2_fuzz::key_encoding(&data);
    }
}

#[test]
fn config_input_corpus() {
    for data in inputs("config_input") {
        r2_fuzz::config_input(&data);
    }
}

#[test]
fn parse_response_corpus() {
    for data in inputs("parse_response") {
        r2_fuzz::parse_response(&data);
    }
}

#[test]
fn error_response_corpus() {
    for data in inputs("error_response") {
        r2_fuzz::error_response(&data);
    }
}

#[test]
fn upload_machine_corpus() {
    for data in inputs("upload_machine") {
        r2_fuzz::upload_machine(&data);
    }
}

#[test]
fn download_machine_corpus() {
    for data in inputs("download_machine") {
        r2_fuzz::download_machine(&data);
    }
}

#[test]
fn cassette_corpus() {
    for data in inputs("cassette") {
        r2_fuzz::cassette(&data);
    }
}

#[test]
fn proxy_input_corpus() {
    for data in inputs("proxy_input") {
        r2_fuzz::proxy_input(&data);
    }
}
