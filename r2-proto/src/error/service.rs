//! Errors the server reports, by category, and the code → variant table.
//!
//! Each variant carries the response's [`ErrorDetails`]; the table below is
//! the only place that maps S3/R2 error codes to variants. Codes not in it
//! are kept verbatim in [`R2Error::Unrecognized`](super::R2Error::Unrecognized).

use super::ErrorDetails;

/// Declares a category of server errors: the enum (each variant wrapping
/// boxed details), the codes that select each variant, and optional extra
/// variants for errors the client detects itself.
macro_rules! service_errors {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => [$($code:literal),+], )*
        }
        $( client { $($extra:tt)* } )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[error("{0}")] $variant(Box<ErrorDetails>), )*
            $( $($extra)* )?
        }

        impl $name {
            /// The server's error details (`None` for errors the client detected).
            pub fn details(&self) -> Option<&ErrorDetails> {
                #[allow(unreachable_patterns)]
                match self {
                    $( Self::$variant(details) => Some(details), )*
                    _ => None,
                }
            }

            /// The variant for `details.code`, or the details back if the code is not in this category.
            pub(crate) fn from_code(details: Box<ErrorDetails>) -> Result<Self, Box<ErrorDetails>> {
                let make: Option<fn(Box<ErrorDetails>) -> Self> = match details.code.as_str() {
                    $( $($code)|+ => Some(Self::$variant), )*
                    _ => None,
                };
                match make {
                    Some(make) => Ok(make(details)),
                    None => Err(details),
                }
            }
        }
    };
}

service_errors! {
    /// Authentication and authorisation failures.
    pub enum AuthError {
        /// 403 `AccessDenied`: the credentials may not do this.
        AccessDenied => ["AccessDenied"],
        /// 403 `SignatureDoesNotMatch`: wrong secret, or the request changed after signing.
        SignatureDoesNotMatch => ["SignatureDoesNotMatch"],
        /// 403 `InvalidAccessKeyId`: the access key id is unknown.
        InvalidAccessKeyId => ["InvalidAccessKeyId"],
        /// 400 `ExpiredToken`: the session token has expired.
        ExpiredToken => ["ExpiredToken"],
        /// 400 `InvalidToken`: the session token is malformed or invalid.
        InvalidToken => ["InvalidToken"],
        /// 400 `ExpiredRequest`: a presigned URL or signature has expired (R2).
        ExpiredRequest => ["ExpiredRequest"],
        /// 401 `Unauthorized`: R2's answer to bad credentials.
        Unauthorized => ["Unauthorized"],
        /// 403 `NotEntitled`: the account has no R2 subscription.
        NotEntitled => ["NotEntitled"],
        /// 403 `RequestTimeTooSkewed`: the client clock is off; `server_time` says by how much.
        RequestTimeTooSkewed => ["RequestTimeTooSkewed"],
        /// 400 `AuthorizationHeaderMalformed` / `AuthorizationQueryParametersError`.
        AuthorizationMalformed => ["AuthorizationHeaderMalformed", "AuthorizationQueryParametersError"],
    }
}

service_errors! {
    /// Bucket-level failures.
    pub enum BucketError {
        /// 404 `NoSuchBucket`.
        NoSuchBucket => ["NoSuchBucket"],
        /// 409 `BucketNotEmpty`.
        BucketNotEmpty => ["BucketNotEmpty"],
        /// 409 `BucketAlreadyExists`.
        BucketAlreadyExists => ["BucketAlreadyExists"],
        /// 409 `BucketAlreadyOwnedByYou`.
        BucketAlreadyOwnedByYou => ["BucketAlreadyOwnedByYou"],
        /// 409 `BucketConflict` (R2).
        BucketConflict => ["BucketConflict"],
        /// 400 `InvalidBucketName`.
        InvalidBucketName => ["InvalidBucketName"],
        /// 400 `TooManyBuckets`.
        TooManyBuckets => ["TooManyBuckets"],
        /// 404 `NoSuchLifecycleConfiguration`: the bucket has no lifecycle rules.
        NoSuchLifecycleConfiguration => ["NoSuchLifecycleConfiguration"],
    }
}

