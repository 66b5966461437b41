//! The exact signed request (method, URL, headers, body) of every operation
//! for representative inputs, and of the presigned URLs, under a fixed clock
//! and the AWS documentation's example credentials.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use r2_proto::PayloadHash;
use r2_proto::model::{
    ByteRange, Checksum, ChecksumAlgorithm, ChecksumType, Integrity, MetadataDirective,
    StorageClass,
};
use r2_proto::ops::{
    AbortMultipartUpload, CompleteMultipartUpload, CompletedPart, CopyObject, CopySource,
    CreateMultipartUpload, DeleteObject, DeleteObjects, GetBucketLifecycleConfiguration, GetObject,
    HeadObject, ListBuckets, ListMultipartUploads, ListObjectsV2, ListParts, Operation, PutObject,
    RequestBody, UploadPart, UploadPartCopy,
};
use r2_proto::{BucketName, Config, Credentials, ObjectKey};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2024-05-01 12:34:56 UTC);

fn config() -> Config {
    let credentials = Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    .unwrap();
    Config::for_account("0a1b2c3d4e5f60718293a4b5c6d7e8f9", credentials)
        .build()
        .unwrap()
}

fn bucket() -> BucketName {
    BucketName::new("my-bucket").unwrap()
}

fn key(k: &str) -> ObjectKey {
    ObjectKey::new(k).unwrap()
}

/// The signed request as text: request line, headers sorted by name, body.
fn signed<O: Operation>(operation: &O) -> String {
    let config = config();
    let prepared = operation.to_request(config.endpoint()).unwrap();
    let request = prepared.sign(&config.signer(), NOW).unwrap();
    let mut out = format!("{} {}\n", request.method(), request.uri());
    let mut headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    headers.sort();
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    match request.body() {
        RequestBody::Empty => {}
        RequestBody::Bytes(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) if !text.chars().any(char::is_control) => {
                out.push_str(&format!("\n{text}\n"));
            }
            _ => out.push_str(&format!("\n<{} binary bytes>\n", bytes.len())),
        },
        RequestBody::Chunks(chunks) => {
            let len: usize = chunks.iter().map(|c| c.len()).sum();
            out.push_str(&format!("\n<{len} bytes in {} chunks>\n", chunks.len()));
        }
        RequestBody::Stream { content_length } => {
            out.push_str(&format!(
                "\n<{content_length} bytes streamed by the adapter>\n"
            ));
        }
    }
    out
}

fn presigned<O: Operation>(operation: &O, seconds: u64) -> String {
    let config = config();
    let presigned = operation
        .presign(
            config.endpoint(),
            &config.signer(),
            Duration::from_secs(seconds),
            NOW,
        )
        .unwrap();
    let mut out = format!("{} {}\n", presigned.method(), presigned.url());
    for (name, value) in presigned.headers() {
        out.push_str(&format!("{name}: {}\n", value.to_str().unwrap()));
    }
    out.push_str(&format!("expires at {}\n", presigned.expires_at()));
    out
}

#[test]
fn put_object() {
    let body = "hello, world";
    let put = PutObject::new(bucket(), key("docs/hello world.txt"), body)
        .content_type("text/plain; charset=utf-8")
        .cache_control("max-age=60")
        .content_disposition("inline")
        .content_encoding("identity")
        .content_language("en")
        .expires(datetime!(2030-01-01 0:00 UTC))
        .metadata("Author", "Ada Lovelace")
        .metadata("city", "Zürich")
        .storage_class(StorageClass::StandardIa)
        .integrity(Integrity::content_md5_of(body.as_bytes()))
        .if_none_match_any();
    insta::assert_snapshot!(signed(&put));
}

#[test]
fn put_object_streamed_with_checksum_and_signed_payload() {
    let put = PutObject::streamed(bucket(), key("big.bin"), 1 << 20)
        .integrity(Checksum::Crc32c(0x1234_5678))
        .payload_hash(PayloadHash::from_hex(&"ab".repeat(32)).unwrap())
        .if_match("\"9b2cf535f27731c974343645a3985328\"");
    insta::assert_snapshot!(signed(&put));
}

