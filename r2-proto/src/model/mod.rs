//! The values operations take and return: ETags, ranges, checksums,
//! metadata, storage classes; and the checks of a GET body as it streams.

mod body_check;
mod checksum;
mod etag;
mod metadata;
mod object_metadata;
mod range;
mod storage_class;

pub(crate) use body_check::broken_off;
pub use body_check::{BodyCheck, body_cut_short, broken_body, declared_length};
pub use checksum::{Checksum, ChecksumAlgorithm, ChecksumType, Checksums, Integrity, check_echo};
pub use etag::{ETag, md5_hex};
pub use metadata::{MAX_METADATA_BYTES, METADATA_PREFIX, Metadata};
pub use object_metadata::ObjectMetadata;
pub use range::{ByteRange, ContentRange};
pub use storage_class::{MetadataDirective, StorageClass};
