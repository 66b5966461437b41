//! User metadata (`x-amz-meta-*`).
//!
//! Names are ASCII tokens, stored lower-case (HTTP does not keep case).
//! Names and values together may hold at most 2 KiB of UTF-8, the S3 limit.
//! HTTP header values are ASCII, so a value that is not plain printable
//! ASCII travels as RFC 2047 encoded words (`=?UTF-8?B?…?=`). R2 decodes those
//! on write and encodes on read; r2 decodes them on read, so any string
//! round-trips, through R2 or any other S3 server.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::error::RequestError;

/// The header prefix of user metadata.
pub const METADATA_PREFIX: &str = "x-amz-meta-";
/// The most bytes of UTF-8 that metadata names and values may hold together.
pub const MAX_METADATA_BYTES: usize = 2048;

/// User metadata: lower-case names to values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    entries: BTreeMap<String, String>,
}

impl Metadata {
    /// No metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an entry (builder style). The name is lower-cased.
    #[must_use]
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.insert(name, value);
        self
    }

    /// Adds an entry, returning the value it replaced. The name is lower-cased.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.entries
            .insert(name.into().to_ascii_lowercase(), value.into())
    }

    /// The value of `name` (any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The entries, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks names and size, and adds the `x-amz-meta-*` headers to `headers`.
    pub(crate) fn write_headers(&self, headers: &mut HeaderMap) -> Result<(), RequestError> {
        let size: usize = self.entries.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > MAX_METADATA_BYTES {
            return Err(RequestError::MetadataTooLarge {
                bytes: size,
                limit: MAX_METADATA_BYTES,
            });
        }
        for (name, value) in &self.entries {
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(RequestError::InvalidMetadataName(name.clone()));
            }
            let header = HeaderName::from_bytes(format!("{METADATA_PREFIX}{name}").as_bytes())
                .map_err(|_| RequestError::InvalidMetadataName(name.clone()))?;
            let value = HeaderValue::from_str(&encode_value(value))
                .map_err(|_| RequestError::InvalidMetadataName(name.clone()))?;
            headers.append(header, value);
        }
        Ok(())
    }

    /// The metadata of a response, and R2's `x-amz-missing-meta` count.
    pub(crate) fn from_headers(headers: &HeaderMap) -> (Self, Option<u32>) {
        let mut metadata = Self::new();
        for (name, value) in headers {
            if let Some(short) = name.as_str().strip_prefix(METADATA_PREFIX) {
                let raw = String::from_utf8_lossy(value.as_bytes());
                metadata.insert(short, decode_value(&raw));
            }
        }
        let missing = headers
            .get("x-amz-missing-meta")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        (metadata, missing)
    }
}

impl fmt::Debug for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries.iter()).finish()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Metadata {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut metadata = Self::new();
        for (k, v) in iter {
            metadata.insert(k, v);
        }
        metadata
    }
}

/// RFC 7230 token characters.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The value as it travels: itself when it is printable ASCII that HTTP keeps
/// as is, else RFC 2047 encoded words of at most 45 bytes each.
fn encode_value(value: &str) -> String {
    let plain = value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !value.starts_with(' ')
        && !value.ends_with(' ')
        && !value.contains("=?");
    if plain {
        return value.to_owned();
    }
    let mut words = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let mut cut = rest.len().min(45);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (chunk, tail) = rest.split_at(cut);
        words.push(format!("=?UTF-8?B?{}?=", BASE64.encode(chunk)));
        rest = tail;
    }
    words.join(" ")
}

