//! Hiding what a server may echo back of a request's secrets: the session
//! token (`x-amz-security-token` in a canonical request's headers, or
//! `X-Amz-Security-Token=` in a presigned query), a presigned URL's
//! `X-Amz-Signature`, and a `<SignatureProvided>` element. Every text r2
//! keeps from a server (error details, recorded bodies) goes through here
//! before it can reach a `Debug`, a `Display` or a log.

use std::borrow::Cow;

/// What stands in for a hidden value.
pub(crate) const REDACTED: &str = "***";

/// The markers after which a secret runs, and the characters that end it.
const MARKERS: [(&str, &[char]); 4] = [
    ("x-amz-security-token:", &['\n', '\r', '<']),
    ("x-amz-security-token=", &['&', ' ', '\n', '\r', '<', '"']),
    ("x-amz-signature=", &['&', ' ', '\n', '\r', '<', '"']),
    ("<signatureprovided>", &['<']),
];

/// `text` with every secret value after a marker replaced by
/// [`REDACTED`]; borrowed when there was none.
pub(crate) fn redact_secrets(text: &str) -> Cow<'_, str> {
    let lower = text.to_ascii_lowercase();
    if !MARKERS.iter().any(|(marker, _)| lower.contains(marker)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let next = MARKERS
            .iter()
            .filter_map(|(marker, ends)| {
                let start = lower.get(at..)?.find(marker)? + at + marker.len();
                Some((start, *ends))
            })
            .min_by_key(|(start, _)| *start);
        let Some((start, ends)) = next else {
            out.push_str(text.get(at..).unwrap_or_default());
            break;
        };
        let rest = text.get(start..).unwrap_or_default();
        let len = rest.find(ends).unwrap_or(rest.len());
        out.push_str(text.get(at..start).unwrap_or_default());
        if len > 0 {
            out.push_str(REDACTED);
        }
        at = start + len;
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_signatures_are_hidden_wherever_they_stand() {
        let canonical = "GET\n/b/k\n\nhost:h\nx-amz-security-token:FwoGZXIvYXdzEJr//token\n\nhost;x-amz-security-token\nUNSIGNED";
        let hidden = redact_secrets(canonical);
        assert!(!hidden.contains("FwoGZXIvYXdzEJr"), "{hidden}");
        assert!(hidden.contains("x-amz-security-token:***\n"));
        assert!(hidden.contains("host;x-amz-security-token\n"), "names stay");

        let query = "/b/k?X-Amz-Security-Token=abc%2Fdef&X-Amz-Signature=0123abcd&X-Amz-Date=1";
        assert_eq!(
            redact_secrets(query),
            "/b/k?X-Amz-Security-Token=***&X-Amz-Signature=***&X-Amz-Date=1"
        );
        assert_eq!(
            redact_secrets("<SignatureProvided>deadbeef</SignatureProvided>"),
            "<SignatureProvided>***</SignatureProvided>"
        );
        assert_eq!(
            redact_secrets("<SignatureProvided>cut"),
            "<SignatureProvided>***"
        );
        assert!(matches!(redact_secrets("nothing here"), Cow::Borrowed(_)));
        assert_eq!(
            redact_secrets("é x-amz-signature=ü"),
            "é x-amz-signature=***"
        );
    }
}
