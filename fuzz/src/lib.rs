//! Bodies of the fuzz targets, kept here so that the stored corpora also
//! replay as ordinary tests on stable (`cargo test` in this directory).
//!
//! Each function must never panic on any input; where a property holds, it
//! is asserted, so a counterexample is a crash the fuzzer reports.

use std::time::Duration;

use arbitrary::Arbitrary;
use http::{HeaderName, HeaderValue, Method, Request};
use r2_proto::ops::{
    AbortMultipartUpload, CompleteMultipartUpload, CompletedPart, CopyObject, CopySource,
    CreateMultipartUpload, DeleteObject, DeleteObjects, GetBucketLifecycleConfiguration, GetObject,
    HeadObject, ListBuckets, ListMultipartUploads, ListObjectsV2, ListParts, Operation, PutObject,
    UploadPart, UploadPartCopy,
};
use r2_proto::{
    BucketName, Config, Credentials, Endpoint, ObjectKey, PayloadHash, PresignTarget, Signer,
    percent,
};
use time::OffsetDateTime;

/// A request to sign, as the fuzzer shapes it.
#[derive(Debug, Arbitrary)]
pub struct SignInput {
    method: u8,
    key: String,
    query: Vec<(String, String)>,
    raw_query: Option<String>,
    headers: Vec<(String, Vec<u8>)>,
    expires_secs: u32,
    unix_time: i64,
    token: Option<String>,
    payload: Option<Vec<u8>>,
}

/// Signs and presigns an arbitrary request; checks that header signing and
/// its explanation agree and that the presigned URL parses as a URI.
pub fn sign_request(input: SignInput) {
    let method = [
        Method::GET,
        Method::PUT,
        Method::HEAD,
        Method::DELETE,
        Method::POST,
    ][usize::from(input.method % 5)]
    .clone();
    let Ok(mut credentials) = Credentials::new("AKIAIOSFODNN7EXAMPLE", "secret/key+=") else {
        return;
    };
    if let Some(token) = &input.token {
        match credentials.clone().with_session_token(token.as_str()) {
            Ok(with_token) => credentials = with_token,
            Err(_) => return,
        }
    }
    let signer = Signer::new(credentials);
    let Ok(now) = OffsetDateTime::from_unix_timestamp(input.unix_time % 253_402_300_799) else {
        return;
    };
    let Ok(endpoint) =
        Endpoint::parse("https://0a1b2c3d4e5f60718293a4b5c6d7e8f9.r2.cloudflarestorage.com")
    else {
        return;
    };
    let Ok(bucket) = BucketName::new("bucket") else {
        return;
    };
    let Ok(key) = ObjectKey::new(input.key) else {
        return;
    };

    let mut query: String = input
        .query
        .iter()
        .map(|(n, v)| {
            format!(
                "{}={}",
                percent::encode_component(n),
                percent::encode_component(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    if let Some(raw) = input.raw_query {
        query.push('&');
        query.push_str(&raw);
    }
    let Ok(uri) = endpoint.object_uri(&bucket, &key, Some(&query)) else {
        return;
    };
    let mut request = Request::builder()
        .method(method.clone())
        .uri(uri)
        .body(())
        .unwrap_or_default();
    let Ok(mut target) = PresignTarget::object(method, &endpoint, &bucket, &key).query(query)
    else {
        panic!("object_uri accepted a query that PresignTarget refuses");
    };
    for (name, value) in input.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(&value),
        ) {
            request.headers_mut().append(name.clone(), value.clone());
            target = target.header(name, value);
        }
    }
    let payload = input
        .payload
        .as_deref()
        .map_or(PayloadHash::UNSIGNED, PayloadHash::of);

    let explained = signer.explain(&request, &payload, now);
    let presigned = signer.presign(
        &request,
        Duration::from_secs(u64::from(input.expires_secs)),
        now,
    );
    let targeted = signer.presign_target(
        &target,
        Duration::from_secs(u64::from(input.expires_secs)),
        now,
    );
    match (&presigned, &targeted) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a.url(), b.url(), "presign and presign_target disagree");
            assert!(
                a.url().parse::<http::Uri>().is_ok(),
                "presigned URL is not a URI"
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("presign and presign_target disagree on success"),
    }
    match (explained, signer.sign(&mut request, &payload, now)) {
        (Ok(trace), Ok(())) => {
            let auth = request
                .headers()
                .get("authorization")
                .map(|v| v.as_bytes().to_vec());
            let expected = format!("Signature={}", trace.signature).into_bytes();
            assert!(
                auth.is_some_and(|a| a.ends_with(&expected)),
                "sign and explain disagree"
            );
        }
        (Err(a), Err(b)) => assert_eq!(a, b),
        (a, b) => panic!("sign and explain disagree: {a:?} vs {b:?}"),
    }
}

/// Object keys: encoding is exact and decodes back; the lenient decoder and
/// the component encoder never panic and round-trip.
pub fn key_encoding(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = percent::decode(&text);
    let component = percent::encode_component(&text);
    assert_eq!(percent::decode(&component).as_ref(), text.as_bytes());
    if let Ok(key) = ObjectKey::new(text.as_ref()) {
        let encoded = key.encoded();
        assert_eq!(percent::decode(&encoded).as_ref(), text.as_bytes());
        assert!(
            encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b))
        );
    }
}

