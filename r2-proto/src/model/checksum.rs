//! Integrity headers, following R2's rules.
//!
//! A request carries at most one integrity header: `Content-MD5` or one
//! `x-amz-checksum-<algorithm>` (R2 refuses two at once, where S3 accepts
//! them). [`Integrity`] holds exactly one, so a second cannot be expressed.
//! No `x-amz-sdk-checksum-algorithm` header and no trailing (aws-chunked)
//! checksums are ever sent. In multipart uploads R2 takes CRC32, CRC32C,
//! SHA-1 and SHA-256 only as composite checksums and CRC64NVME only as a
//! full-object one; [`ChecksumAlgorithm::check_multipart`] enforces that.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::{Digest as _, Md5};
use sha1::Sha1;
use sha2::Sha256;

use super::ETag;
use crate::error::{RequestError, TransferError};

/// A checksum algorithm of the `x-amz-checksum-*` family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    /// CRC-32 (IEEE).
    Crc32,
    /// CRC-32C (Castagnoli).
    Crc32c,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// CRC-64/NVME.
    Crc64Nvme,
}

impl ChecksumAlgorithm {
    /// The name in `x-amz-checksum-algorithm` and in messages (`CRC32`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Crc32 => "CRC32",
            Self::Crc32c => "CRC32C",
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Crc64Nvme => "CRC64NVME",
        }
    }

    /// The header carrying a value of this algorithm (`x-amz-checksum-crc32`, …).
    pub const fn header_name(self) -> &'static str {
        match self {
            Self::Crc32 => "x-amz-checksum-crc32",
            Self::Crc32c => "x-amz-checksum-crc32c",
            Self::Sha1 => "x-amz-checksum-sha1",
            Self::Sha256 => "x-amz-checksum-sha256",
            Self::Crc64Nvme => "x-amz-checksum-crc64nvme",
        }
    }

    /// The element carrying a value of this algorithm in XML (`ChecksumCRC32`, …).
    pub const fn element_name(self) -> &'static str {
        match self {
            Self::Crc32 => "ChecksumCRC32",
            Self::Crc32c => "ChecksumCRC32C",
            Self::Sha1 => "ChecksumSHA1",
            Self::Sha256 => "ChecksumSHA256",
            Self::Crc64Nvme => "ChecksumCRC64NVME",
        }
    }

    /// All algorithms, in a fixed order.
    pub const ALL: [Self; 5] = [
        Self::Crc32,
        Self::Crc32c,
        Self::Sha1,
        Self::Sha256,
        Self::Crc64Nvme,
    ];

    /// Checks that R2 accepts this algorithm with this checksum type in a
    /// multipart upload: CRC64NVME only full-object, the others only composite.
    pub fn check_multipart(self, checksum_type: ChecksumType) -> Result<(), RequestError> {
        let allowed = match self {
            Self::Crc64Nvme => checksum_type == ChecksumType::FullObject,
            Self::Crc32 | Self::Crc32c | Self::Sha1 | Self::Sha256 => {
                checksum_type == ChecksumType::Composite
            }
        };
        if allowed {
            Ok(())
        } else {
            Err(RequestError::UnsupportedChecksum(format!(
                "R2 does not take {} checksums of type {} in multipart uploads \
                 (CRC64NVME is full-object only; CRC32, CRC32C, SHA1 and SHA256 are composite only)",
                self.as_str(),
                checksum_type.as_str()
            )))
        }
    }
}

/// How a multipart upload's checksum covers the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumType {
    /// A checksum of the part checksums.
    Composite,
    /// A checksum of the whole object's bytes.
    FullObject,
}

impl ChecksumType {
    /// The value of `x-amz-checksum-type`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Composite => "COMPOSITE",
            Self::FullObject => "FULL_OBJECT",
        }
    }
}

/// A checksum value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Checksum {
    /// CRC-32 (IEEE).
    Crc32(u32),
    /// CRC-32C.
    Crc32c(u32),
    /// SHA-1 digest.
    Sha1([u8; 20]),
    /// SHA-256 digest.
    Sha256([u8; 32]),
    /// CRC-64/NVME, computed by the caller.
    Crc64Nvme(u64),
}

impl Checksum {
    /// The CRC-32 of `data`.
    pub fn crc32_of(data: &[u8]) -> Self {
        Self::Crc32(crc32fast::hash(data))
    }

    /// The CRC-32C of `data`.
    pub fn crc32c_of(data: &[u8]) -> Self {
        Self::Crc32c(crc32c::crc32c(data))
    }

    /// The SHA-1 of `data`.
    pub fn sha1_of(data: &[u8]) -> Self {
        Self::Sha1(Sha1::digest(data).into())
    }