#[test]
fn get_object() {
    let get = GetObject::new(bucket(), key("videos/a+b (1).mp4"))
        .range(ByteRange::inclusive(0, 1023).unwrap())
        .if_match("9b2cf535f27731c974343645a3985328")
        .if_modified_since(datetime!(2024-04-01 8:00 UTC))
        .response_content_type("video/mp4")
        .response_content_disposition("attachment; filename=\"a b.mp4\"");
    insta::assert_snapshot!(signed(&get));
}

#[test]
fn get_object_suffix_range_and_part() {
    let get = GetObject::new(bucket(), key("../dots/./and//slashes/"))
        .range(ByteRange::suffix(500).unwrap())
        .part_number(2)
        .if_none_match("\"abc\"")
        .if_unmodified_since(datetime!(2024-04-01 8:00 UTC));
    insta::assert_snapshot!(signed(&get));
}

#[test]
fn head_object() {
    let head = HeadObject::new(bucket(), key("日本語/ファイル")).if_none_match("\"abc\"");
    insta::assert_snapshot!(signed(&head));
}

#[test]
fn delete_object() {
    insta::assert_snapshot!(signed(&DeleteObject::new(
        bucket(),
        key("old/stale file.txt")
    )));
}

#[test]
fn delete_objects() {
    let keys = ["a.txt", "b&c <d>.txt", "tab\there", "line\r\nbreak"].map(key);
    insta::assert_snapshot!(signed(&DeleteObjects::new(bucket(), keys).quiet(true)));
}

#[test]
fn copy_object() {
    let source = CopySource::new(
        BucketName::new("src-bucket").unwrap(),
        key("dir/my file+1 é.txt"),
    );
    let copy = CopyObject::new(source, bucket(), key("dest/copy.txt"))
        .metadata_directive(MetadataDirective::Replace)
        .content_type("text/plain")
        .metadata("copied-by", "r2")
        .storage_class(StorageClass::Standard)
        .source_if_match("\"9b2cf535f27731c974343645a3985328\"")
        .source_if_unmodified_since(datetime!(2024-04-01 8:00 UTC))
        .destination_if_none_match_any();
    insta::assert_snapshot!(signed(&copy));
}

#[test]
fn list_objects_v2() {
    let list = ListObjectsV2::new(bucket())
        .prefix("photos/2024 summer/")
        .delimiter("/")
        .max_keys(100)
        .continuation_token("1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")
        .start_after("photos/2024 summer/a+b.jpg")
        .fetch_owner(true);
    insta::assert_snapshot!(signed(&list));
}

#[test]
fn list_buckets() {
    insta::assert_snapshot!(signed(&ListBuckets::new().prefix("logs-").max_keys(10)));
}

#[test]
fn create_multipart_upload() {
    let create = CreateMultipartUpload::new(bucket(), key("videos/big file.mp4"))
        .content_type("video/mp4")
        .metadata("origin", "camera 1")
        .checksum(ChecksumAlgorithm::Crc32, ChecksumType::Composite);
    insta::assert_snapshot!(signed(&create));
}

#[test]
fn upload_part() {
    let data = vec![7u8; 16];
    let part = UploadPart::new(
        bucket(),
        key("videos/big file.mp4"),
        "2~iCw_lDY8VoNIAbwrVy/Ab+Cd=",
        3,
        data.clone(),
    )
    .integrity(Integrity::content_md5_of(&data));
    insta::assert_snapshot!(signed(&part));
}

#[test]
fn upload_part_copy() {
    let source = CopySource::new(
        BucketName::new("src-bucket").unwrap(),
        key("big/source.bin"),
    );
    let copy = UploadPartCopy::new(bucket(), key("big/target.bin"), "upload-id", 1, source)
        .range(0, 5_242_879);
    insta::assert_snapshot!(signed(&copy));
}

