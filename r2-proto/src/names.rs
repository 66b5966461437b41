//! Validated bucket names and object keys.
//!
//! R2 bucket names are 3 to 63 characters of `a-z`, `0-9` and `-`, starting
//! and ending with a letter or digit. Object keys are 1 to 1024 bytes of
//! UTF-8; any character is allowed, and no normalisation is ever applied
//! (`a/./b`, `a//b` and `../x` are distinct keys).

use std::fmt;

use crate::error::RequestError;
use crate::percent;

/// The longest object key R2 and S3 accept, in bytes of UTF-8.
pub const MAX_KEY_LEN: usize = 1024;

/// A bucket name that follows R2's rules.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BucketName(String);

impl BucketName {
    /// Validates `name` against R2's bucket naming rules.
    ///
    /// ```
    /// use r2_proto::BucketName;
    /// assert!(BucketName::new("my-bucket-01").is_ok());
    /// assert!(BucketName::new("My_Bucket").is_err());
    /// ```
    pub fn new(name: impl Into<String>) -> Result<Self, RequestError> {
        let name = name.into();
        match bucket_name_problem(&name) {
            None => Ok(Self(name)),
            Some(reason) => Err(RequestError::InvalidBucketName { name, reason }),
        }
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if !(3..=63).contains(&bytes.len()) {
        return Some("must be 3 to 63 characters long");
    }
    if let Some(&bad) = bytes
        .iter()
        .find(|&&b| !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    {
        return Some(if bad.is_ascii_uppercase() {
            "must be lower case"
        } else {
            "may hold only a-z, 0-9 and '-'"
        });
    }
    if bytes.first() == Some(&b'-') || bytes.last() == Some(&b'-') {
        return Some("must start and end with a letter or digit");
    }
    None
}

impl fmt::Debug for BucketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for BucketName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for BucketName {
    type Error = RequestError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<String> for BucketName {
    type Error = RequestError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

/// An object key: 1 to 1024 bytes of UTF-8, kept exactly as given.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey(String);

impl ObjectKey {
    /// Validates the length of `key`; every character is allowed.
    ///
    /// ```
    /// use r2_proto::ObjectKey;
    /// let key = ObjectKey::new("photos/2024/my photo+1.jpg").unwrap();
    /// assert_eq!(key.encoded(), "photos/2024/my%20photo%2B1.jpg");
    /// assert!(ObjectKey::new("").is_err());
    /// ```
    pub fn new(key: impl Into<String>) -> Result<Self, RequestError> {
        let key = key.into();
        match key.len() {
            0 => Err(RequestError::EmptyObjectKey),
            len if len > MAX_KEY_LEN => Err(RequestError::ObjectKeyTooLong { len }),
            _ => Ok(Self(key)),
        }
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key percent-encoded once for a URL path: `/` kept, every byte
    /// outside `A-Z a-z 0-9 - . _ ~` as `%XX`.
    pub fn encoded(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + self.0.len() / 2);
        percent::encode_path_into(&mut out, &self.0);
        out
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for ObjectKey {
    type Error = RequestError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl TryFrom<String> for ObjectKey {
    type Error = RequestError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<&ObjectKey> for ObjectKey {
    /// A copy, so that calls take `&key` as well as `key`.
    fn from(key: &ObjectKey) -> Self {
        key.clone()
    }
}

impl From<&BucketName> for BucketName {
    /// A copy, so that calls take `&bucket` as well as `bucket`.
    fn from(bucket: &BucketName) -> Self {
        bucket.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_rules() {
        for good in ["abc", "a-b-c", "0bucket9", &"a".repeat(63)] {
            assert!(BucketName::new(good).is_ok(), "{good}");
        }
        let cases = [
            ("ab", "must be 3 to 63 characters long"),
            (&"a".repeat(64), "must be 3 to 63 characters long"),
            ("Abc", "must be lower case"),
            ("a_b", "may hold only a-z, 0-9 and '-'"),
            ("a.b", "may hold only a-z, 0-9 and '-'"),
            ("-ab", "must start and end with a letter or digit"),
            ("ab-", "must start and end with a letter or digit"),
            ("ünï", "may hold only a-z, 0-9 and '-'"),
        ];
        for (bad, why) in cases {
            assert_eq!(
                BucketName::new(bad),
                Err(RequestError::InvalidBucketName {
                    name: bad.to_owned(),
                    reason: why
                })
            );
        }
    }

    #[test]
    fn key_lengths() {
        assert_eq!(ObjectKey::new(""), Err(RequestError::EmptyObjectKey));
        assert!(ObjectKey::new("k".repeat(1024)).is_ok());
        assert_eq!(
            ObjectKey::new("k".repeat(1025)),
            Err(RequestError::ObjectKeyTooLong { len: 1025 })
        );
        // 342 three-byte characters are 1026 bytes.
        assert_eq!(
            ObjectKey::new("長".repeat(342)),
            Err(RequestError::ObjectKeyTooLong { len: 1026 })
        );
    }

    #[test]
    fn conversions_and_formatting() {
        let bucket = BucketName::try_from("photos").unwrap();
        assert_eq!(
            BucketName::try_from(String::from("photos")),
            Ok(bucket.clone())
        );
        assert_eq!(bucket.as_str(), "photos");
        assert_eq!(format!("{bucket} {bucket:?}"), "photos \"photos\"");
        assert!(BucketName::try_from("x").is_err());

        let key = ObjectKey::try_from("a \"b\"").unwrap();
        assert_eq!(
            ObjectKey::try_from(String::from("a \"b\"")),
            Ok(key.clone())
        );
        assert_eq!(key.as_str(), "a \"b\"");
        assert_eq!(format!("{key} {key:?}"), "a \"b\" \"a \\\"b\\\"\"");
        assert!(ObjectKey::try_from(String::new()).is_err());
    }

    #[test]
    fn keys_are_not_normalised() {
        let key = ObjectKey::new("a/./b/../c//d/").unwrap();
        assert_eq!(key.encoded(), "a/./b/../c//d/");
        assert_eq!(key.to_string(), "a/./b/../c//d/");
    }
}
