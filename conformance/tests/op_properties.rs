//! Invariants of the operations over generated inputs: builders never panic,
//! parsers never panic on any status, headers or bytes, and URL-encoded
//! listings decode back to the keys.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use bytes::Bytes;
use proptest::prelude::*;
use r2_proto::model::{
    ByteRange, Checksum, ChecksumAlgorithm, ChecksumType, Integrity, MetadataDirective,
};
use r2_proto::ops::{
    AbortMultipartUpload, CompleteMultipartUpload, CompletedPart, CopyObject, CopySource,
    CreateMultipartUpload, DeleteObject, DeleteObjects, GetBucketLifecycleConfiguration, GetObject,
    HeadObject, ListBuckets, ListMultipartUploads, ListObjectsV2, ListParts, Operation, PutObject,
    UploadPart, UploadPartCopy,
};
use r2_proto::percent;
use r2_proto::{BucketName, Config, Credentials, ObjectKey};
use time::macros::datetime;

fn config() -> Config {
    Config::for_account(
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        Credentials::new("AKIAIOSFODNN7EXAMPLE", "secret").unwrap(),
    )
    .build()
    .unwrap()
}

fn bucket() -> BucketName {
    BucketName::new("bkt").unwrap()
}

/// Builds, signs and presigns `operation`; any outcome but a panic is fine.
fn exercise<O: Operation>(operation: &O) {
    let config = config();
    if let Ok(prepared) = operation.to_request(config.endpoint()) {
        prepared
            .sign(&config.signer(), datetime!(2024-05-01 0:00 UTC))
            .unwrap();
    }
    let _ = operation.presign(
        config.endpoint(),
        &config.signer(),
        Duration::from_secs(60),
        datetime!(2024-05-01 0:00 UTC),
    );
}

/// Any text (control characters and non-ASCII included).
fn text() -> impl Strategy<Value = String> {
    "\\PC{0,24}|[\\x00-\\x1f\\x7f]{0,4}"
}