    /// The SHA-256 of `data`.
    pub fn sha256_of(data: &[u8]) -> Self {
        Self::Sha256(Sha256::digest(data).into())
    }

    /// The checksum of the concatenation of `chunks` with `algorithm`;
    /// `None` for CRC64NVME, which callers compute themselves.
    pub fn of_chunks<C: AsRef<[u8]>>(algorithm: ChecksumAlgorithm, chunks: &[C]) -> Option<Self> {
        let chunks = chunks.iter().map(AsRef::as_ref);
        Some(match algorithm {
            ChecksumAlgorithm::Crc32 => {
                let mut hasher = crc32fast::Hasher::new();
                chunks.for_each(|chunk| hasher.update(chunk));
                Self::Crc32(hasher.finalize())
            }
            ChecksumAlgorithm::Crc32c => Self::Crc32c(chunks.fold(0, crc32c::crc32c_append)),
            ChecksumAlgorithm::Sha1 => {
                let mut hasher = Sha1::new();
                chunks.for_each(|chunk| hasher.update(chunk));
                Self::Sha1(hasher.finalize().into())
            }
            ChecksumAlgorithm::Sha256 => {
                let mut hasher = Sha256::new();
                chunks.for_each(|chunk| hasher.update(chunk));
                Self::Sha256(hasher.finalize().into())
            }
            ChecksumAlgorithm::Crc64Nvme => return None,
        })
    }

    /// Reads a value as S3 writes it (base64 of the big-endian bytes).
    pub fn from_base64(algorithm: ChecksumAlgorithm, text: &str) -> Option<Self> {
        let bytes = BASE64.decode(text).ok()?;
        Some(match algorithm {
            ChecksumAlgorithm::Crc32 => Self::Crc32(u32::from_be_bytes(bytes.try_into().ok()?)),
            ChecksumAlgorithm::Crc32c => Self::Crc32c(u32::from_be_bytes(bytes.try_into().ok()?)),
            ChecksumAlgorithm::Sha1 => Self::Sha1(bytes.try_into().ok()?),
            ChecksumAlgorithm::Sha256 => Self::Sha256(bytes.try_into().ok()?),
            ChecksumAlgorithm::Crc64Nvme => {
                Self::Crc64Nvme(u64::from_be_bytes(bytes.try_into().ok()?))
            }
        })
    }

    /// The algorithm.
    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self {
            Self::Crc32(_) => ChecksumAlgorithm::Crc32,
            Self::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            Self::Sha1(_) => ChecksumAlgorithm::Sha1,
            Self::Sha256(_) => ChecksumAlgorithm::Sha256,
            Self::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
        }
    }

    /// The value as S3 writes it: base64 of the big-endian bytes.
    pub fn to_base64(&self) -> String {
        match self {
            Self::Crc32(v) | Self::Crc32c(v) => BASE64.encode(v.to_be_bytes()),
            Self::Sha1(d) => BASE64.encode(d),
            Self::Sha256(d) => BASE64.encode(d),
            Self::Crc64Nvme(v) => BASE64.encode(v.to_be_bytes()),
        }
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.algorithm().as_str(), self.to_base64())
    }
}

/// The one integrity header a request carries.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Integrity {
    /// `Content-MD5`: the MD5 of the body. R2 accepts it on every upload.
    ContentMd5([u8; 16]),
    /// One `x-amz-checksum-<algorithm>` header.
    Checksum(Checksum),
}

impl Integrity {
    /// `Content-MD5` of `data`.
    pub fn content_md5_of(data: &[u8]) -> Self {
        Self::ContentMd5(Md5::digest(data).into())
    }

    /// `Content-MD5` of the concatenation of `chunks`.
    pub fn content_md5_of_chunks<C: AsRef<[u8]>>(chunks: &[C]) -> Self {
        let mut hasher = Md5::new();
        chunks
            .iter()
            .for_each(|chunk| hasher.update(chunk.as_ref()));
        Self::ContentMd5(hasher.finalize().into())
    }

    /// The header name.
    pub fn header_name(&self) -> &'static str {
        match self {
            Self::ContentMd5(_) => "content-md5",
            Self::Checksum(checksum) => checksum.algorithm().header_name(),
        }
    }

    /// The header value (base64).
    pub fn header_value(&self) -> String {
        match self {
            Self::ContentMd5(digest) => BASE64.encode(digest),
            Self::Checksum(checksum) => checksum.to_base64(),
        }
    }
}

impl fmt::Debug for Integrity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ContentMd5(_) => write!(f, "ContentMd5({})", self.header_value()),
            Self::Checksum(checksum) => fmt::Debug::fmt(checksum, f),
        }
    }
}

