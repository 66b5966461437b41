//! What each payload-integrity mode costs per byte, over an 8 MiB part (the
//! figure × 128 is the CPU per GiB): the modes a PUT or part can carry
//! (`UNSIGNED-PAYLOAD` with nothing, the default CRC32, CRC32C, Content-MD5,
//! a SHA-256 signed payload) and the digests a GET body can be verified
//! with. aws-chunked trailers are not offered: R2 does not take them.
//! Run: `cargo bench -p r2-proto --bench integrity`.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use http::{HeaderMap, HeaderValue, StatusCode};
use r2_proto::model::{BodyCheck, Checksum, Integrity};
use r2_proto::ops::{Operation, PutObject};
use r2_proto::{BucketName, Config, Credentials, Endpoint, ObjectKey, PayloadHash};
use time::macros::datetime;

const PART: usize = 8 << 20;

fn integrity(c: &mut Criterion) {
    let body = Bytes::from((0..PART).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>());
    let config = Config::for_endpoint(
        "https://example.test",
        Credentials::new("AKIDEXAMPLE", "secret").unwrap(),
    )
    .build()
    .unwrap();
    let endpoint: &Endpoint = config.endpoint();
    let signer = config.signer();
    let now = datetime!(2024-05-01 12:00 UTC);
    let bucket = BucketName::new("bucket").unwrap();
    let key = ObjectKey::new("part").unwrap();
    let put = || PutObject::new(bucket.clone(), key.clone(), body.clone());
    let sign = |put: PutObject| {
        put.to_request(endpoint)
            .unwrap()
            .sign(&signer, now)
            .unwrap()
    };

    let mut group = c.benchmark_group("integrity per 8 MiB");
    group.throughput(Throughput::Bytes(PART as u64));
    group.bench_function("put: UNSIGNED-PAYLOAD, no header", |b| {
        b.iter(|| black_box(sign(put().no_integrity())))
    });
    group.bench_function("put: x-amz-checksum-crc32 (the default)", |b| {
        b.iter(|| black_box(sign(put())))
    });
    group.bench_function("put: x-amz-checksum-crc32c", |b| {
        b.iter(|| black_box(sign(put().integrity(Checksum::crc32c_of(&body)))))
    });
    group.bench_function("put: Content-MD5", |b| {
        b.iter(|| black_box(sign(put().integrity(Integrity::content_md5_of(&body)))))
    });
    group.bench_function("put: SHA-256 signed payload", |b| {
        b.iter(|| {
            black_box(sign(
                put().no_integrity().payload_hash(PayloadHash::of(&body)),
            ))
        })
    });
    let verify = |name: &'static str, value: String| {
        let mut headers = HeaderMap::new();
        headers.insert("content-length", HeaderValue::from(PART));
        headers.insert(name, HeaderValue::from_str(&value).unwrap());
        headers
    };
    let crc = verify(
        "x-amz-checksum-crc32",
        Checksum::crc32_of(&body).to_base64(),
    );
    let md5_hex: String = {
        let base64 = Integrity::content_md5_of(&body).header_value();
        let raw =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, base64).unwrap();
        raw.iter().map(|b| format!("{b:02x}")).collect()
    };
    let md5 = verify("etag", format!("\"{md5_hex}\""));
    for (name, headers) in [
        ("get: verify CRC32 (checksum mode)", crc),
        ("get: verify MD5 ETag", md5),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut check = BodyCheck::for_response(StatusCode::OK, &headers);
                check.update(&body);
                check.finish().unwrap();
            })
        });
    }
    group.finish();
}

criterion_group!(benches, integrity);
criterion_main!(benches);
