//! Storage classes and CopyObject's metadata directive.

use std::fmt;

/// An object's storage class. R2 has `STANDARD` and `STANDARD_IA`
/// (infrequent access); other values a server reports are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StorageClass {
    /// `STANDARD`.
    Standard,
    /// `STANDARD_IA`.
    StandardIa,
    /// Any other class, as the server named it.
    Other(String),
}

impl StorageClass {
    /// The name S3 uses.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Standard => "STANDARD",
            Self::StandardIa => "STANDARD_IA",
            Self::Other(name) => name,
        }
    }

    /// Reads a class from its S3 name.
    pub fn parse(name: &str) -> Self {
        match name {
            "STANDARD" => Self::Standard,
            "STANDARD_IA" => Self::StandardIa,
            other => Self::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for StorageClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What CopyObject does with the source's metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetadataDirective {
    /// `COPY`: keep the source's metadata (the default).
    #[default]
    Copy,
    /// `REPLACE`: use the metadata and headers given with the copy.
    Replace,
    /// `MERGE` (R2): add the given metadata to the source's.
    Merge,
}

impl MetadataDirective {
    /// The value of `x-amz-metadata-directive`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Copy => "COPY",
            Self::Replace => "REPLACE",
            Self::Merge => "MERGE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for class in [
            StorageClass::Standard,
            StorageClass::StandardIa,
            StorageClass::Other("GLACIER".into()),
        ] {
            assert_eq!(StorageClass::parse(class.as_str()), class);
        }
        assert_eq!(StorageClass::StandardIa.to_string(), "STANDARD_IA");
        assert_eq!(MetadataDirective::default().as_str(), "COPY");
        assert_eq!(MetadataDirective::Merge.as_str(), "MERGE");
        assert_eq!(MetadataDirective::Replace.as_str(), "REPLACE");
    }
}
