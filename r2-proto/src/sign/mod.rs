//! AWS Signature Version 4 for R2's S3 API: header authentication and
//! presigned URLs.
//!
//! A [`Signer`] binds credentials to a credential scope (region `auto`,
//! service `s3` for R2). Signing never reads a clock: the time is an argument.
//!
//! ```
//! use r2_proto::{Credentials, PayloadHash, Signer};
//! use time::macros::datetime;
//!
//! let signer = Signer::new(Credentials::new("AKIDEXAMPLE", "secret").unwrap());
//! let mut request = http::Request::get(
//!     "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com/bucket/photo.jpg",
//! )
//! .body(())
//! .unwrap();
//! signer
//!     .sign(&mut request, &PayloadHash::EMPTY, datetime!(2024-05-01 12:34:56 UTC))
//!     .unwrap();
//! assert!(request.headers()["authorization"]
//!     .to_str()
//!     .unwrap()
//!     .starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/auto/s3/aws4_request"));
//! assert_eq!(request.headers()["x-amz-date"], "20240501T123456Z");
//! ```

mod canonical;
pub(crate) mod hex;
mod key_cache;
mod presign;
mod sigv4;
mod timestamp;

use std::fmt;

use sha2::{Digest, Sha256};

pub use canonical::signed_host;
pub use presign::{MAX_PRESIGN_EXPIRY, PresignTarget, PresignedRequest};

use crate::credentials::Credentials;
use crate::error::SignError;
use crate::percent::is_unreserved;
use key_cache::SigningKeyCache;

/// The region R2 signs with, for every bucket and jurisdiction.
pub const REGION: &str = "auto";

/// The payload line of a SigV4 canonical request, also sent as
/// `x-amz-content-sha256`.
///
/// R2 takes `UNSIGNED-PAYLOAD` (integrity then rests on TLS and, where used,
/// `Content-MD5` or a checksum header) or the hex SHA-256 of the body. The
/// streaming (`aws-chunked`) modes are not representable: R2 refuses them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PayloadHash(Repr);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Repr {
    Unsigned,
    Hex([u8; 64]),
}

/// The hex SHA-256 of an empty body.
pub(crate) const EMPTY_SHA256_HEX: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

impl PayloadHash {
    /// `UNSIGNED-PAYLOAD`: the body is not part of the signature.
    pub const UNSIGNED: Self = Self(Repr::Unsigned);

    /// The SHA-256 of an empty body, for GET, HEAD, DELETE and empty PUTs.
    pub const EMPTY: Self = match EMPTY_SHA256_HEX.as_bytes().first_chunk::<64>() {
        Some(hex) => Self(Repr::Hex(*hex)),
        None => Self::UNSIGNED,
    };

    /// Hashes `body` with SHA-256.
    pub fn of(body: &[u8]) -> Self {
        Self::from_digest(Sha256::digest(body).into())
    }

    /// A SHA-256 digest computed elsewhere (for example while reading a file).
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(Repr::Hex(hex::hex32(&digest)))
    }

    /// `UNSIGNED-PAYLOAD` or a 64-digit hex SHA-256 (either case; stored lower-case).
    pub fn from_hex(text: &str) -> Result<Self, SignError> {
        if text == "UNSIGNED-PAYLOAD" {
            return Ok(Self::UNSIGNED);
        }
        let bytes: [u8; 64] = text
            .as_bytes()
            .try_into()
            .map_err(|_| SignError::InvalidPayloadHash)?;
        if !bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(SignError::InvalidPayloadHash);
        }
        Ok(Self(Repr::Hex(bytes.map(|b| b.to_ascii_lowercase()))))
    }

    /// The value as it appears in the canonical request.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Unsigned => "UNSIGNED-PAYLOAD",
            Repr::Hex(hex) => hex::ascii(hex),
        }
    }

    /// True for `UNSIGNED-PAYLOAD`.
    pub fn is_unsigned(&self) -> bool {
        self.0 == Repr::Unsigned
    }
}

impl fmt::Debug for PayloadHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PayloadHash").field(&self.as_str()).finish()
    }
}

impl fmt::Display for PayloadHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The intermediate values of one signature, for checking a signer against
/// golden vectors or a server's `SignatureDoesNotMatch` details.
///
/// `Debug` shows only the signed header names: the canonical request of a
/// presigned URL holds the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct SignatureTrace {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The `SignedHeaders` list.
    pub signed_headers: String,
    /// The hex signature.
    pub signature: String,
}

