//! Checking a GET body as it streams past: its length against
//! `Content-Length`, and for a whole object one digest: the cheapest
//! full-object `x-amz-checksum-*` the server sent (CRC32 first), or, when
//! it sent none, the MD5 of a plain ETag (MD5 costs about 1.5 s of CPU per
//! GiB, CRC32 about 16 ms).
//!
//! An adapter feeds every chunk to [`BodyCheck::update`] and calls
//! [`BodyCheck::finish`] at the end of the body: a short body is
//! [`TransferError::IncompleteBody`], a digest that differs is
//! [`TransferError::ChecksumMismatch`]. Multipart ETags (`…-N`), composite
//! checksums (`…-N`), ranges and SSE-C objects (whose ETag is not the MD5
//! of the plaintext) are not digest-checked; their length still is.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, StatusCode};
use md5::{Digest, Md5};
use sha1::Sha1;
use sha2::Sha256;

use super::ChecksumAlgorithm;
use crate::error::{NetworkError, R2Error, TransferError};

/// The running state of one digest.
#[derive(Clone)]
enum Running {
    Md5(Md5),
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Running {
    fn update(&mut self, chunk: &[u8]) {
        match self {
            Self::Md5(h) => h.update(chunk),
            Self::Crc32(h) => h.update(chunk),
            Self::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, chunk),
            Self::Sha1(h) => h.update(chunk),
            Self::Sha256(h) => h.update(chunk),
        }
    }

    /// The digest as the server wrote it: hex for MD5 (the ETag), base64 otherwise.
    fn finish(self) -> String {
        match self {
            Self::Md5(h) => h.finalize().iter().map(|b| format!("{b:02x}")).collect(),
            Self::Crc32(h) => BASE64.encode(h.finalize().to_be_bytes()),
            Self::Crc32c(crc) => BASE64.encode(crc.to_be_bytes()),
            Self::Sha1(h) => BASE64.encode(h.finalize()),
            Self::Sha256(h) => BASE64.encode(h.finalize()),
        }
    }
}

/// One digest to compare at the end.
#[derive(Clone)]
struct Expected {
    algorithm: &'static str,
    value: String,
    running: Running,
}

/// The checks of one GET body.
#[derive(Clone)]
pub struct BodyCheck {
    expected_len: Option<u64>,
    received: u64,
    digests: Vec<Expected>,
}

impl std::fmt::Debug for BodyCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algorithms: Vec<&str> = self.digests.iter().map(|d| d.algorithm).collect();
        f.debug_struct("BodyCheck")
            .field("expected_len", &self.expected_len)
            .field("received", &self.received)
            .field("digests", &algorithms)
            .finish()
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl BodyCheck {
    /// The checks a response's status and headers call for.
    pub fn for_response(status: StatusCode, headers: &HeaderMap) -> Self {
        let expected_len = declared_length(headers);
        let whole = status == StatusCode::OK && !headers.contains_key(http::header::CONTENT_RANGE);
        let customer_key = headers.contains_key("x-amz-server-side-encryption-customer-algorithm");
        let mut digests = Vec::new();
        if whole && !customer_key {
            let full_object =
                header(headers, "x-amz-checksum-type").is_none_or(|t| t == "FULL_OBJECT");
            for algorithm in ChecksumAlgorithm::ALL {
                let Some(value) = header(headers, algorithm.header_name()) else {
                    continue;
                };
                let running = match algorithm {
                    ChecksumAlgorithm::Crc32 => Running::Crc32(crc32fast::Hasher::new()),
                    ChecksumAlgorithm::Crc32c => Running::Crc32c(0),
                    ChecksumAlgorithm::Sha1 => Running::Sha1(Sha1::new()),
                    ChecksumAlgorithm::Sha256 => Running::Sha256(Sha256::new()),
                    ChecksumAlgorithm::Crc64Nvme => continue,
                };
                if full_object && !value.contains('-') {
                    digests.push(Expected {
                        algorithm: algorithm.as_str(),
                        value: value.to_owned(),
                        running,
                    });
                }
            }
            // One digest is enough: the cheapest checksum the object has
            // (they come fastest first), else its MD5 ETag.
            digests.truncate(1);
            let etag = header(headers, "etag").map(super::ETag::new);
            if digests.is_empty()
                && let Some(hex) = etag.as_ref().and_then(|e| e.md5_hex())
            {
                digests.push(Expected {
                    algorithm: "MD5",
                    value: hex.to_ascii_lowercase(),
                    running: Running::Md5(Md5::new()),
                });
            }
        }
        Self {
            expected_len,
            received: 0,
            digests,
        }
    }

    /// Takes the next chunk of the body.
    pub fn update(&mut self, chunk: &[u8]) {
        self.received += chunk.len() as u64;
        for digest in &mut self.digests {
            digest.running.update(chunk);
        }
    }

    /// Bytes seen so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The names of the digests being checked (`MD5`, `CRC32`, …).
    pub fn algorithms(&self) -> Vec<&'static str> {
        self.digests.iter().map(|d| d.algorithm).collect()
    }

    /// The body broke off with `error` after [`received`](Self::received)
    /// bytes: [`TransferError::IncompleteBody`] when it announced more, else
    /// the transport failure itself (a stall stays a timeout).
    pub fn broken(self, error: NetworkError) -> R2Error {
        match (self.expected_len, &error) {
            (_, NetworkError::Timeout(_)) => error.into(),
            (Some(expected), _) if self.received < expected => TransferError::IncompleteBody {
                expected,
                received: self.received,
            }
            .into(),
            _ => error.into(),
        }
    }

    /// Ends the body: every byte announced arrived and every digest matches.
    pub fn finish(self) -> Result<(), TransferError> {
        if let Some(expected) = self.expected_len
            && expected != self.received
        {
            return Err(TransferError::IncompleteBody {
                expected,
                received: self.received,
            });
        }
        for digest in self.digests {
            let actual = digest.running.finish();
            if actual != digest.value {
                return Err(TransferError::ChecksumMismatch {
                    algorithm: digest.algorithm,
                    expected: digest.value,
                    actual,
                });
            }
        }
        Ok(())
    }
}

