//! Percent-encoding the way S3's SigV4 wants it.
//!
//! Only the RFC 3986 unreserved bytes `A-Z a-z 0-9 - . _ ~` stay literal;
//! every other byte becomes `%XX` with upper-case hex. Paths keep `/`; query
//! names and values encode it. Space is `%20`, never `+`.

use std::borrow::Cow;

/// True for the bytes SigV4 never encodes.
#[inline]
pub(crate) const fn is_unreserved(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~')
}

#[inline]
const fn hex_upper(nibble: u8) -> char {
    (if nibble < 10 {
        b'0' + nibble
    } else {
        b'A' + nibble - 10
    }) as char
}

#[inline]
const fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

fn encode_into(out: &mut String, input: &[u8], keep_slash: bool) {
    out.reserve(input.len());
    for &byte in input {
        if is_unreserved(byte) || (keep_slash && byte == b'/') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(hex_upper(byte >> 4));
            out.push(hex_upper(byte & 0x0f));
        }
    }
}

/// Appends `input` percent-encoded as an S3 object path: every byte but the
/// unreserved ones and `/` becomes `%XX`.
pub fn encode_path_into(out: &mut String, input: &str) {
    encode_into(out, input.as_bytes(), true);
}

/// Appends `input` percent-encoded as a query name or value (and for any
/// other single URI component): every byte but the unreserved ones, `/`
/// included, becomes `%XX`.
pub fn encode_component_into(out: &mut String, input: &[u8]) {
    encode_into(out, input, false);
}

/// Returns `input` encoded as a query name or value.
pub fn encode_component(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + input.len() / 2);
    encode_component_into(&mut out, input.as_bytes());
    out
}

/// Decodes `%XX` escapes. A `%` that is not followed by two hex digits is kept
/// as a literal `%`; `+` stays `+` (S3 does not read it as a space).
pub fn decode(input: &str) -> Cow<'_, [u8]> {
    let bytes = input.as_bytes();
    if !bytes.contains(&b'%') {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut iter = bytes.iter().copied();
    while let Some(byte) = iter.next() {
        if byte != b'%' {
            out.push(byte);
            continue;
        }
        let mut lookahead = iter.clone();
        match (
            lookahead.next().and_then(hex_value),
            lookahead.next().and_then(hex_value),
        ) {
            (Some(hi), Some(lo)) => {
                out.push((hi << 4) | lo);
                iter = lookahead;
            }
            _ => out.push(b'%'),
        }
    }
    Cow::Owned(out)
}

/// Decodes a form-style value (`+` is a space, `%XX` escapes), as S3
/// writes keys in `encoding-type=url` listings. A `%` not followed by two
/// hex digits is kept literally. `None` if the bytes are not UTF-8.
pub fn decode_form(input: &str) -> Option<String> {
    let mut out = String::with_capacity(input.len());
    let mut escaped = Vec::new();
    let mut rest = input;
    while let Some(at) = memchr::memchr2(b'+', b'%', rest.as_bytes()) {
        // `+` and `%` are ASCII, so `at` is a character boundary.
        out.push_str(rest.get(..at)?);
        rest = rest.get(at..)?;
        if let Some(after) = rest.strip_prefix('+') {
            out.push(' ');
            rest = after;
            continue;
        }
        // A run of `%XX` escapes. ASCII bytes go straight out; bytes of a
        // multi-byte character are gathered and checked to be UTF-8 when
        // the character ends (at an ASCII byte or the end of the run).
        let mut decoded_any = false;
        while let [b'%', hi, lo, ..] = rest.as_bytes() {
            let (Some(hi), Some(lo)) = (hex_value(*hi), hex_value(*lo)) else {
                break;
            };
            let byte = (hi << 4) | lo;
            if byte.is_ascii() {
                flush_utf8(&mut out, &mut escaped)?;
                out.push(char::from(byte));
            } else {
                escaped.push(byte);
            }
            decoded_any = true;
            rest = rest.get(3..)?;
        }
        flush_utf8(&mut out, &mut escaped)?;
        if !decoded_any {
            out.push('%');
            rest = rest.get(1..)?;
        }
    }
    out.push_str(rest);
    Some(out)
}