service_errors! {
    /// Object-level failures.
    pub enum ObjectError {
        /// 404 `NoSuchKey`.
        NoSuchKey => ["NoSuchKey"],
        /// 304: `If-None-Match` or `If-Modified-Since` matched; the object is unchanged.
        NotModified => ["NotModified"],
        /// 412 `PreconditionFailed`: `If-Match` / `If-Unmodified-Since` (or a conditional put) failed.
        PreconditionFailed => ["PreconditionFailed"],
        /// 416 `InvalidRange`: the range lies outside the object.
        InvalidRange => ["InvalidRange"],
        /// 400 `EntityTooLarge`: over 5 GiB − 5 MiB in one PUT, or 5 TiB in all.
        EntityTooLarge => ["EntityTooLarge"],
        /// 400 `InvalidObjectName` / `KeyTooLongError`.
        InvalidObjectName => ["InvalidObjectName", "KeyTooLongError"],
        /// 400 `MetadataTooLarge`.
        MetadataTooLarge => ["MetadataTooLarge"],
        /// 403 `ObjectLockedByBucketPolicy` (R2 bucket locks).
        ObjectLockedByBucketPolicy => ["ObjectLockedByBucketPolicy"],
    }
}

service_errors! {
    /// Multipart upload failures.
    pub enum MultipartError {
        /// 404 `NoSuchUpload`: unknown, completed, aborted or expired upload id.
        NoSuchUpload => ["NoSuchUpload"],
        /// 400 `InvalidPart`: a part is missing or its ETag is wrong, or (R2) the
        /// non-trailing parts differ in size.
        InvalidPart => ["InvalidPart"],
        /// 400 `InvalidPartOrder`: parts not listed in ascending order.
        InvalidPartOrder => ["InvalidPartOrder"],
        /// 400 `EntityTooSmall`: a non-trailing part under 5 MiB.
        EntityTooSmall => ["EntityTooSmall"],
    }
}

service_errors! {
    /// Failures of the service itself, and throttling.
    pub enum ServerError {
        /// 500 `InternalError`: retry.
        InternalError => ["InternalError"],
        /// 503 `ServiceUnavailable`: retry with backoff.
        ServiceUnavailable => ["ServiceUnavailable"],
        /// 503 `SlowDown`: retry after `retry_after`.
        SlowDown => ["SlowDown"],
        /// 429 `TooManyRequests`: R2 allows one write per second to a key; retry with backoff.
        TooManyRequests => ["TooManyRequests"],
        /// 501 `NotImplemented`: a feature or header R2 does not support (`header` names it). Not retried.
        NotImplemented => ["NotImplemented"],
    }
}

service_errors! {
    /// Requests the server refused as malformed or unsupported.
    pub enum InvalidRequestError {
        /// 400 `InvalidArgument`.
        InvalidArgument => ["InvalidArgument"],
        /// 400 `InvalidRequest` (R2 says it, for example, for two checksums at once).
        InvalidRequest => ["InvalidRequest"],
        /// 400 `MalformedXML`.
        MalformedXml => ["MalformedXML"],
        /// 405 `MethodNotAllowed`.
        MethodNotAllowed => ["MethodNotAllowed"],
        /// 400 `InvalidStorageClass`.
        InvalidStorageClass => ["InvalidStorageClass"],
    }
}

