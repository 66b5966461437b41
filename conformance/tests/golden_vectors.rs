//! r2's signer against the shipped golden vectors, and the runner's ability
//! to notice when a value is wrong.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use conformance::shipped_vectors;
use conformance::sigv4_suite::{SuiteCase, case_dirs};
use conformance::vector_file::{Auth, LoadError, Outcome, VectorFile, check_case};

fn botocore() -> VectorFile {
    VectorFile::load(&shipped_vectors().join("s3-botocore/vectors.json")).unwrap()
}

#[test]
fn every_botocore_case_passes() {
    let file = botocore();
    assert_eq!(file.cases.len(), 83);
    assert_eq!(
        file.cases
            .iter()
            .filter(|c| c.auth == Auth::Presign)
            .count(),
        14
    );
    let failures: Vec<String> = file
        .cases
        .iter()
        .filter_map(|case| match check_case(case) {
            Outcome::Passed => None,
            other => Some(format!("{}: {other:?}", case.name)),
        })
        .collect();
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_kept_aws_suite_case_passes() {
    let dirs = case_dirs(&shipped_vectors().join("sigv4-suite")).unwrap();
    assert_eq!(dirs.len(), 27, "{dirs:#?}");
    for dir in dirs {
        let case = SuiteCase::load(&dir).unwrap();
        if let Err(mismatch) = case.check() {
            panic!("{}: {mismatch}", case.name);
        }
    }
}

/// Changes one expected value of a case and returns the field the runner blames.
fn blamed_field(name: &str, corrupt: impl Fn(&mut conformance::vector_file::Case)) -> String {
    let mut case = botocore()
        .cases
        .into_iter()
        .find(|c| c.name == name)
        .unwrap();
    corrupt(&mut case);
    match check_case(&case) {
        Outcome::Failed(mismatch) => mismatch.field,
        other => panic!("{name}: corrupted case gave {other:?}"),
    }
}

#[test]
fn each_wrong_value_is_blamed_on_its_field() {
    let flip = |s: &mut String| {
        let last = s.pop().unwrap();
        s.push(if last == '0' { '1' } else { '0' });
    };
    let header = "put-object-metadata-trim";
    let presign = "presign-put-content-type";
    assert_eq!(
        blamed_field(header, |c| c.payload_hash = "0".repeat(64)),
        "payload_hash"
    );
    assert_eq!(
        blamed_field(header, |c| c.expected.canonical_request.push(' ')),
        "canonical_request"
    );
    assert_eq!(
        blamed_field(header, |c| flip(&mut c.expected.string_to_sign)),
        "string_to_sign"
    );
    assert_eq!(
        blamed_field(header, |c| c.expected.signed_headers.push_str(";x")),
        "signed_headers"
    );
    assert_eq!(
        blamed_field(header, |c| flip(&mut c.expected.signature)),
        "signature"
    );
    assert_eq!(
        blamed_field(header, |c| c
            .expected
            .authorization
            .as_mut()
            .unwrap()
            .push('x')),
        "authorization"
    );
    assert_eq!(
        blamed_field(header, |c| c
            .expected
            .headers_out
            .as_mut()
            .unwrap()
            .pop()
            .map(drop)
            .unwrap()),
        "headers_out"
    );
    assert_eq!(
        blamed_field(presign, |c| flip(&mut c.expected.signature)),
        "signature"
    );
    assert_eq!(
        blamed_field(presign, |c| c
            .expected
            .presigned_url
            .as_mut()
            .unwrap()
            .push('0')),
        "presigned_url"
    );
    assert_eq!(
        blamed_field(presign, |c| c.expected.headers_to_send = Some(Vec::new())),
        "headers_to_send"
    );
    // A different clock changes everything from the canonical request on.
    assert_eq!(
        blamed_field("get-object-simple", |c| c.timestamp =
            "20240501T123457Z".into()),
        "canonical_request"
    );
}

#[test]
fn reordered_presign_parameters_still_pass() {
    let mut case = botocore()
        .cases
        .into_iter()
        .find(|c| c.name == "presign-get-session-token")
        .unwrap();
    let url = case.expected.presigned_url.clone().unwrap();
    let (base, query) = url.split_once('?').unwrap();
    let mut params: Vec<&str> = query.split('&').collect();
    params.reverse();
    case.expected.presigned_url = Some(format!("{base}?{}", params.join("&")));
    assert_eq!(check_case(&case), Outcome::Passed);
}

#[test]
fn policy_dependent_differences_are_skipped_not_failed() {
    let mut case = botocore()
        .cases
        .into_iter()
        .find(|c| c.policy_dependent)
        .unwrap();
    assert_eq!(check_case(&case), Outcome::Passed);
    case.expected.signed_headers.push_str(";user-agent");
    match check_case(&case) {
        Outcome::Skipped { reason } => assert!(reason.contains("signed_headers"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_files_are_typed_errors() {
    assert!(matches!(VectorFile::parse("{"), Err(LoadError::Json(_))));
    assert!(matches!(
        VectorFile::parse(r#"{"format": "other/2", "cases": []}"#),
        Err(LoadError::WrongFormat(f)) if f == "other/2"
    ));
    let text = std::fs::read_to_string(shipped_vectors().join("s3-botocore/vectors.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["cases"][0]["expected"]
        .as_object_mut()
        .unwrap()
        .remove("authorization");
    assert!(matches!(
        VectorFile::parse(&json.to_string()),
        Err(LoadError::IncompleteCase {
            field: "expected.authorization",
            ..
        })
    ));
}