/// Configuration inputs: account ids, endpoint URLs, bucket names and
/// credentials are validated without panicking.
pub fn config_input(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let (first, second, third) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let _ = BucketName::new(first);
    let _ = Endpoint::parse(first);
    let Ok(credentials) = Credentials::new(second, third) else {
        return;
    };
    let _ = credentials.clone().with_session_token(first);
    if let Ok(config) = Config::for_account(first, credentials.clone()).build() {
        assert!(
            config
                .endpoint()
                .url()
                .ends_with(".r2.cloudflarestorage.com")
        );
    }
    let _ = Config::for_endpoint(first, credentials)
        .allow_insecure_http()
        .build();
}

/// Proxy settings and a proxy's answer over arbitrary text: line 1 a
/// proxy URL, line 2 a `NO_PROXY` list, line 3 a host, the rest the
/// proxy's answer to `CONNECT`. A parsed proxy prints as a URL that parses
/// back to it (without credentials), its `CONNECT` request is one head,
/// and an answer is read to a typed outcome, open only after a whole head.
pub fn proxy_input(data: &[u8]) {
    use r2_proto::proxy::{Proxies, Proxy, TunnelAnswer};
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(4, '\n');
    let mut next = || lines.next().unwrap_or_default();
    let (url, no_proxy, host, answer) = (next(), next(), next(), next());
    let Ok(proxy) = Proxy::parse(url) else {
        return;
    };
    let shown = Proxy::parse(&proxy.to_string()).expect("a proxy prints as a URL");
    assert_eq!((shown.host(), shown.port()), (proxy.host(), proxy.port()));
    let request = proxy.connect_request(host, 443);
    assert!(request.ends_with(b"\r\n\r\n"));
    let proxies = Proxies::all(proxy.clone()).no_proxy(no_proxy);
    let _ = proxies.for_target(true, host);
    if let Ok(TunnelAnswer::Open) = TunnelAnswer::read(answer.as_bytes(), &proxy) {
        assert!(answer.ends_with("\r\n\r\n"));
    }
}

/// Every response parser over arbitrary bytes: byte 0 picks the operation,
/// byte 1 the status, the rest is the body. Parsers must return a typed
/// result, never panic; a success must come from a 2xx status.
pub fn parse_response(data: &[u8]) {
    let (Some(&which), Some(&status_byte)) = (data.first(), data.get(1)) else {
        return;
    };
    let statuses = [
        200u16, 206, 204, 304, 400, 403, 404, 412, 416, 429, 500, 501, 503,
    ];
    let status = statuses[usize::from(status_byte) % statuses.len()];
    let body = bytes::Bytes::copy_from_slice(data.get(2..).unwrap_or_default());
    let Ok(response) = http::Response::builder()
        .status(status)
        .header("etag", "\"e\"")
        .body(body)
    else {
        return;
    };
    let (Ok(bucket), Ok(key)) = (BucketName::new("bucket"), ObjectKey::new("key")) else {
        return;
    };
    let ok = match which % 17 {
        0 => PutObject::new(bucket, key, "b").parse(&response).is_ok(),
        1 => GetObject::new(bucket, key).parse(&response).is_ok(),
        2 => HeadObject::new(bucket, key).parse(&response).is_ok(),
        3 => DeleteObject::new(bucket, key).parse(&response).is_ok(),
        4 => DeleteObjects::new(bucket, [key]).parse(&response).is_ok(),
        5 => CopyObject::new(CopySource::new(bucket.clone(), key.clone()), bucket, key)
            .parse(&response)
            .is_ok(),
        6 => ListObjectsV2::new(bucket).parse(&response).is_ok(),
        7 => ListBuckets::new().parse(&response).is_ok(),
        8 => CreateMultipartUpload::new(bucket, key)
            .parse(&response)
            .is_ok(),
        9 => UploadPart::new(bucket, key, "u", 1, "b")
            .parse(&response)
            .is_ok(),
        10 => UploadPartCopy::new(
            bucket.clone(),
            key.clone(),
            "u",
            1,
            CopySource::new(bucket, key),
        )
        .parse(&response)
        .is_ok(),
        11 => CompleteMultipartUpload::new(bucket, key, "u", vec![CompletedPart::new(1, "e")])
            .parse(&response)
            .is_ok(),
        12 => AbortMultipartUpload::new(bucket, key, "u")
            .parse(&response)
            .is_ok(),
        13 => ListParts::new(bucket, key, "u").parse(&response).is_ok(),
        14 => ListMultipartUploads::new(bucket).parse(&response).is_ok(),
        15 => GetBucketLifecycleConfiguration::new(bucket)
            .parse(&response)
            .is_ok(),
        _ => {
            let list = ListObjectsV2::new(bucket);
            if let Ok(output) = list.parse(&response) {
                let mut pages = list.pages();
                if pages.advance(&output).is_ok() && pages.next_request().is_some() {
                    assert!(
                        pages.advance(&output).is_err(),
                        "the same page twice must not loop"
                    );
                }
            }
            false
        }
    };
    // Lifecycle turns a 404 NoSuchLifecycleConfiguration into "no rules".
    assert!(
        !ok || status < 300 || (which % 17 == 15 && status == 404),
        "success from status {status}"
    );
}