#[test]
fn complete_multipart_upload() {
    let parts = vec![
        CompletedPart::new(1, "\"a54357aff0632cce46d942af68356b38\"").checksum(Checksum::Crc32(1)),
        CompletedPart::new(2, "0c78aef83f66abc1fa1e8477f296d394").checksum(Checksum::Crc32(2)),
    ];
    let complete =
        CompleteMultipartUpload::new(bucket(), key("videos/big file.mp4"), "upload-id", parts);
    insta::assert_snapshot!(signed(&complete));
}

#[test]
fn abort_multipart_upload() {
    insta::assert_snapshot!(signed(&AbortMultipartUpload::new(
        bucket(),
        key("videos/big file.mp4"),
        "upload-id"
    )));
}

#[test]
fn list_parts() {
    let list = ListParts::new(bucket(), key("videos/big file.mp4"), "upload-id")
        .max_parts(100)
        .part_number_marker(200);
    insta::assert_snapshot!(signed(&list));
}

#[test]
fn list_multipart_uploads() {
    let list = ListMultipartUploads::new(bucket())
        .prefix("videos/")
        .delimiter("/")
        .markers("videos/a b.mp4", Some("2~iCw_lDY8VoNIAbwrVy/Ab+Cd=".into()))
        .max_uploads(50);
    insta::assert_snapshot!(signed(&list));
}

#[test]
fn get_bucket_lifecycle_configuration() {
    insta::assert_snapshot!(signed(&GetBucketLifecycleConfiguration::new(bucket())));
}

#[test]
fn presigned_get_head_delete() {
    let get = GetObject::new(bucket(), key("shared/résumé final+v2.pdf"))
        .response_content_disposition("attachment");
    let head = HeadObject::new(bucket(), key("photo.jpg"));
    let delete = DeleteObject::new(bucket(), key("tmp/delete me.txt"));
    insta::assert_snapshot!(format!(
        "{}\n{}\n{}",
        presigned(&get, 3600),
        presigned(&head, 600),
        presigned(&delete, 300)
    ));
}

#[test]
fn presigned_put_binds_content_type_and_metadata() {
    let put = PutObject::streamed(bucket(), key("uploads/image.png"), 0)
        .content_type("image/png")
        .metadata("uploader", "browser");
    insta::assert_snapshot!(presigned(&put, 900));
}

#[test]
fn presigned_upload_part() {
    let part = UploadPart::streamed(
        bucket(),
        key("videos/big file.mp4"),
        "upload-id",
        7,
        5 << 20,
    );
    insta::assert_snapshot!(presigned(&part, 604_800));
}

#[test]
fn posts_are_not_presigned() {
    let create = CreateMultipartUpload::new(bucket(), key("k"));
    let config = config();
    let err = create
        .presign(
            config.endpoint(),
            &config.signer(),
            Duration::from_secs(60),
            NOW,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "CreateMultipartUpload cannot be presigned: R2 presigns GET, HEAD, PUT and DELETE requests only"
    );
}

/// The integrity defaults: a PutObject carries the CRC32 of its body (as
/// Python's `zlib.crc32(b"hello, world")` gives it, `/6tyOg==`) and a
/// whole-object GET asks for the checksum; presigned URLs carry neither,
/// and `no_integrity` turns the CRC32 off.
#[test]
fn integrity_defaults_and_their_absence_from_presigned_urls() {
    let put = PutObject::new(bucket(), key("k"), "hello, world");
    let sent = signed(&put);
    assert!(sent.contains("x-amz-checksum-crc32: /6tyOg==\n"), "{sent}");
    assert!(sent.contains("x-amz-checksum-crc32;"), "signed too: {sent}");
    let url = presigned(&put, 60);
    assert!(!url.contains("checksum"), "{url}");
    assert!(!signed(&put.clone().no_integrity()).contains("checksum"));

    let get = GetObject::new(bucket(), key("k"));
    assert!(signed(&get).contains("x-amz-checksum-mode: ENABLED\n"));
    assert!(!presigned(&get, 60).contains("checksum"));
    let ranged = GetObject::new(bucket(), key("k")).range(ByteRange::inclusive(0, 9).unwrap());
    assert!(
        !signed(&ranged).contains("checksum"),
        "a range has no object checksum"
    );
}