service_errors! {
    /// The body did not arrive whole or intact: reported by the server for
    /// uploads, detected by the client for downloads.
    pub enum TransferError {
        /// 400 `BadDigest`: the body does not match its `Content-MD5` or checksum.
        BadDigest => ["BadDigest"],
        /// 400 `XAmzContentSHA256Mismatch`: the body does not match the signed SHA-256.
        ContentSha256Mismatch => ["XAmzContentSHA256Mismatch"],
        /// 400 `InvalidDigest`: the digest header is malformed.
        InvalidDigest => ["InvalidDigest"],
        /// 400 `IncompleteBody`: fewer bytes arrived than `Content-Length` announced.
        RequestBodyIncomplete => ["IncompleteBody"],
        /// 411 `MissingContentLength`: R2 requires `Content-Length` on PUT and POST.
        MissingContentLength => ["MissingContentLength"],
        /// 400 `RequestTimeout`: the server waited too long for the body. Retried.
        RequestTimeout => ["RequestTimeout"],
        /// 400 `ClientDisconnect` (R2).
        ClientDisconnect => ["ClientDisconnect"],
    }
    client {
        /// A response body ended before its `Content-Length`.
        #[error("incomplete body: expected {expected} bytes, received {received}")]
        IncompleteBody {
            /// Bytes announced.
            expected: u64,
            /// Bytes received.
            received: u64,
        },
        /// The upload's source failed or did not give the bytes it promised.
        #[error("the source of part {part} failed: {message}")]
        SourceFailed {
            /// The part being read.
            part: u32,
            /// What went wrong.
            message: String,
        },
        /// The upload's source file changed length while it was uploaded:
        /// what was sent would not be the file as it is now.
        #[error("the source changed during the upload: {found} bytes, {expected} when it began")]
        SourceChanged {
            /// Its length when the upload began.
            expected: u64,
            /// Its length at a later read.
            found: u64,
        },
        /// Writing downloaded bytes to the local sink failed (disk full,
        /// closed pipe); the sink holds an incomplete copy.
        #[error("writing the download failed at offset {offset}: {message}")]
        SinkFailed {
            /// Where the failed write started.
            offset: u64,
            /// What went wrong.
            message: String,
        },
        /// A ranged download found another version of the object than the
        /// one it started with (a server that ignored `If-Match`).
        #[error("the object changed during the download: ETag {found}, expected {expected}")]
        ObjectChanged {
            /// The ETag the download is pinned to.
            expected: String,
            /// The ETag a later range came with.
            found: String,
        },
        /// A body's checksum or MD5 ETag differs from the one computed over the bytes received.
        #[error("{algorithm} mismatch: expected {expected}, computed {actual}")]
        ChecksumMismatch {
            /// `MD5`, `CRC32`, `CRC32C`, `SHA1`, `SHA256` or `CRC64NVME`.
            algorithm: &'static str,
            /// The value the server announced.
            expected: String,
            /// The value computed over the received bytes.
            actual: String,
        },
    }
}

impl TransferError {
    /// Reading the upload's source failed at `part`.
    pub fn source_failed(part: u32, error: &std::io::Error) -> Self {
        Self::SourceFailed {
            part,
            message: error.to_string(),
        }
    }

    /// Writing the download to its sink failed at `offset`.
    pub fn sink_failed(offset: u64, error: &std::io::Error) -> Self {
        Self::SinkFailed {
            offset,
            message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(code: &str) -> Box<ErrorDetails> {
        Box::new(ErrorDetails::new(code, "m", 400))
    }

    #[test]
    fn codes_select_variants() {
        assert!(matches!(
            AuthError::from_code(details("AuthorizationQueryParametersError")),
            Ok(AuthError::AuthorizationMalformed(_))
        ));
        assert!(matches!(
            ObjectError::from_code(details("KeyTooLongError")),
            Ok(ObjectError::InvalidObjectName(_))
        ));
        let back = AuthError::from_code(details("NoSuchKey")).unwrap_err();
        assert_eq!(back.code, "NoSuchKey");
        let server = ServerError::from_code(details("SlowDown")).unwrap();
        assert_eq!(server.details().map(|d| d.code.as_str()), Some("SlowDown"));
        assert_eq!(server.to_string(), "SlowDown (HTTP 400): m");
    }

    #[test]
    fn client_detected_transfer_errors_have_no_details() {
        let e = TransferError::IncompleteBody {
            expected: 10,
            received: 4,
        };
        assert_eq!(e.details(), None);
        assert_eq!(
            e.to_string(),
            "incomplete body: expected 10 bytes, received 4"
        );
    }
}
