//! The names of the operations, for errors, logs, metrics and cassettes.

use std::fmt;

/// An S3 operation r2 performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum OperationName {
    /// PutObject.
    PutObject,
    /// GetObject.
    GetObject,
    /// HeadObject.
    HeadObject,
    /// DeleteObject.
    DeleteObject,
    /// DeleteObjects.
    DeleteObjects,
    /// CopyObject.
    CopyObject,
    /// ListObjectsV2.
    ListObjectsV2,
    /// CreateMultipartUpload.
    CreateMultipartUpload,
    /// UploadPart.
    UploadPart,
    /// UploadPartCopy.
    UploadPartCopy,
    /// CompleteMultipartUpload.
    CompleteMultipartUpload,
    /// AbortMultipartUpload.
    AbortMultipartUpload,
    /// ListParts.
    ListParts,
    /// ListMultipartUploads.
    ListMultipartUploads,
    /// GetBucketLifecycleConfiguration.
    GetBucketLifecycleConfiguration,
    /// ListBuckets.
    ListBuckets,
}

impl OperationName {
    /// The name as S3 spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PutObject => "PutObject",
            Self::GetObject => "GetObject",
            Self::HeadObject => "HeadObject",
            Self::DeleteObject => "DeleteObject",
            Self::DeleteObjects => "DeleteObjects",
            Self::CopyObject => "CopyObject",
            Self::ListObjectsV2 => "ListObjectsV2",
            Self::CreateMultipartUpload => "CreateMultipartUpload",
            Self::UploadPart => "UploadPart",
            Self::UploadPartCopy => "UploadPartCopy",
            Self::CompleteMultipartUpload => "CompleteMultipartUpload",
            Self::AbortMultipartUpload => "AbortMultipartUpload",
            Self::ListParts => "ListParts",
            Self::ListMultipartUploads => "ListMultipartUploads",
            Self::GetBucketLifecycleConfiguration => "GetBucketLifecycleConfiguration",
            Self::ListBuckets => "ListBuckets",
        }
    }
}

impl fmt::Display for OperationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
