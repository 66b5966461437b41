//! Entity tags.

use std::fmt;

use md5::{Digest, Md5};

/// The hex MD5 of `data`: the ETag of a single-part object or a part.
pub fn md5_hex(data: &[u8]) -> String {
    hex(&Md5::digest(data).into())
}

fn hex(digest: &[u8; 16]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// An object's or part's ETag, as the server sent it (quotes included).
///
/// For a single-part upload without SSE-C it is the hex MD5 of the bytes;
/// for a multipart object it is `md5(concatenated part md5s)-N`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ETag(String);

impl ETag {
    /// An ETag from its text, with or without the surrounding quotes.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The ETag as received.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ETag without surrounding quotes.
    pub fn unquoted(&self) -> &str {
        let text = self.0.as_str();
        text.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text)
    }

    /// The ETag in quotes, as conditional headers and CompleteMultipartUpload want it.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.unquoted())
    }

    /// The number of parts of a multipart object's ETag (`…-N`).
    pub fn part_count(&self) -> Option<u32> {
        self.unquoted().rsplit_once('-')?.1.parse().ok()
    }

    /// The ETag S3 and R2 give a multipart object made of parts with these
    /// ETags: the MD5 of the parts' MD5s, and the part count. `None` if a
    /// part's ETag is not an MD5.
    pub fn multipart(parts: &[&ETag]) -> Option<ETag> {
        let mut md5s = Md5::new();
        for etag in parts {
            let hex = etag.md5_hex()?;
            let mut bytes = [0u8; 16];
            for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
                let pair = std::str::from_utf8(pair).ok()?;
                *byte = u8::from_str_radix(pair, 16).ok()?;
            }
            md5s.update(bytes);
        }
        let digest: [u8; 16] = md5s.finalize().into();
        Some(ETag::new(format!("\"{}-{}\"", hex(&digest), parts.len())))
    }

    /// The hex MD5 of the object, when the ETag is one (32 hex digits, no part count).
    pub fn md5_hex(&self) -> Option<&str> {
        let text = self.unquoted();
        (text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())).then_some(text)
    }
}

impl fmt::Debug for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ETag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ETag {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for ETag {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let single = ETag::new("\"9b2cf535f27731c974343645a3985328\"");
        assert_eq!(single.unquoted(), "9b2cf535f27731c974343645a3985328");
        assert_eq!(single.md5_hex(), Some("9b2cf535f27731c974343645a3985328"));
        assert_eq!(single.part_count(), None);
        assert_eq!(ETag::new("abc").quoted(), "\"abc\"");
        assert_eq!(single.quoted(), single.as_str());
        let multi = ETag::from("\"d41d8cd98f00b204e9800998ecf8427e-12\"");
        assert_eq!(multi.part_count(), Some(12));
        assert_eq!(multi.md5_hex(), None);
        assert_eq!(
            format!("{multi}"),
            "\"d41d8cd98f00b204e9800998ecf8427e-12\""
        );
        assert_eq!(ETag::from(String::from("\"")).unquoted(), "\"");
    }
}