fn object_key() -> impl Strategy<Value = ObjectKey> {
    "\\PC{1,40}".prop_map(|k| ObjectKey::new(k).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn builders_never_panic(
        key in object_key(),
        other in object_key(),
        t in prop::collection::vec(text(), 8),
        n in prop::collection::vec(any::<u32>(), 4),
        range in (any::<u64>(), any::<u64>()),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        exercise(&PutObject::new(bucket(), key.clone(), body.clone())
            .content_type(t[0].clone())
            .cache_control(t[1].clone())
            .metadata(t[2].clone(), t[3].clone())
            .integrity(Integrity::content_md5_of(&body))
            .if_match(t[4].clone()));
        exercise(&PutObject::streamed(bucket(), key.clone(), u64::from(n[0]) * 4096)
            .integrity(Checksum::Crc64Nvme(u64::from(n[1]))));
        let mut get = GetObject::new(bucket(), key.clone())
            .response_content_disposition(t[5].clone())
            .part_number(n[2]);
        if let Ok(r) = ByteRange::inclusive(range.0, range.1) {
            get = get.range(r);
        }
        exercise(&get);
        exercise(&HeadObject::new(bucket(), key.clone()).if_none_match(t[6].clone()).part_number(n[3]));
        exercise(&DeleteObject::new(bucket(), key.clone()));
        exercise(&DeleteObjects::new(bucket(), vec![key.clone(), other.clone()]).quiet(true));
        exercise(&CopyObject::new(CopySource::new(bucket(), other.clone()), bucket(), key.clone())
            .metadata_directive(MetadataDirective::Merge)
            .metadata(t[7].clone(), t[0].clone()));
        exercise(&ListObjectsV2::new(bucket())
            .prefix(t[1].clone())
            .delimiter(t[2].clone())
            .continuation_token(t[3].clone())
            .start_after(t[4].clone())
            .max_keys(n[0]));
        exercise(&ListBuckets::new().prefix(t[5].clone()).max_keys(n[1]));
        exercise(&CreateMultipartUpload::new(bucket(), key.clone())
            .content_type(t[6].clone())
            .checksum(ChecksumAlgorithm::Crc64Nvme, ChecksumType::Composite));
        exercise(&UploadPart::new(bucket(), key.clone(), t[7].clone(), n[2], body.clone()));
        exercise(&UploadPartCopy::new(bucket(), key.clone(), t[0].clone(), n[3], CopySource::new(bucket(), other))
            .range(range.0, range.1));
        let parts = n.iter().map(|&p| CompletedPart::new(p, t[1].clone())).collect();
        exercise(&CompleteMultipartUpload::new(bucket(), key.clone(), t[2].clone(), parts));
        exercise(&AbortMultipartUpload::new(bucket(), key.clone(), t[3].clone()));
        exercise(&ListParts::new(bucket(), key, t[4].clone()).max_parts(n[0]).part_number_marker(n[1]));
        exercise(&ListMultipartUploads::new(bucket())
            .prefix(t[5].clone())
            .markers(t[6].clone(), Some(t[7].clone()))
            .max_uploads(n[2]));
        exercise(&GetBucketLifecycleConfiguration::new(bucket()));
    }

    #[test]
    fn parsers_never_panic(
        status in 100u16..600,
        headers in prop::collection::vec((
            prop::sample::select(vec![
                "etag", "content-length", "content-range", "last-modified", "retry-after", "date",
                "x-amz-meta-a", "x-amz-mp-parts-count", "x-amz-missing-meta", "cf-is-truncated",
                "x-amz-checksum-crc32", "x-amz-request-id",
            ]),
            "[ -~]{0,30}",
        ), 0..6),
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..200).prop_map(Bytes::from),
            xmlish().prop_map(Bytes::from),
        ],
    ) {
        let mut builder = http::Response::builder().status(status);
        for (name, value) in &headers {
            builder = builder.header(*name, value.as_str());
        }
        let response = builder.body(body).unwrap();
        let key = ObjectKey::new("k").unwrap();
        let _ = PutObject::new(bucket(), key.clone(), "b").parse(&response);
        let _ = GetObject::new(bucket(), key.clone()).parse(&response);
        let _ = HeadObject::new(bucket(), key.clone()).parse(&response);
        let _ = DeleteObject::new(bucket(), key.clone()).parse(&response);
        let _ = DeleteObjects::new(bucket(), [key.clone()]).parse(&response);
        let _ = CopyObject::new(CopySource::new(bucket(), key.clone()), bucket(), key.clone()).parse(&response);
        let _ = ListObjectsV2::new(bucket()).parse(&response);
        let _ = ListBuckets::new().parse(&response);
        let _ = CreateMultipartUpload::new(bucket(), key.clone()).parse(&response);
        let _ = UploadPart::new(bucket(), key.clone(), "u", 1, "b").parse(&response);
        let _ = UploadPartCopy::new(bucket(), key.clone(), "u", 1, CopySource::new(bucket(), key.clone())).parse(&response);
        let _ = CompleteMultipartUpload::new(bucket(), key.clone(), "u", vec![CompletedPart::new(1, "e")]).parse(&response);
        let _ = AbortMultipartUpload::new(bucket(), key.clone(), "u").parse(&response);
        let _ = ListParts::new(bucket(), key, "u").parse(&response);
        let _ = ListMultipartUploads::new(bucket()).parse(&response);
        let _ = GetBucketLifecycleConfiguration::new(bucket()).parse(&response);
    }

    /// A listing with `encoding-type=url` decodes to the original keys and
    /// prefixes, with spaces written as `+` or `%20`.
    #[test]
    fn url_encoded_listings_decode_to_the_keys(
        keys in prop::collection::vec("[\\PC\\x01-\\x1f\\x7f]{1,30}", 1..10),
        prefixes in prop::collection::vec("\\PC{1,10}/", 0..3),
        plus in any::<bool>(),
    ) {
        let encode = |text: &str| {
            let encoded = percent::encode_component(text);
            if plus { encoded.replace("%20", "+") } else { encoded }
        };
        let mut body = String::from("<ListBucketResult><EncodingType>url</EncodingType>");
        for key in &keys {
            body.push_str(&format!("<Contents><Key>{}</Key><Size>1</Size></Contents>", encode(key)));
        }
        for prefix in &prefixes {
            body.push_str(&format!("<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>", encode(prefix)));
        }
        body.push_str("</ListBucketResult>");
        let response = http::Response::builder().status(200).body(Bytes::from(body)).unwrap();
        let output = ListObjectsV2::new(bucket()).parse(&response).unwrap();
        let got: Vec<String> = output.contents.into_iter().map(|o| o.key).collect();
        prop_assert_eq!(got, keys);
        prop_assert_eq!(output.common_prefixes, prefixes);
    }
}

/// Bodies that look like S3 XML: known elements, nested, with text, cut or not.
fn xmlish() -> impl Strategy<Value = String> {
    let element = prop::sample::select(vec![
        "Error",
        "Code",
        "Message",
        "ListBucketResult",
        "Contents",
        "Key",
        "Size",
        "IsTruncated",
        "NextContinuationToken",
        "ETag",
        "LastModified",
        "UploadId",
        "Part",
        "PartNumber",
        "DeleteResult",
        "Deleted",
        "CopyObjectResult",
        "InitiateMultipartUploadResult",
        "CompleteMultipartUploadResult",
        "ListPartsResult",
        "Rule",
        "Expiration",
        "Days",
        "LifecycleConfiguration",
        "Upload",
        "EncodingType",
        "Buckets",
        "Bucket",
    ]);
    let leaf = (element.clone(), "[a-z0-9 &;%+<>\"-]{0,12}")
        .prop_map(|(name, text)| format!("<{name}>{text}</{name}>"));
    let tree = leaf.prop_recursive(3, 24, 4, move |inner| {
        (element.clone(), prop::collection::vec(inner, 0..4))
            .prop_map(|(name, children)| format!("<{name}>{}</{name}>", children.concat()))
    });
    (tree, any::<prop::sample::Index>(), any::<bool>()).prop_map(|(doc, cut, truncate)| {
        if truncate && !doc.is_empty() {
            let mut at = cut.index(doc.len());
            while !doc.is_char_boundary(at) {
                at -= 1;
            }
            doc[..at].to_owned()
        } else {
            doc
        }
    })
}
