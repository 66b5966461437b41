//! Signing cost with a warm signing-key cache.
//!
//! `header_sign_get_object` builds a complete GetObject `http::Request`
//! (path-style URI with an encoded key) and header-signs it;
//! `presign_get` presigns the same object from a [`PresignTarget`] (bucket
//! and key, no `http::Request`); `presign_get_from_request` builds the
//! request first and presigns that.
//! Run: `cargo bench -p r2-proto --bench sign`.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use http::Method;
use r2_proto::ops::{Operation, PutObject};
use r2_proto::{BucketName, Config, Credentials, ObjectKey, PayloadHash, PresignTarget};
use time::macros::datetime;

fn signing(c: &mut Criterion) {
    let credentials = Credentials::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    .unwrap();
    let config = Config::for_account("0a1b2c3d4e5f60718293a4b5c6d7e8f9", credentials)
        .build()
        .unwrap();
    let signer = config.signer();
    let endpoint = config.endpoint();
    let bucket = BucketName::new("my-bucket").unwrap();
    let key = ObjectKey::new("photos/2024/holiday photo (1).jpg").unwrap();
    let now = datetime!(2024-05-01 12:34:56 UTC);

    // Warm the signing-key cache, as steady-state traffic would.
    let warm = http::Request::get(endpoint.object_uri(&bucket, &key, None).unwrap())
        .body(())
        .unwrap();
    signer
        .presign(&warm, Duration::from_secs(3600), now)
        .unwrap();

    c.bench_function("header_sign_get_object", |b| {
        b.iter(|| {
            let uri = endpoint
                .object_uri(black_box(&bucket), black_box(&key), None)
                .unwrap();
            let mut request = http::Request::get(uri).body(()).unwrap();
            signer
                .sign(&mut request, &PayloadHash::EMPTY, black_box(now))
                .unwrap();
            request
        })
    });

    c.bench_function("presign_get", |b| {
        b.iter(|| {
            let target =
                PresignTarget::object(Method::GET, endpoint, black_box(&bucket), black_box(&key));
            signer
                .presign_target(&target, Duration::from_secs(3600), black_box(now))
                .unwrap()
        })
    });

    c.bench_function("presign_get_from_request", |b| {
        b.iter(|| {
            let uri = endpoint
                .object_uri(black_box(&bucket), black_box(&key), None)
                .unwrap();
            let request = http::Request::get(uri).body(()).unwrap();
            signer
                .presign(&request, Duration::from_secs(3600), black_box(now))
                .unwrap()
        })
    });

    // A PUT whose 1 MiB body is signed with its SHA-256 (instead of
    // UNSIGNED-PAYLOAD): the hash is the cost; throughput in bytes.
    let body = bytes::Bytes::from(vec![0x5au8; 1 << 20]);
    let mut group = c.benchmark_group("sign_put");
    group.throughput(criterion::Throughput::Bytes(body.len() as u64));
    group.bench_function("sign_put_1mib_sha256_payload", |b| {
        b.iter(|| {
            let put = PutObject::new(bucket.clone(), key.clone(), body.clone())
                .no_integrity()
                .payload_hash(PayloadHash::of(black_box(&body)));
            put.to_request(endpoint)
                .unwrap()
                .sign(&signer, now)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, signing);
criterion_main!(benches);
