//! What a failed check reports: the field, and where the values part ways.

use std::fmt;

/// The first field in which r2's output differs from a vector's expectation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// The field checked (`canonical_request`, `signature`, `presigned_url`, …).
    pub field: String,
    /// The vector's value.
    pub expected: String,
    /// r2's value.
    pub actual: String,
}

impl Mismatch {
    /// A mismatch of `field`.
    pub fn new(
        field: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    /// The byte offset of the first difference.
    pub fn first_difference(&self) -> usize {
        self.expected
            .bytes()
            .zip(self.actual.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| self.expected.len().min(self.actual.len()))
    }
}

/// Up to 40 bytes of `text` from `at`, on character boundaries.
fn excerpt(text: &str, at: usize) -> &str {
    let mut start = at.saturating_sub(10).min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + 40).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    text.get(start..end).unwrap_or(text)
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.first_difference();
        write!(
            f,
            "{} differs at byte {at}: expected {:?}, got {:?}",
            self.field,
            excerpt(&self.expected, at),
            excerpt(&self.actual, at)
        )
    }
}

/// Compares one field, returning the mismatch if the values differ.
pub fn compare(field: &str, expected: &str, actual: &str) -> Result<(), Mismatch> {
    if expected == actual {
        Ok(())
    } else {
        Err(Mismatch::new(field, expected, actual))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_the_first_difference() {
        let m = Mismatch::new("signature", "abcdef", "abcxef");
        assert_eq!(m.first_difference(), 3);
        assert_eq!(
            m.to_string(),
            "signature differs at byte 3: expected \"abcdef\", got \"abcxef\""
        );
        assert_eq!(Mismatch::new("f", "abc", "abcd").first_difference(), 3);
        assert!(compare("f", "x", "x").is_ok());
        let m = compare("f", "日本語の文字列です", "日本語の文字X").unwrap_err();
        assert!(m.to_string().starts_with("f differs at byte 18"));
    }
}