impl fmt::Debug for SignatureTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureTrace")
            .field("signed_headers", &self.signed_headers)
            .finish_non_exhaustive()
    }
}

/// Signs requests with one set of credentials for one credential scope.
///
/// Cheap to share: signing takes `&self`, and the derived signing key is
/// cached per day behind a mutex, so steady-state signing costs one SHA-256 of
/// the canonical request and one HMAC of the string to sign.
#[derive(Debug)]
pub struct Signer {
    credentials: Credentials,
    region: Box<str>,
    service: Box<str>,
    content_sha256_header: bool,
    keys: SigningKeyCache,
}

impl Signer {
    /// A signer for R2: region `auto`, service `s3`.
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            region: REGION.into(),
            service: "s3".into(),
            content_sha256_header: true,
            keys: SigningKeyCache::new(),
        }
    }

    /// A signer for another region and service (S3-compatible stores, or
    /// generic SigV4 test suites). Both must be non-empty and use only
    /// `A-Z a-z 0-9 - . _ ~`.
    pub fn with_scope(
        credentials: Credentials,
        region: &str,
        service: &str,
    ) -> Result<Self, SignError> {
        for part in [region, service] {
            if part.is_empty() || !part.bytes().all(is_unreserved) {
                return Err(SignError::InvalidScope(part.to_owned()));
            }
        }
        Ok(Self {
            region: region.into(),
            service: service.into(),
            ..Self::new(credentials)
        })
    }

    /// Stops adding the `x-amz-content-sha256` header: for SigV4 services
    /// other than S3. R2 requires the header, so never use this with R2.
    #[must_use]
    pub fn without_content_sha256_header(mut self) -> Self {
        self.content_sha256_header = false;
        self
    }

    /// The credentials this signer uses.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The credential scope's region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The credential scope's service.
    pub fn service(&self) -> &str {
        &self.service
    }
}

impl Clone for Signer {
    fn clone(&self) -> Self {
        Self {
            credentials: self.credentials.clone(),
            region: self.region.clone(),
            service: self.service.clone(),
            content_sha256_header: self.content_sha256_header,
            keys: SigningKeyCache::new(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The signer of the botocore vectors: the AWS documentation's example key, region `auto`.
    pub(crate) fn example_signer() -> Signer {
        Signer::new(
            Credentials::new(
                "AKIAIOSFODNN7EXAMPLE",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            )
            .unwrap(),
        )
    }

    #[test]
    fn payload_hash_forms() {
        assert_eq!(PayloadHash::UNSIGNED.as_str(), "UNSIGNED-PAYLOAD");
        assert!(PayloadHash::UNSIGNED.is_unsigned());
        assert_eq!(PayloadHash::of(b""), PayloadHash::EMPTY);
        assert!(!PayloadHash::EMPTY.is_unsigned());
        let upper = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert_eq!(PayloadHash::from_hex(upper), Ok(PayloadHash::EMPTY));
        assert_eq!(
            PayloadHash::from_hex("UNSIGNED-PAYLOAD"),
            Ok(PayloadHash::UNSIGNED)
        );
        for bad in [
            "",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
            &"g".repeat(64),
            &"a".repeat(63),
        ] {
            assert_eq!(
                PayloadHash::from_hex(bad),
                Err(SignError::InvalidPayloadHash)
            );
        }
        assert_eq!(
            format!("{:?}", PayloadHash::UNSIGNED),
            "PayloadHash(\"UNSIGNED-PAYLOAD\")"
        );
        assert_eq!(PayloadHash::of(b"x").to_string().len(), 64);
    }

    #[test]
    fn scope_is_validated() {
        let creds = Credentials::new("AKID", "s").unwrap();
        assert!(Signer::with_scope(creds.clone(), "us-east-1", "service").is_ok());
        assert_eq!(
            Signer::with_scope(creds.clone(), "", "s3").unwrap_err(),
            SignError::InvalidScope(String::new())
        );
        assert_eq!(
            Signer::with_scope(creds, "auto", "s3/x").unwrap_err(),
            SignError::InvalidScope("s3/x".into())
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let signer = Signer::new(Credentials::new("AKID", "hunter2").unwrap());
        let shown = format!("{signer:?} {:?}", signer.clone());
        assert!(!shown.contains("hunter2"));
        assert_eq!(signer.region(), "auto");
        assert_eq!(signer.service(), "s3");
        assert_eq!(signer.credentials().access_key_id(), "AKID");
    }
}