impl From<Checksum> for Integrity {
    fn from(checksum: Checksum) -> Self {
        Self::Checksum(checksum)
    }
}

/// Checks what a server answered to an upload against the integrity header
/// it was sent: an `x-amz-checksum-*` it echoes must be the one sent, and
/// with `Content-MD5` a plain ETag (unencrypted, single-part) must be that
/// MD5. A server that stored other bytes than r2 sent is
/// [`TransferError::ChecksumMismatch`] (retried like a cut body).
pub fn check_echo(sent: &http::HeaderMap, answer: &http::HeaderMap) -> Result<(), TransferError> {
    let text = |value: &http::HeaderValue| value.to_str().ok().map(str::trim).map(str::to_owned);
    // The answer's few headers are scanned once; only an echoed checksum
    // is looked up among those sent.
    for (name, actual) in answer {
        let Some(algorithm) = name.as_str().strip_prefix("x-amz-checksum-").and_then(|_| {
            ChecksumAlgorithm::ALL
                .into_iter()
                .find(|a| a.header_name() == name.as_str())
        }) else {
            continue;
        };
        if let (Some(expected), Some(actual)) = (sent.get(name).and_then(text), text(actual))
            && expected != actual
        {
            return Err(TransferError::ChecksumMismatch {
                algorithm: algorithm.as_str(),
                expected,
                actual,
            });
        }
    }
    let Some(md5) = sent.get(CONTENT_MD5).and_then(text) else {
        return Ok(());
    };
    let encrypted = answer.contains_key(SSE_CUSTOMER)
        || answer
            .get(SSE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|sse| sse.contains("kms"));
    let etag = answer.get(http::header::ETAG).and_then(text).map(ETag::new);
    if let (Some(etag), false) = (&etag, encrypted)
        && let (Ok(digest), Some(hex)) = (BASE64.decode(md5.as_bytes()), etag.md5_hex())
    {
        let expected: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        if !expected.eq_ignore_ascii_case(hex) {
            return Err(TransferError::ChecksumMismatch {
                algorithm: "MD5",
                expected,
                actual: hex.to_owned(),
            });
        }
    }
    Ok(())
}

const CONTENT_MD5: http::HeaderName = http::HeaderName::from_static("content-md5");
const SSE: http::HeaderName = http::HeaderName::from_static("x-amz-server-side-encryption");
const SSE_CUSTOMER: http::HeaderName =
    http::HeaderName::from_static("x-amz-server-side-encryption-customer-algorithm");

/// Checksums the server echoed, as it wrote them (base64).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checksums {
    /// `x-amz-checksum-crc32` / `ChecksumCRC32`.
    pub crc32: Option<String>,
    /// `x-amz-checksum-crc32c` / `ChecksumCRC32C`.
    pub crc32c: Option<String>,
    /// `x-amz-checksum-sha1` / `ChecksumSHA1`.
    pub sha1: Option<String>,
    /// `x-amz-checksum-sha256` / `ChecksumSHA256`.
    pub sha256: Option<String>,
    /// `x-amz-checksum-crc64nvme` / `ChecksumCRC64NVME`.
    pub crc64nvme: Option<String>,
    /// `x-amz-checksum-type` / `ChecksumType`.
    pub checksum_type: Option<String>,
}

impl Checksums {
    /// The slot for `algorithm`'s value.
    pub(crate) fn slot(&mut self, algorithm: ChecksumAlgorithm) -> &mut Option<String> {
        match algorithm {
            ChecksumAlgorithm::Crc32 => &mut self.crc32,
            ChecksumAlgorithm::Crc32c => &mut self.crc32c,
            ChecksumAlgorithm::Sha1 => &mut self.sha1,
            ChecksumAlgorithm::Sha256 => &mut self.sha256,
            ChecksumAlgorithm::Crc64Nvme => &mut self.crc64nvme,
        }
    }

    /// The value for `algorithm`, if the server sent one.
    pub fn get(&self, algorithm: ChecksumAlgorithm) -> Option<&str> {
        match algorithm {
            ChecksumAlgorithm::Crc32 => self.crc32.as_deref(),
            ChecksumAlgorithm::Crc32c => self.crc32c.as_deref(),
            ChecksumAlgorithm::Sha1 => self.sha1.as_deref(),
            ChecksumAlgorithm::Sha256 => self.sha256.as_deref(),
            ChecksumAlgorithm::Crc64Nvme => self.crc64nvme.as_deref(),
        }
    }