/// True when a response whose body broke off after `received` bytes had
/// announced more in its `Content-Length`: the adapter then hands the
/// partial body to the operation, whose parser reports
/// [`TransferError::IncompleteBody`] (retried like any cut body). Without a
/// `Content-Length` a partial body cannot be told from a whole one, and the
/// transport failure stands.
pub fn body_cut_short(headers: &HeaderMap, received: u64) -> bool {
    declared_length(headers).is_some_and(|expected| received < expected)
}

/// What a body that broke off while being read whole means, decided once
/// for every driver: `Ok(())` hands the bytes that came to the operation,
/// which reports a body shorter than its `Content-Length` as
/// [`TransferError::IncompleteBody`]; `Err` fails the request with the
/// transport's error. A stall (`Timeout`) always stays a timeout, and
/// without a `Content-Length` a partial body cannot be told from a whole
/// one, so the transport failure stands.
pub fn broken_body(
    headers: &HeaderMap,
    received: u64,
    error: NetworkError,
) -> Result<(), NetworkError> {
    broken_off(declared_length(headers), received, error)
}

/// [`broken_body`] for a body that announced `declared` bytes.
pub(crate) fn broken_off(
    declared: Option<u64>,
    received: u64,
    error: NetworkError,
) -> Result<(), NetworkError> {
    match error {
        NetworkError::Timeout(_) => Err(error),
        _ if declared.is_some_and(|expected| received < expected) => Ok(()),
        _ => Err(error),
    }
}

/// The body length a response's `Content-Length` announces, if it has a
/// readable one.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    header(headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    fn check(
        status: StatusCode,
        pairs: &[(&'static str, &str)],
        chunks: &[&[u8]],
    ) -> Result<(), TransferError> {
        let mut check = BodyCheck::for_response(status, &headers(pairs));
        for chunk in chunks {
            check.update(chunk);
        }
        check.finish()
    }

    const HELLO_MD5: &str = "\"5d41402abc4b2a76b9719d911017c592\"";

    #[test]
    fn a_whole_body_is_checked_against_its_length_and_one_digest() {
        let with_crc = [
            ("content-length", "5"),
            ("etag", HELLO_MD5),
            ("x-amz-checksum-crc32", "NhCmhg=="),
        ];
        assert_eq!(check(StatusCode::OK, &with_crc, &[b"he", b"llo"]), Ok(()));
        assert_eq!(
            BodyCheck::for_response(StatusCode::OK, &headers(&with_crc)).algorithms(),
            ["CRC32"],
            "a checksum makes the MD5 unnecessary"
        );
        let with_sha = [
            ("content-length", "5"),
            (
                "x-amz-checksum-sha256",
                "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=",
            ),
            ("x-amz-checksum-crc32", "NhCmhg=="),
        ];
        assert_eq!(
            BodyCheck::for_response(StatusCode::OK, &headers(&with_sha)).algorithms(),
            ["CRC32"],
            "the cheapest checksum is chosen"
        );
        let ok = [("content-length", "5"), ("etag", HELLO_MD5)];
        assert_eq!(check(StatusCode::OK, &ok, &[b"he", b"llo"]), Ok(()));
        assert!(matches!(
            check(StatusCode::OK, &ok, &[b"hel"]),
            Err(TransferError::IncompleteBody {
                expected: 5,
                received: 3
            })
        ));
        assert!(matches!(
            check(StatusCode::OK, &ok, &[b"jello"]),
            Err(TransferError::ChecksumMismatch {
                algorithm: "MD5",
                ..
            })
        ));
        let crc_only = [
            ("content-length", "5"),
            ("x-amz-checksum-crc32", "AAAAAA=="),
        ];
        assert!(matches!(
            check(StatusCode::OK, &crc_only, &[b"hello"]),
            Err(TransferError::ChecksumMismatch {
                algorithm: "CRC32",
                ..
            })
        ));
    }

    #[test]
    fn digests_are_skipped_where_they_do_not_describe_the_bytes() {
        let cases: [&[(&'static str, &str)]; 4] = [
            // a range
            &[
                ("content-length", "5"),
                ("content-range", "bytes 0-4/10"),
                ("etag", HELLO_MD5),
            ],
            // a multipart object
            &[
                ("content-length", "5"),
                ("etag", "\"0123456789abcdef0123456789abcdef-2\""),
            ],
            // SSE-C: the ETag is not the plaintext's MD5
            &[
                ("content-length", "5"),
                ("etag", "\"00000000000000000000000000000000\""),
                ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
            ],
            // a composite checksum
            &[
                ("content-length", "5"),
                ("x-amz-checksum-crc32c", "AAAAAA==-2"),
                ("x-amz-checksum-type", "COMPOSITE"),
            ],
        ];
        for pairs in cases {
            let status = if pairs.iter().any(|(n, _)| *n == "content-range") {
                StatusCode::PARTIAL_CONTENT
            } else {
                StatusCode::OK
            };
            assert_eq!(check(status, pairs, &[b"xxxxx"]), Ok(()), "{pairs:?}");
            assert!(
                check(status, pairs, &[b"xx"]).is_err(),
                "length still checked: {pairs:?}"
            );
        }
        // No Content-Length: nothing to compare the length with.
        assert_eq!(check(StatusCode::OK, &[], &[b"anything"]), Ok(()));
    }
}
