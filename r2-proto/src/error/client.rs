//! Errors the core reports before anything is sent: bad configuration, bad
//! names, and requests that cannot be signed.
//!
//! Each is a plain enum so that callers match on data, never on message text.

use std::time::Duration;

/// A configuration or credential value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A proxy URL that cannot be used (credentials never shown).
    #[error("invalid proxy {0}")]
    InvalidProxy(String),
    /// The account id is empty.
    #[error("the R2 account id is empty")]
    EmptyAccountId,
    /// The account id is not 32 hexadecimal characters.
    #[error("the R2 account id must be 32 hexadecimal characters, got {len} characters")]
    MalformedAccountId {
        /// Length of the rejected value, in characters.
        len: usize,
    },
    /// The jurisdiction name is not one R2 knows.
    #[error("unknown R2 jurisdiction {0:?} (expected `eu`, `fedramp` or `us`)")]
    UnknownJurisdiction(String),
    /// No credentials were found; names what was looked for.
    #[error("missing credentials: {0}")]
    MissingCredentials(&'static str),
    /// No endpoint (account id or URL) was found; names what was looked for.
    #[error("missing endpoint: {0}")]
    MissingEndpoint(&'static str),
    /// The access key id is empty or holds characters outside `A-Z a-z 0-9 - . _ ~`.
    #[error("the access key id must be 1 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' or '~'")]
    InvalidAccessKeyId,
    /// The secret access key is empty.
    #[error("the secret access key is empty")]
    EmptySecretAccessKey,
    /// The session token is empty or holds characters not allowed in an HTTP header.
    #[error("the session token must be non-empty visible ASCII")]
    InvalidSessionToken,
    /// The endpoint URL could not be used; `reason` says why.
    #[error("invalid endpoint URL {url:?}: {reason}")]
    InvalidEndpoint {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The endpoint is plain `http://` and the caller did not opt in to it.
    #[error(
        "endpoint {url:?} is plain http; R2 requires https (call `allow_insecure_http()` for loopback test servers)"
    )]
    InsecureEndpoint {
        /// The URL as given.
        url: String,
    },
    /// A shared credentials or config file (`~/.aws/credentials`,
    /// `~/.aws/config`) could not be read or parsed.
    #[error("{file}{}: {reason}", line.map(|l| format!(", line {l}")).unwrap_or_default())]
    ProfileFile {
        /// The file's path.
        file: String,
        /// The line at fault (1-based), when one is.
        line: Option<u32>,
        /// What is wrong.
        reason: Box<str>,
    },
    /// The root certificate bundle named by `AWS_CA_BUNDLE` or
    /// `SSL_CERT_FILE` could not be read.
    #[error("root certificate bundle {file}: {reason}")]
    CertificateFile {
        /// The file's path.
        file: String,
        /// Why it could not be read.
        reason: Box<str>,
    },
    /// The profile asked for is in none of the files.
    #[error("profile {profile:?} is not in {files}")]
    MissingProfile {
        /// The profile's name.
        profile: String,
        /// The files looked in.
        files: String,
    },
    /// A numeric setting is out of its allowed range.
    #[error("{setting} must be {expected}, got {got}")]
    OutOfRange {
        /// The setting's name.
        setting: &'static str,
        /// The allowed range, in words.
        expected: &'static str,
        /// The rejected value, rendered.
        got: String,
    },
}

