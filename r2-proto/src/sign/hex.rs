//! Lower-case hex of 32-byte digests, without allocation.

/// The lower-case hex digits of `bytes`.
pub(crate) fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = DIGITS.get(usize::from(byte >> 4)).copied().unwrap_or(b'0');
            *lo = DIGITS
                .get(usize::from(byte & 0x0f))
                .copied()
                .unwrap_or(b'0');
        }
    }
    out
}

/// `bytes` as a `&str`; callers pass only ASCII.
pub(crate) fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_of_digest() {
        let mut bytes = [0u8; 32];
        bytes[0] = 0xab;
        bytes[31] = 0x09;
        let hex = hex32(&bytes);
        assert_eq!(&hex[..2], b"ab");
        assert_eq!(&hex[62..], b"09");
        assert_eq!(ascii(&hex).len(), 64);
    }
}