/// Decodes RFC 2047 encoded words (`B` or `Q`, UTF-8); anything else is kept as is.
pub(crate) fn decode_value(value: &str) -> String {
    if !value.contains("=?") {
        return value.to_owned();
    }
    let mut out = Vec::new();
    for word in value.split(' ').filter(|w| !w.is_empty()) {
        match decode_word(word) {
            Some(bytes) => out.extend_from_slice(&bytes),
            None => return value.to_owned(),
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| value.to_owned())
}

fn decode_word(word: &str) -> Option<Vec<u8>> {
    let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.splitn(3, '?');
    let (charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
    if !charset.eq_ignore_ascii_case("utf-8") {
        return None;
    }
    match encoding {
        "B" | "b" => BASE64.decode(text).ok(),
        "Q" | "q" => {
            let mut out = Vec::with_capacity(text.len());
            let mut bytes = text.bytes();
            while let Some(b) = bytes.next() {
                match b {
                    b'_' => out.push(b' '),
                    b'=' => {
                        let hex = [bytes.next()?, bytes.next()?];
                        let hex = std::str::from_utf8(&hex).ok()?;
                        out.push(u8::from_str_radix(hex, 16).ok()?);
                    }
                    b => out.push(b),
                }
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(metadata: &Metadata) -> Metadata {
        let mut headers = HeaderMap::new();
        metadata.write_headers(&mut headers).unwrap();
        Metadata::from_headers(&headers).0
    }

    #[test]
    fn plain_and_encoded_values_round_trip() {
        let metadata = Metadata::new()
            .with("Author", "John Doe")
            .with("city", "Zürich")
            .with("emoji", "😀".repeat(30))
            .with("padded", " x ")
            .with("looks-encoded", "=?UTF-8?B?eA==?=")
            .with("control", "a\tb\nc");
        let mut headers = HeaderMap::new();
        metadata.write_headers(&mut headers).unwrap();
        assert_eq!(headers["x-amz-meta-author"], "John Doe");
        assert_eq!(headers["x-amz-meta-city"], "=?UTF-8?B?WsO8cmljaA==?=");
        assert!(
            headers["x-amz-meta-emoji"]
                .to_str()
                .unwrap()
                .split(' ')
                .all(|w| w.len() <= 75)
        );
        assert_eq!(round_trip(&metadata), metadata);
        assert_eq!(metadata.get("AUTHOR"), Some("John Doe"));
        assert_eq!(metadata.len(), 6);
    }

    #[test]
    fn decodes_q_words_and_leaves_other_text() {
        assert_eq!(
            decode_value("=?utf-8?Q?caf=C3=A9_au_lait?="),
            "café au lait"
        );
        assert_eq!(decode_value("=?UTF-8?B?YQ==?= =?UTF-8?B?Yg==?="), "ab");
        assert_eq!(decode_value("plain"), "plain");
        assert_eq!(decode_value("=?ISO-8859-1?Q?x?="), "=?ISO-8859-1?Q?x?=");
        assert_eq!(decode_value("a =?UTF-8?B?YQ==?="), "a =?UTF-8?B?YQ==?=");
        assert_eq!(decode_value("=?UTF-8?Q?=ZZ?="), "=?UTF-8?Q?=ZZ?=");
        assert_eq!(decode_value("=?UTF-8?B?/w==?="), "=?UTF-8?B?/w==?=");
    }

    #[test]
    fn names_and_size_are_checked() {
        let mut headers = HeaderMap::new();
        assert_eq!(
            Metadata::new()
                .with("bad name", "v")
                .write_headers(&mut headers),
            Err(RequestError::InvalidMetadataName("bad name".into()))
        );
        assert_eq!(
            Metadata::new().with("", "v").write_headers(&mut headers),
            Err(RequestError::InvalidMetadataName(String::new()))
        );
        assert_eq!(
            Metadata::new()
                .with("k", "v".repeat(2048))
                .write_headers(&mut headers),
            Err(RequestError::MetadataTooLarge {
                bytes: 2049,
                limit: 2048
            })
        );
        assert!(
            Metadata::new()
                .with("k", "v".repeat(2047))
                .write_headers(&mut headers)
                .is_ok()
        );
    }

    #[test]
    fn reads_missing_meta_count() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-missing-meta", HeaderValue::from_static("2"));
        headers.insert("x-amz-meta-a", HeaderValue::from_static("1"));
        let (metadata, missing) = Metadata::from_headers(&headers);
        assert_eq!(missing, Some(2));
        assert_eq!(format!("{metadata:?}"), "{\"a\": \"1\"}");
        let collected: Metadata = [("X", "y")].into_iter().collect();
        assert_eq!(collected.iter().collect::<Vec<_>>(), [("x", "y")]);
        assert!(!collected.is_empty());
    }
}