/// A request was rejected before it was built: a bad bucket name, object key or URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The bucket name breaks R2's naming rules; `reason` says which.
    #[error("invalid bucket name {name:?}: {reason}")]
    InvalidBucketName {
        /// The name as given.
        name: String,
        /// The rule it breaks.
        reason: &'static str,
    },
    /// The object key is empty.
    #[error("object keys must not be empty")]
    EmptyObjectKey,
    /// The object key is longer than 1024 bytes of UTF-8.
    #[error("object key is {len} bytes of UTF-8; the limit is 1024")]
    ObjectKeyTooLong {
        /// Length of the key in bytes.
        len: usize,
    },
    /// The request URI could not be built.
    #[error("invalid request URI: {0}")]
    InvalidUri(String),
    /// A byte range is empty or inverted.
    #[error("invalid byte range: {0}")]
    InvalidRange(String),
    /// A header value cannot travel in HTTP (control characters, non-ASCII).
    #[error("the value of header {0} cannot be sent in HTTP")]
    InvalidHeaderValue(String),
    /// A user metadata name is not an ASCII token.
    #[error("invalid metadata name {0:?}: use ASCII letters, digits and !#$%&'*+-.^_`|~")]
    InvalidMetadataName(String),
    /// User metadata is over the size limit.
    #[error("user metadata holds {bytes} bytes; the limit is {limit}")]
    MetadataTooLarge {
        /// Bytes of names and values.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// A checksum algorithm or type the operation (or R2) does not take.
    #[error("unsupported checksum: {0}")]
    UnsupportedChecksum(String),
    /// A storage class R2 does not have.
    #[error("storage class {0:?} is not available on R2 (use STANDARD or STANDARD_IA)")]
    UnsupportedStorageClass(String),
    /// A single upload over the size limit.
    #[error("{bytes} bytes is more than one upload may hold ({limit}); use multipart")]
    TooLarge {
        /// Bytes to upload.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// A request parameter outside its range.
    #[error("{parameter} must be {expected}, got {got}")]
    OutOfRange {
        /// The parameter.
        parameter: &'static str,
        /// The allowed range, in words.
        expected: &'static str,
        /// The rejected value, rendered.
        got: String,
    },
    /// A CompleteMultipartUpload part list that S3 would refuse.
    #[error("invalid part list: {0}")]
    InvalidPartList(String),
    /// Options that contradict each other.
    #[error("conflicting options: {0}")]
    ConflictingOptions(String),
    /// An operation R2 cannot presign (it presigns GET, HEAD, PUT and DELETE only).
    #[error("{0} cannot be presigned: R2 presigns GET, HEAD, PUT and DELETE requests only")]
    NotPresignable(&'static str),
    /// A resume state that cannot be read.
    #[error(transparent)]
    InvalidResumeState(#[from] crate::resume_state::InvalidResumeState),
    /// An empty multipart upload id.
    #[error("the upload id is empty")]
    EmptyUploadId,
}

/// A request could not be signed or presigned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A presigned URL's lifetime is outside 1 s ..= 7 days or not whole seconds.
    #[error("presigned URL expiry must be whole seconds from 1 s to 7 days (604800 s), got {0:?}")]
    InvalidExpiry(Duration),
    /// The signing time cannot be written as an ISO 8601 basic UTC timestamp (year 0..=9999).
    #[error("signing time is outside the years 0 to 9999")]
    TimestampOutOfRange,
    /// The request has neither a `Host` header nor an authority in its URI.
    #[error("the request has no host: give it an absolute URI or a Host header")]
    MissingHost,
    /// Presigning needs an absolute `https://` (or `http://`) URI to put in the URL.
    #[error("presigning needs an absolute URI with scheme and host")]
    NotAbsolute,
    /// A payload hash is neither `UNSIGNED-PAYLOAD` nor 64 hexadecimal digits.
    #[error(
        "payload hash must be UNSIGNED-PAYLOAD or 64 hex digits (streaming payloads are not supported by R2)"
    )]
    InvalidPayloadHash,
    /// A region or service name holds characters outside `A-Z a-z 0-9 - . _ ~`.
    #[error("invalid credential scope part {0:?}: use A-Z, a-z, 0-9, '-', '.', '_' or '~'")]
    InvalidScope(String),
    /// A header produced by signing could not be represented (never expected with validated credentials).
    #[error("cannot represent the {0} header")]
    InvalidHeader(&'static str),
}
