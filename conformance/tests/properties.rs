//! Invariants of the signer, over generated inputs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use http::{HeaderName, HeaderValue, Request};
use proptest::prelude::*;
use r2_proto::percent;
use r2_proto::{BucketName, Credentials, Endpoint, ObjectKey, PayloadHash, Signer};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2024-05-01 12:34:56 UTC);
const URL: &str = "https://0a1b2c3d4e5f60718293a4b5c6d7e8f9.r2.cloudflarestorage.com/bucket/key";

fn signer() -> Signer {
    Signer::new(
        Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        )
        .unwrap(),
    )
}

/// Distinct header names (lower-case tokens that are not auth headers) with values.
fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::btree_map("x-[a-z0-9-]{1,12}", "[ -~\t]{0,24}", 0..8)
        .prop_map(|m| m.into_iter().collect())
}

/// Upper-cases the characters of `name` chosen by the bits of `mask`.
fn recase(name: &str, mask: u64) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            if mask >> (i % 64) & 1 == 1 {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn request_with(headers: &[(String, String)], order: &[usize], mask: u64) -> Request<()> {
    let mut request = Request::put(URL).body(()).unwrap();
    for &i in order {
        let (name, value) = &headers[i];
        request.headers_mut().append(
            HeaderName::from_bytes(recase(name, mask).as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    request
}

/// A query parameter: any text for name and value.
fn param() -> impl Strategy<Value = (String, String)> {
    ("\\PC{1,8}", "\\PC{0,12}")
}

/// Writes `text` percent-encoded, in one of several spellings S3 treats alike:
/// canonical, lower-case hex, or every byte escaped (unreserved ones too).
fn spell(text: &str, style: u8) -> String {
    match style % 3 {
        0 => percent::encode_component(text),
        1 => {
            let mut out = String::new();
            let mut hex_digits_left = 0;
            for c in percent::encode_component(text).chars() {
                if c == '%' {
                    hex_digits_left = 2;
                    out.push(c);
                } else if hex_digits_left > 0 {
                    hex_digits_left -= 1;
                    out.push(c.to_ascii_lowercase());
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => text.bytes().map(|b| format!("%{b:02X}")).collect(),
    }
}

/// Headers and a shuffled order to add them in.
fn headers_and_order() -> impl Strategy<Value = (Vec<(String, String)>, Vec<usize>)> {
    headers().prop_flat_map(|headers| {
        let order: Vec<usize> = (0..headers.len()).collect();
        (Just(headers), Just(order).prop_shuffle())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The signature does not depend on the order headers were added in, nor
    /// on the case of their names.
    #[test]
    fn header_order_and_name_case_do_not_matter(
        (headers, shuffled) in headers_and_order(),
        mask in any::<u64>(),
    ) {
        let mut order: Vec<usize> = (0..headers.len()).collect();
        let signer = signer();
        let payload = PayloadHash::of(b"body");
        let mut a = request_with(&headers, &order, 0);
        let mut b = request_with(&headers, &shuffled, mask);
        signer.sign(&mut a, &payload, NOW).unwrap();
        signer.sign(&mut b, &payload, NOW).unwrap();
        prop_assert_eq!(&a.headers()["authorization"], &b.headers()["authorization"]);

        order.reverse();
        let c = request_with(&headers, &order, !mask);
        let d = request_with(&headers, &shuffled, mask);
        let presigned_c = signer.presign(&c, Duration::from_secs(60), NOW).unwrap();
        let presigned_d = signer.presign(&d, Duration::from_secs(60), NOW).unwrap();
        prop_assert_eq!(presigned_c.url(), presigned_d.url());
    }

    /// The canonical request does not depend on the order of query
    /// parameters, nor on how their names and values are percent-encoded.
    #[test]
    fn query_order_and_spelling_do_not_matter(
        params in prop::collection::vec(param(), 1..6),
        styles in prop::collection::vec(any::<u8>(), 12),
    ) {
        let query = |ordered: &[(String, String)], style_offset: usize| {
            ordered
                .iter()
                .enumerate()
                .map(|(i, (n, v))| {
                    format!(
                        "{}={}",
                        spell(n, styles[(2 * i + style_offset) % styles.len()]),
                        spell(v, styles[(2 * i + 1 + style_offset) % styles.len()])
                    )
                })
                .collect::<Vec<_>>()
                .join("&")
        };
        let canonical = |q: &str| {
            let request = Request::get(format!("{URL}?{q}")).body(()).unwrap();
            signer().explain(&request, &PayloadHash::EMPTY, NOW).unwrap().canonical_request
        };
        let forward = params.clone();
        let mut backward = params.clone();
        backward.reverse();
        let plain: String = forward
            .iter()
            .map(|(n, v)| format!("{}={}", percent::encode_component(n), percent::encode_component(v)))
            .collect::<Vec<_>>()
            .join("&");
        let expected = canonical(&plain);
        prop_assert_eq!(&canonical(&query(&forward, 0)), &expected);
        prop_assert_eq!(&canonical(&query(&backward, 3)), &expected);
    }

    /// Any key of 1..=1024 bytes becomes a path that decodes back to the key,
    /// and the path is carried by `http::Uri` exactly, with no normalisation.
    #[test]
    fn keys_round_trip_through_the_path(chars in prop::collection::vec(any::<char>(), 1..400)) {
        let mut key = String::new();
        for c in chars {
            if key.len() + c.len_utf8() > 1024 {
                break;
            }
            key.push(c);
        }
        let object_key = ObjectKey::new(key.clone()).unwrap();
        let encoded = object_key.encoded();
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b)));
        prop_assert_eq!(percent::decode(&encoded).into_owned(), key.as_bytes().to_vec());

        let endpoint = Endpoint::parse("https://example.com").unwrap();
        let uri = endpoint
            .object_uri(&BucketName::new("bkt").unwrap(), &object_key, None)
            .unwrap();
        prop_assert_eq!(uri.path(), format!("/bkt/{encoded}"));
        let trace = signer()
            .explain(&Request::get(uri).body(()).unwrap(), &PayloadHash::EMPTY, NOW)
            .unwrap();
        let canonical_path = format!("\n/bkt/{encoded}\n");
        prop_assert!(trace.canonical_request.contains(&canonical_path));
    }
}