    /// Reads every `x-amz-checksum-*` header.
    pub(crate) fn from_headers(headers: &http::HeaderMap) -> Self {
        let mut checksums = Self::default();
        for algorithm in ChecksumAlgorithm::ALL {
            *checksums.slot(algorithm) = headers
                .get(algorithm.header_name())
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
        }
        checksums.checksum_type = headers
            .get("x-amz-checksum-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        checksums
    }

    /// True when the server sent no checksum at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // "hello world"
        let data = b"hello world";
        assert_eq!(Checksum::crc32_of(data).to_base64(), "DUoRhQ==");
        assert_eq!(Checksum::crc32c_of(data).to_base64(), "yZRlqg==");
        assert_eq!(
            Checksum::sha1_of(data).to_base64(),
            "Kq5sNclPz7QV2+lfQIuc6R7oRu0="
        );
        assert_eq!(
            Checksum::sha256_of(data).to_base64(),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        assert_eq!(
            Integrity::content_md5_of(data).header_value(),
            "XrY7u+Ae7tCTyyK7j1rNww=="
        );
        assert_eq!(Checksum::Crc64Nvme(1).to_base64(), "AAAAAAAAAAE=");
        assert_eq!(Integrity::content_md5_of(b"").header_name(), "content-md5");
        let crc: Integrity = Checksum::crc32c_of(data).into();
        assert_eq!(crc.header_name(), "x-amz-checksum-crc32c");
        assert_eq!(format!("{crc:?}"), "CRC32C(yZRlqg==)");
        assert_eq!(
            format!("{:?}", Integrity::content_md5_of(data)),
            "ContentMd5(XrY7u+Ae7tCTyyK7j1rNww==)"
        );
    }

    #[test]
    fn chunked_values_equal_whole_values_and_round_trip() {
        let chunks: [&[u8]; 3] = [b"hel", b"", b"lo world"];
        for algorithm in [
            ChecksumAlgorithm::Crc32,
            ChecksumAlgorithm::Crc32c,
            ChecksumAlgorithm::Sha1,
            ChecksumAlgorithm::Sha256,
        ] {
            let chunked = Checksum::of_chunks(algorithm, &chunks).unwrap();
            let whole = Checksum::of_chunks(algorithm, &[b"hello world"]).unwrap();
            assert_eq!(chunked, whole);
            assert_eq!(chunked.algorithm(), algorithm);
            assert_eq!(
                Checksum::from_base64(algorithm, &chunked.to_base64()),
                Some(chunked)
            );
        }
        assert_eq!(
            Checksum::of_chunks(ChecksumAlgorithm::Crc32, &chunks),
            Some(Checksum::crc32_of(b"hello world"))
        );
        assert_eq!(
            Checksum::of_chunks(ChecksumAlgorithm::Crc64Nvme, &chunks),
            None
        );
        let crc64 = Checksum::Crc64Nvme(7);
        assert_eq!(
            Checksum::from_base64(ChecksumAlgorithm::Crc64Nvme, &crc64.to_base64()),
            Some(crc64)
        );
        assert_eq!(
            Checksum::from_base64(ChecksumAlgorithm::Crc32, "AAAA"),
            None
        );
        assert_eq!(
            Checksum::from_base64(ChecksumAlgorithm::Crc32, "not base64"),
            None
        );
        assert_eq!(
            Integrity::content_md5_of_chunks(&chunks),
            Integrity::content_md5_of(b"hello world")
        );
    }

    #[test]
    fn multipart_pairs_follow_r2() {
        use ChecksumAlgorithm::*;
        use ChecksumType::*;
        for algorithm in [Crc32, Crc32c, Sha1, Sha256] {
            assert!(algorithm.check_multipart(Composite).is_ok());
            assert!(algorithm.check_multipart(FullObject).is_err());
        }
        assert!(Crc64Nvme.check_multipart(FullObject).is_ok());
        assert!(Crc64Nvme.check_multipart(Composite).is_err());
    }

    #[test]
    fn echoed_checksums() {
        let mut headers = http::HeaderMap::new();
        headers.insert("x-amz-checksum-crc32", "DUoRhQ==".parse().unwrap());
        headers.insert("x-amz-checksum-type", "FULL_OBJECT".parse().unwrap());
        let echoed = Checksums::from_headers(&headers);
        assert_eq!(echoed.get(ChecksumAlgorithm::Crc32), Some("DUoRhQ=="));
        assert_eq!(echoed.get(ChecksumAlgorithm::Sha1), None);
        assert_eq!(echoed.checksum_type.as_deref(), Some("FULL_OBJECT"));
        assert!(!echoed.is_empty());
        assert!(Checksums::default().is_empty());
    }
}
