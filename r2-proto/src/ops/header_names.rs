//! Header names the operations send, as constants (checked at compile time).

use http::HeaderName;

/// `content-md5`.
pub(crate) const CONTENT_MD5: HeaderName = HeaderName::from_static("content-md5");
/// `x-amz-checksum-algorithm`.
pub(crate) const X_AMZ_CHECKSUM_ALGORITHM: HeaderName =
    HeaderName::from_static("x-amz-checksum-algorithm");
/// `x-amz-checksum-type`.
pub(crate) const X_AMZ_CHECKSUM_TYPE: HeaderName = HeaderName::from_static("x-amz-checksum-type");
/// `x-amz-checksum-mode`: `ENABLED` asks a GET for the object's checksum.
pub(crate) const X_AMZ_CHECKSUM_MODE: HeaderName = HeaderName::from_static("x-amz-checksum-mode");
/// `x-amz-checksum-crc32`.
pub(crate) const X_AMZ_CHECKSUM_CRC32: HeaderName = HeaderName::from_static("x-amz-checksum-crc32");
/// `x-amz-checksum-crc32c`.
pub(crate) const X_AMZ_CHECKSUM_CRC32C: HeaderName =
    HeaderName::from_static("x-amz-checksum-crc32c");
/// `x-amz-checksum-sha1`.
pub(crate) const X_AMZ_CHECKSUM_SHA1: HeaderName = HeaderName::from_static("x-amz-checksum-sha1");
/// `x-amz-checksum-sha256`.
pub(crate) const X_AMZ_CHECKSUM_SHA256: HeaderName =
    HeaderName::from_static("x-amz-checksum-sha256");
/// `x-amz-checksum-crc64nvme`.
pub(crate) const X_AMZ_CHECKSUM_CRC64NVME: HeaderName =
    HeaderName::from_static("x-amz-checksum-crc64nvme");
/// `x-amz-copy-source`.
pub(crate) const X_AMZ_COPY_SOURCE: HeaderName = HeaderName::from_static("x-amz-copy-source");
/// `x-amz-copy-source-range`.
pub(crate) const X_AMZ_COPY_SOURCE_RANGE: HeaderName =
    HeaderName::from_static("x-amz-copy-source-range");
/// `x-amz-copy-source-if-match`.
pub(crate) const X_AMZ_COPY_SOURCE_IF_MATCH: HeaderName =
    HeaderName::from_static("x-amz-copy-source-if-match");
/// `x-amz-copy-source-if-none-match`.
pub(crate) const X_AMZ_COPY_SOURCE_IF_NONE_MATCH: HeaderName =
    HeaderName::from_static("x-amz-copy-source-if-none-match");
/// `x-amz-copy-source-if-modified-since`.
pub(crate) const X_AMZ_COPY_SOURCE_IF_MODIFIED_SINCE: HeaderName =
    HeaderName::from_static("x-amz-copy-source-if-modified-since");
/// `x-amz-copy-source-if-unmodified-since`.
pub(crate) const X_AMZ_COPY_SOURCE_IF_UNMODIFIED_SINCE: HeaderName =
    HeaderName::from_static("x-amz-copy-source-if-unmodified-since");
/// `cf-copy-destination-if-match` (R2).
pub(crate) const CF_COPY_DESTINATION_IF_MATCH: HeaderName =
    HeaderName::from_static("cf-copy-destination-if-match");
/// `cf-copy-destination-if-none-match` (R2).
pub(crate) const CF_COPY_DESTINATION_IF_NONE_MATCH: HeaderName =
    HeaderName::from_static("cf-copy-destination-if-none-match");
/// `x-amz-metadata-directive`.
pub(crate) const X_AMZ_METADATA_DIRECTIVE: HeaderName =
    HeaderName::from_static("x-amz-metadata-directive");
/// `x-amz-storage-class`.
pub(crate) const X_AMZ_STORAGE_CLASS: HeaderName = HeaderName::from_static("x-amz-storage-class");

use crate::model::ChecksumAlgorithm;

/// The header that carries a checksum of `algorithm`.
pub(crate) fn checksum_header(algorithm: ChecksumAlgorithm) -> HeaderName {
    match algorithm {
        ChecksumAlgorithm::Crc32 => X_AMZ_CHECKSUM_CRC32,
        ChecksumAlgorithm::Crc32c => X_AMZ_CHECKSUM_CRC32C,
        ChecksumAlgorithm::Sha1 => X_AMZ_CHECKSUM_SHA1,
        ChecksumAlgorithm::Sha256 => X_AMZ_CHECKSUM_SHA256,
        ChecksumAlgorithm::Crc64Nvme => X_AMZ_CHECKSUM_CRC64NVME,
    }
}
