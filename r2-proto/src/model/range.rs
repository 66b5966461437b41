//! Byte ranges: the `Range` request header and the `Content-Range` answer.

use std::fmt;

use crate::error::RequestError;

/// A byte range to read, as the `Range: bytes=…` header says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=first-last`: both ends inclusive.
    Inclusive {
        /// First byte.
        first: u64,
        /// Last byte (inclusive).
        last: u64,
    },
    /// `bytes=first-`: from `first` to the end.
    From(u64),
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
}

impl ByteRange {
    /// Bytes `first..=last`; `first` must not exceed `last`.
    pub fn inclusive(first: u64, last: u64) -> Result<Self, RequestError> {
        if first > last {
            return Err(RequestError::InvalidRange(format!("{first} > {last}")));
        }
        Ok(Self::Inclusive { first, last })
    }

    /// `len` bytes from `first`; `len` must be at least 1.
    pub fn from_len(first: u64, len: u64) -> Result<Self, RequestError> {
        let last = len
            .checked_sub(1)
            .and_then(|n| first.checked_add(n))
            .ok_or_else(|| RequestError::InvalidRange(format!("{len} bytes from {first}")))?;
        Ok(Self::Inclusive { first, last })
    }

    /// The last `n` bytes; `n` must be at least 1.
    pub fn suffix(n: u64) -> Result<Self, RequestError> {
        if n == 0 {
            return Err(RequestError::InvalidRange("an empty suffix".into()));
        }
        Ok(Self::Suffix(n))
    }
}

impl fmt::Display for ByteRange {
    /// The `Range` header value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Inclusive { first, last } => write!(f, "bytes={first}-{last}"),
            Self::From(first) => write!(f, "bytes={first}-"),
            Self::Suffix(n) => write!(f, "bytes=-{n}"),
        }
    }
}

/// A `Content-Range: bytes first-last/total` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    /// First byte sent.
    pub first: u64,
    /// Last byte sent (inclusive).
    pub last: u64,
    /// The object's full size, when known (`*` otherwise).
    pub total: Option<u64>,
}

impl ContentRange {
    /// Parses `bytes first-last/total` (total may be `*`).
    pub fn parse(text: &str) -> Option<Self> {
        let (range, total) = text.trim().strip_prefix("bytes ")?.split_once('/')?;
        let (first, last) = range.split_once('-')?;
        let (first, last): (u64, u64) = (first.parse().ok()?, last.parse().ok()?);
        let total = match total {
            "*" => None,
            n => Some(n.parse().ok()?),
        };
        (first <= last && total.is_none_or(|t| last < t)).then_some(Self { first, last, total })
    }

    /// The number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    /// Always false: a content range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_headers() {
        assert_eq!(
            ByteRange::inclusive(0, 1023).unwrap().to_string(),
            "bytes=0-1023"
        );
        assert_eq!(ByteRange::From(10).to_string(), "bytes=10-");
        assert_eq!(ByteRange::suffix(5).unwrap().to_string(), "bytes=-5");
        assert_eq!(
            ByteRange::from_len(100, 10).unwrap().to_string(),
            "bytes=100-109"
        );
        assert!(ByteRange::inclusive(2, 1).is_err());
        assert!(ByteRange::suffix(0).is_err());
        assert!(ByteRange::from_len(0, 0).is_err());
        assert!(ByteRange::from_len(u64::MAX, 2).is_err());
    }

    #[test]
    fn content_ranges() {
        let range = ContentRange::parse("bytes 0-1023/4096").unwrap();
        assert_eq!(
            (range.first, range.last, range.total),
            (0, 1023, Some(4096))
        );
        assert_eq!(range.len(), 1024);
        assert!(!range.is_empty());
        assert_eq!(ContentRange::parse("bytes 5-9/*").unwrap().total, None);
        for bad in [
            "",
            "bytes */4096",
            "bytes 9-5/10",
            "bytes 0-10/10",
            "items 0-1/2",
            "bytes 0-x/3",
        ] {
            assert_eq!(ContentRange::parse(bad), None, "{bad}");
        }
    }
}