pub mod machines;
pub use machines::{download_machine, upload_machine};

/// Error answers: an error status (or a 200 whose body is `<Error>`) with
/// arbitrary `Retry-After`, `Date` and request-id headers and body, through
/// the parsers of operations that read and write. An error status is never
/// a success; the error carries that status and reads without panicking.
pub fn error_response(data: &[u8]) {
    let mut u = arbitrary::Unstructured::new(data);
    let statuses = [
        400u16, 401, 403, 404, 405, 409, 411, 412, 416, 429, 500, 501, 502, 503, 504, 301, 307, 200,
    ];
    let status = statuses[usize::from(u.arbitrary::<u8>().unwrap_or(0)) % statuses.len()];
    let mut builder = http::Response::builder().status(status);
    for name in [
        "retry-after",
        "date",
        "x-amz-request-id",
        "x-amz-id-2",
        "cf-ray",
        "content-type",
    ] {
        if u.arbitrary::<bool>().unwrap_or(false)
            && let Ok(value) = u.arbitrary::<String>()
            && let Ok(value) = HeaderValue::from_str(&value)
        {
            builder = builder.header(name, value);
        }
    }
    let body = bytes::Bytes::copy_from_slice(u.take_rest());
    let Ok(response) = builder.body(body) else {
        return;
    };
    let (Ok(bucket), Ok(key)) = (BucketName::new("bucket"), ObjectKey::new("key")) else {
        return;
    };
    let results = [
        GetObject::new(bucket.clone(), key.clone())
            .parse(&response)
            .err(),
        HeadObject::new(bucket.clone(), key.clone())
            .parse(&response)
            .err(),
        PutObject::new(bucket.clone(), key.clone(), "b")
            .parse(&response)
            .err(),
        CompleteMultipartUpload::new(bucket, key, "u", vec![CompletedPart::new(1, "e")])
            .parse(&response)
            .err(),
    ];
    for (which, error) in results.into_iter().enumerate() {
        let Some(error) = error else {
            assert!(
                status < 300,
                "operation {which}: success from status {status}"
            );
            continue;
        };
        if let Some(seen) = error.status()
            && status >= 300
        {
            assert_eq!(
                seen, status,
                "operation {which}: the error names another status"
            );
        }
        let _ = (error.is_retryable(), error.retry_after(), error.code());
        assert!(!error.to_string().is_empty());
    }
}

/// Cassettes: any text is read as a cassette or refused with a typed
/// error; one that reads writes back to the same cassette and can be
/// replayed without panicking.
pub fn cassette(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(cassette) = r2_proto::replay::Cassette::from_json(&text) else {
        return;
    };
    let again = r2_proto::replay::Cassette::from_json(&cassette.to_json());
    assert_eq!(
        again.as_ref(),
        Ok(&cassette),
        "a cassette does not read back"
    );
    let Ok(replayer) = r2_proto::replay::Replayer::new(cassette) else {
        return;
    };
    let (Ok(bucket), Ok(key)) = (BucketName::new("bucket"), ObjectKey::new("key")) else {
        return;
    };
    let Ok(credentials) = Credentials::new("AKIDFUZZ", "fuzz-secret") else {
        return;
    };
    let Ok(config) = Config::for_endpoint("https://fuzz.example", credentials).build() else {
        return;
    };
    let Ok(prepared) = GetObject::new(bucket, key).to_request(config.endpoint()) else {
        return;
    };
    let Ok(request) = prepared.sign(&config.signer(), OffsetDateTime::UNIX_EPOCH) else {
        return;
    };
    let _ = replayer.answer(&request);
    let _ = replayer.unplayed();
}
