//! Writing the few XML request bodies S3 takes (DeleteObjects,
//! CompleteMultipartUpload).

/// The S3 namespace.
pub(crate) const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Appends `text` escaped for element content.
///
/// `&`, `<` and `>` become entities. Every control character, tab, line feed
/// and carriage return included, becomes a character reference so that XML
/// line-end and whitespace normalisation cannot change it on the way: a key
/// `"a\r\nb"` must arrive as itself.
pub(crate) fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if c.is_control() => {
                out.push_str("&#x");
                out.push_str(&format!("{:X}", u32::from(c)));
                out.push(';');
            }
            c => out.push(c),
        }
    }
}

/// Appends `<name>text</name>` with the text escaped.
pub(crate) fn element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    escape_into(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_controls() {
        let mut out = String::new();
        element(&mut out, "Key", "a&b<c>d\"e'f\r\n\t\u{1}\u{7f}é");
        assert_eq!(
            out,
            "<Key>a&amp;b&lt;c&gt;d\"e'f&#xD;&#xA;&#x9;&#x1;&#x7F;é</Key>"
        );
    }
}
