//! What an upload is of and how it is sent: the source, the options and
//! the integrity header of each part.

use super::*;
use std::time::Duration;

use crate::transfer::PROGRESS_INTERVAL;

/// Where the bytes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadSource {
    /// A source of known length that can be read at any offset (bytes, a file).
    Sized(u64),
    /// A stream of unknown length, read front to back once.
    Stream,
}

/// The integrity header each part carries. The default is a composite
/// CRC32: the server refuses a part altered on the way, for about 16 ms of
/// CPU per GiB (Content-MD5 costs about 1.5 s, SHA-256 about 0.5 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartIntegrity {
    /// None: TLS protects the bytes in transit.
    None,
    /// `Content-MD5`, computed by the machine: the server refuses a part
    /// whose bytes changed on the way (and its ETag is then that MD5).
    ContentMd5,
    /// One `x-amz-checksum-<algorithm>` per part, declared as a composite
    /// checksum at creation and echoed per part in Complete, as R2 requires.
    /// CRC32, CRC32C, SHA-1 or SHA-256 (R2 takes no composite CRC64NVME).
    Checksum(ChecksumAlgorithm),
}

impl Default for PartIntegrity {
    fn default() -> Self {
        Self::Checksum(ChecksumAlgorithm::Crc32)
    }
}

impl PartIntegrity {
    /// The checksum algorithm, if one is used.
    pub(super) fn algorithm(self) -> Option<ChecksumAlgorithm> {
        match self {
            Self::Checksum(algorithm) => Some(algorithm),
            Self::None | Self::ContentMd5 => None,
        }
    }

    /// The header for a body made of `chunks`, and the checksum to echo in Complete.
    pub(super) fn header<C: AsRef<[u8]>>(
        self,
        chunks: &[C],
    ) -> (Option<Integrity>, Option<Checksum>) {
        match self {
            Self::None => (None, None),
            Self::ContentMd5 => (Some(Integrity::content_md5_of_chunks(chunks)), None),
            Self::Checksum(algorithm) => {
                let checksum = Checksum::of_chunks(algorithm, chunks);
                (checksum.map(Integrity::Checksum), checksum)
            }
        }
    }
}

/// Settings of one upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOptions {
    /// Bytes per part (grown when needed to fit 10,000 parts).
    pub part_size: u64,
    /// Parts read or sent at once (1..=16).
    pub concurrency: usize,
    /// Sources of at least this size use multipart.
    pub multipart_threshold: u64,
    /// On failure, keep the upload for resuming instead of aborting it
    /// (sized sources only: a stream cannot be read again, so a failed
    /// stream upload is aborted all the same).
    pub keep_on_failure: bool,
    /// Re-read parts found by ListParts when resuming, and compare their MD5
    /// with the listed ETag before trusting them.
    pub verify_resumed_parts: bool,
    /// The integrity header of each part.
    pub part_integrity: PartIntegrity,
    /// What the object is stored with (content type, metadata, …).
    pub attributes: ObjectAttributes,
    /// The least time between two progress reports.
    pub progress_interval: Duration,
}

impl UploadOptions {
    /// The configuration's part size, concurrency and threshold.
    pub fn from_config(config: &Config) -> Self {
        Self {
            part_size: config.part_size(),
            concurrency: config.concurrency(),
            multipart_threshold: config.multipart_threshold(),
            keep_on_failure: false,
            verify_resumed_parts: true,
            part_integrity: PartIntegrity::default(),
            attributes: ObjectAttributes::default(),
            progress_interval: PROGRESS_INTERVAL,
        }
    }
}
