//! Every XML fixture parsed by its operation's parser, the typed result
//! snapshotted (`tests/snapshots/fixtures__*.snap`, each checked by hand).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::Bytes;
use r2_proto::ops::{
    AbortMultipartUpload, CompleteMultipartUpload, CompletedPart, CopyObject, CopySource,
    CreateMultipartUpload, DeleteObjects, GetObject, ListBuckets, ListMultipartUploads,
    ListObjectsV2, ListParts, Operation, PutObject, UploadPartCopy,
};
use r2_proto::{BucketName, ObjectKey};
use serde_json::Value;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/xml")
}

fn index() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(fixtures_dir().join("index.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn bucket() -> BucketName {
    BucketName::new("fixtures-bucket").unwrap()
}

fn key() -> ObjectKey {
    ObjectKey::new("videos/big file.mp4").unwrap()
}

fn show<T: std::fmt::Debug, E: std::fmt::Debug>(result: Result<T, E>) -> String {
    format!("{result:#?}")
}

/// Parses `response` with the parser of `operation` and renders the result.
fn parse_as(operation: &str, response: &http::Response<Bytes>) -> String {
    match operation {
        "ListObjectsV2" | "ListObjects (v1)" => show(ListObjectsV2::new(bucket()).parse(response)),
        "ListParts" => show(ListParts::new(bucket(), key(), "upload-id").parse(response)),
        "ListMultipartUploads" => show(ListMultipartUploads::new(bucket()).parse(response)),
        "ListBuckets" => show(ListBuckets::new().parse(response)),
        "CompleteMultipartUpload" => show(
            CompleteMultipartUpload::new(
                bucket(),
                key(),
                "upload-id",
                vec![CompletedPart::new(1, "\"etag\"")],
            )
            .parse(response),
        ),
        "CreateMultipartUpload" => {
            show(CreateMultipartUpload::new(bucket(), key()).parse(response))
        }
        "CopyObject" => show(
            CopyObject::new(
                CopySource::new(bucket(), key()),
                bucket(),
                ObjectKey::new("copy").unwrap(),
            )
            .parse(response),
        ),
        "UploadPartCopy" => show(
            UploadPartCopy::new(
                bucket(),
                key(),
                "upload-id",
                1,
                CopySource::new(bucket(), key()),
            )
            .parse(response),
        ),
        "DeleteObjects" => show(
            DeleteObjects::new(bucket(), [ObjectKey::new("free.txt").unwrap()]).parse(response),
        ),
        "GetObject" | "any" => show(GetObject::new(bucket(), key()).parse(response)),
        "PutObject" => show(PutObject::new(bucket(), key(), "body").parse(response)),
        "AbortMultipartUpload" => {
            show(AbortMultipartUpload::new(bucket(), key(), "upload-id").parse(response))
        }
        // Bucket-level errors of operations r2 does not send: the error body
        // is read the same way whatever the operation.
        "CreateBucket" | "DeleteBucket" => show(ListObjectsV2::new(bucket()).parse(response)),
        other => panic!("fixture for an operation the test does not know: {other}"),
    }
}

#[test]
fn every_fixture_parses_into_its_snapshot() {
    let index = index();
    assert_eq!(index.len(), 54);
    for (name, entry) in &index {
        let body = std::fs::read(fixtures_dir().join(name)).unwrap();
        let status = entry["http_status"].as_u64().unwrap() as u16;
        let response = http::Response::builder()
            .status(status)
            .header("x-amz-request-id", "fixture-request-id")
            .body(Bytes::from(body))
            .unwrap();
        let rendered = parse_as(entry["operation"].as_str().unwrap(), &response);
        // A fixture with an error code must parse into an error with that
        // code; one without must parse into an output.
        match entry["error_code"].as_str() {
            Some(code) => assert!(
                rendered.starts_with("Err(") && rendered.contains(&format!("code: \"{code}\"")),
                "{name}: {rendered}"
            ),
            None => assert!(rendered.starts_with("Ok("), "{name}: {rendered}"),
        }
        let snapshot = name.trim_end_matches(".xml").to_owned();
        insta::assert_snapshot!(snapshot, rendered);
    }
}

/// No body cut short parses: every strict prefix of a good body, up to its
/// root's closing `>`, is an error, never a shorter listing.
#[test]
fn every_cut_of_a_good_body_fails() {
    let mut cuts = 0;
    for (name, entry) in index() {
        if !entry["error_code"].is_null() {
            continue;
        }
        let body = std::fs::read(fixtures_dir().join(&name)).unwrap();
        let end = body.iter().rposition(|&b| b == b'>').unwrap();
        for cut in 0..end {
            if std::str::from_utf8(&body[..cut]).is_err() {
                continue;
            }
            let response = http::Response::builder()
                .status(200)
                .body(Bytes::copy_from_slice(&body[..cut]))
                .unwrap();
            let rendered = parse_as(entry["operation"].as_str().unwrap(), &response);
            assert!(
                rendered.starts_with("Err("),
                "{name} cut at {cut} parsed: {rendered}"
            );
            cuts += 1;
        }
    }
    assert!(cuts > 10_000, "{cuts}");
}