/// Appends the gathered bytes, which must be whole UTF-8 characters.
fn flush_utf8(out: &mut String, bytes: &mut Vec<u8>) -> Option<()> {
    if !bytes.is_empty() {
        out.push_str(std::str::from_utf8(bytes).ok()?);
        bytes.clear();
    }
    Some(())
}

/// True if `query` can travel as a URI query exactly as written: visible
/// ASCII without `#` (a `#` would start a fragment and cut the query short).
pub fn is_sendable_query(query: &str) -> bool {
    query.bytes().all(|b| b.is_ascii_graphic() && b != b'#')
}

/// True if `component` is already in SigV4 canonical form: only unreserved
/// bytes and `%XX` escapes (upper-case hex) of bytes that must be escaped.
pub(crate) fn is_canonical_component(component: &str) -> bool {
    let mut iter = component.bytes();
    while let Some(byte) = iter.next() {
        if is_unreserved(byte) {
            continue;
        }
        if byte != b'%' {
            return false;
        }
        let (Some(hi), Some(lo)) = (iter.next(), iter.next()) else {
            return false;
        };
        if hi.is_ascii_lowercase() || lo.is_ascii_lowercase() {
            return false;
        }
        match (hex_value(hi), hex_value(lo)) {
            (Some(h), Some(l)) if !is_unreserved((h << 4) | l) => {}
            _ => return false,
        }
    }
    true
}

/// Returns `component` (a raw query name or value) in SigV4 canonical form,
/// borrowing it when it already is.
pub(crate) fn canonical_component(component: &str) -> Cow<'_, str> {
    if is_canonical_component(component) {
        return Cow::Borrowed(component);
    }
    let decoded = decode(component);
    let mut out = String::with_capacity(decoded.len() + 8);
    encode_component_into(&mut out, &decoded);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(input: &str) -> String {
        let mut out = String::new();
        encode_path_into(&mut out, input);
        out
    }

    #[test]
    fn path_keeps_slash_and_unreserved() {
        assert_eq!(path("a/b-c_d.e~f"), "a/b-c_d.e~f");
        assert_eq!(path("my photo (1).jpg"), "my%20photo%20%281%29.jpg");
        assert_eq!(path("a+b=c&d?e#f%g"), "a%2Bb%3Dc%26d%3Fe%23f%25g");
        assert_eq!(path("./../x//"), "./../x//");
        assert_eq!(path("日"), "%E6%97%A5");
    }

    #[test]
    fn component_encodes_slash() {
        assert_eq!(encode_component("photos/2024/"), "photos%2F2024%2F");
        assert_eq!(encode_component("a b"), "a%20b");
    }

    #[test]
    fn decode_is_lenient_on_bad_escapes() {
        assert_eq!(&*decode("100%25"), b"100%");
        assert_eq!(&*decode("%zz%4"), b"%zz%4");
        assert_eq!(&*decode("%e6%97%a5"), "日".as_bytes());
        assert_eq!(&*decode("a+b"), b"a+b");
    }

    #[test]
    fn form_decoding() {
        assert_eq!(
            decode_form("a+b%2Bc%20d%zz%").as_deref(),
            Some("a b+c d%zz%")
        );
        assert_eq!(decode_form("caf%C3%A9").as_deref(), Some("café"));
        assert_eq!(decode_form("%FF"), None);
        assert_eq!(decode_form("%C3").as_deref(), None);
        assert_eq!(decode_form("50%+off%").as_deref(), Some("50% off%"));
        assert_eq!(decode_form("%e6%97%a5%20x").as_deref(), Some("日 x"));
    }

    #[test]
    fn sendable_queries() {
        assert!(is_sendable_query("list-type=2&prefix=a%20b%23c"));
        assert!(is_sendable_query(""));
        assert!(!is_sendable_query("a=1#frag"));
        assert!(!is_sendable_query("a=b c"));
        assert!(!is_sendable_query("a=é"));
    }

    #[test]
    fn canonical_component_rewrites_only_when_needed() {
        assert!(matches!(canonical_component("abc%2F"), Cow::Borrowed(_)));
        assert_eq!(canonical_component("abc%2f"), "abc%2F");
        assert_eq!(canonical_component("%7E"), "~");
        assert_eq!(canonical_component("a b"), "a%20b");
        assert_eq!(canonical_component("ሴ"), "%E1%88%B4");
        assert_eq!(canonical_component("50%"), "50%25");
    }
}
