//! Responses that are not what the operation promises become typed errors:
//! malformed or truncated XML, wrong roots, values that do not fit, missing
//! elements and headers, short bodies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bytes::Bytes;
use r2_proto::error::{R2Error, ResponseError, ResponseProblem, TransferError};
use r2_proto::ops::{
    CompleteMultipartUpload, CompletedPart, CreateMultipartUpload, GetObject, HeadObject,
    ListObjectsV2, ListParts, Operation, OperationName, PutObject,
};
use r2_proto::{BucketName, ObjectKey};

fn bucket() -> BucketName {
    BucketName::new("bkt").unwrap()
}

fn key() -> ObjectKey {
    ObjectKey::new("k").unwrap()
}

fn response(status: u16, body: &str) -> http::Response<Bytes> {
    http::Response::builder()
        .status(status)
        .body(Bytes::from(body.to_owned()))
        .unwrap()
}

fn problem(result: Result<impl std::fmt::Debug, R2Error>) -> (OperationName, ResponseProblem) {
    match result {
        Err(R2Error::Response(ResponseError { operation, problem })) => (operation, problem),
        other => panic!("expected a response error, got {other:?}"),
    }
}

const LISTING: &str = "<ListBucketResult><Name>bkt</Name><IsTruncated>false</IsTruncated>\
    <Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>";

#[test]
fn truncated_bodies_are_malformed_xml() {
    let list = ListObjectsV2::new(bucket());
    assert!(list.parse(&response(200, LISTING)).is_ok());
    for cut in [1, 20, LISTING.len() / 2, LISTING.len() - 1] {
        let (operation, problem) = problem(list.parse(&response(200, &LISTING[..cut])));
        assert_eq!(operation, OperationName::ListObjectsV2);
        assert!(
            matches!(problem, ResponseProblem::MalformedXml(_)),
            "cut {cut}: {problem:?}"
        );
    }
    assert!(matches!(
        problem(list.parse(&response(200, ""))).1,
        ResponseProblem::MalformedXml(_)
    ));
}

#[test]
fn wrong_roots_are_named() {
    let create = CreateMultipartUpload::new(bucket(), key());
    let (_, found) = problem(create.parse(&response(200, LISTING)));
    assert_eq!(
        found,
        ResponseProblem::UnexpectedRoot {
            expected: "InitiateMultipartUploadResult",
            found: "ListBucketResult".into()
        }
    );
    let html = "<html><body>Cloudflare says hello</body></html>";
    assert!(matches!(
        problem(ListObjectsV2::new(bucket()).parse(&response(200, html))).1,
        ResponseProblem::UnexpectedRoot { .. }
    ));
}

#[test]
fn values_that_do_not_fit_are_invalid_elements() {
    let list = ListObjectsV2::new(bucket());
    for (element, body) in [
        (
            "Size",
            LISTING.replace("<Size>1</Size>", "<Size>99999999999999999999999</Size>"),
        ),
        ("Size", LISTING.replace("<Size>1</Size>", "<Size>-1</Size>")),
        ("IsTruncated", LISTING.replace(">false<", ">maybe<")),
        (
            "LastModified",
            LISTING.replace("<Size>1</Size>", "<LastModified>yesterday</LastModified>"),
        ),
        (
            "KeyCount",
            LISTING.replace("<Name>bkt</Name>", "<KeyCount>4294967296</KeyCount>"),
        ),
    ] {
        let (_, problem) = problem(list.parse(&response(200, &body)));
        assert!(
            matches!(&problem, ResponseProblem::InvalidElement { element: e, .. } if *e == element),
            "{element}: {problem:?}"
        );
    }
}

#[test]
fn missing_elements_and_headers_are_named() {
    let create = CreateMultipartUpload::new(bucket(), key());
    let body =
        "<InitiateMultipartUploadResult><Bucket>bkt</Bucket></InitiateMultipartUploadResult>";
    assert_eq!(
        problem(create.parse(&response(200, body))).1,
        ResponseProblem::MissingElement("UploadId")
    );
    let list = ListObjectsV2::new(bucket());
    assert_eq!(
        problem(list.parse(&response(200, &LISTING.replace("<Key>a</Key>", "")))).1,
        ResponseProblem::MissingElement("Key")
    );
    let parts = ListParts::new(bucket(), key(), "u");
    let body =
        "<ListPartsResult><Part><PartNumber>1</PartNumber><Size>5</Size></Part></ListPartsResult>";
    assert_eq!(
        problem(parts.parse(&response(200, body))).1,
        ResponseProblem::MissingElement("ETag")
    );
    let complete =
        CompleteMultipartUpload::new(bucket(), key(), "u", vec![CompletedPart::new(1, "e")]);
    assert_eq!(
        problem(complete.parse(&response(200, "<CompleteMultipartUploadResult/>"))).1,
        ResponseProblem::MissingElement("ETag")
    );
    let put = PutObject::new(bucket(), key(), "b");
    assert_eq!(
        problem(put.parse(&response(200, ""))).1,
        ResponseProblem::MissingHeader("etag")
    );
}

#[test]
fn bad_headers_are_invalid_headers() {
    let head = HeadObject::new(bucket(), key());
    for (name, value) in [
        ("content-length", "12abc"),
        ("content-length", "99999999999999999999999"),
        ("last-modified", "2024-05-01"),
        ("content-range", "bytes 9-1/10"),
        ("x-amz-mp-parts-count", "-3"),
    ] {
        let response = http::Response::builder()
            .status(200)
            .header(name, value)
            .body(Bytes::new())
            .unwrap();
        assert!(
            matches!(problem(head.parse(&response)).1, ResponseProblem::InvalidHeader { header, .. } if header == name),
            "{name}: {value}"
        );
    }
}

#[test]
fn short_bodies_are_incomplete_transfers() {
    let get = GetObject::new(bucket(), key());
    let response = http::Response::builder()
        .status(200)
        .header("content-length", "10")
        .body(Bytes::from_static(b"12345"))
        .unwrap();
    assert_eq!(
        get.parse(&response).unwrap_err(),
        R2Error::Transfer(TransferError::IncompleteBody {
            expected: 10,
            received: 5
        })
    );
}

#[test]
fn entity_expansion_is_refused() {
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>
        <ListBucketResult><Name>&lol2;</Name></ListBucketResult>"#;
    assert!(matches!(
        problem(ListObjectsV2::new(bucket()).parse(&response(200, bomb))).1,
        ResponseProblem::MalformedXml(reason) if reason.contains("lol2")
    ));
}

#[test]
fn unknown_error_codes_are_kept_verbatim() {
    let body = "<Error><Code>BrandNewThing</Code><Message>new in 2027</Message></Error>";
    let err = ListObjectsV2::new(bucket())
        .parse(&response(418, body))
        .unwrap_err();
    let R2Error::Unrecognized(details) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(details.code, "BrandNewThing");
    assert_eq!(details.message, "new in 2027");
    assert_eq!(details.status, 418);
    assert!(!err.is_retryable());
}
