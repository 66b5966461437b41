//! The SigV4 canonical request and string to sign, S3 flavour.
//!
//! Both are written into a [`Sink`]: a hasher on the hot path (nothing is
//! allocated for them), a byte buffer when a caller asks to see them. The same
//! writer produces both, so what the golden vectors check is what is signed.
//!
//! S3 rules applied here:
//! - the canonical URI is the request path verbatim: the key was encoded once
//!   when the URI was built, and `.`, `..` and `//` are never normalised;
//! - query names and values are brought to canonical encoding (only
//!   `A-Z a-z 0-9 - . _ ~` literal, upper-case hex) and sorted by name, then
//!   value; a name with no `=` (`?uploads`) signs as `uploads=`;
//! - header names are lower-case and sorted; values are trimmed, inner runs of
//!   spaces and tabs collapse to one space, and repeated headers join with `,`.

use std::borrow::Cow;

use http::header::{GetAll, HOST};
use http::uri::Authority;
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use sha2::{Digest, Sha256};

use super::key_cache::HmacSha256;
use super::timestamp::AmzDate;
use crate::error::SignError;
use crate::percent;

/// The SigV4 algorithm name.
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Something the canonical text can be written into.
pub(crate) trait Sink {
    /// Appends `bytes`.
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Sink for HmacSha256 {
    fn put(&mut self, bytes: &[u8]) {
        hmac::Mac::update(self, bytes);
    }
}

/// Gathers small writes on the stack and hands them on in larger pieces:
/// hashers pay per call, and canonical text comes in many small pieces.
pub(crate) struct Buffered<S: Sink> {
    inner: S,
    buf: [u8; 256],
    len: usize,
}

impl<S: Sink> Buffered<S> {
    /// Buffers writes to `inner`.
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            buf: [0; 256],
            len: 0,
        }
    }

    /// Passes on what is buffered and returns the inner sink.
    pub(crate) fn finish(mut self) -> S {
        self.flush();
        self.inner
    }

    fn flush(&mut self) {
        if let Some(pending) = self.buf.get(..self.len) {
            self.inner.put(pending);
        }
        self.len = 0;
    }

    fn append(&mut self, bytes: &[u8]) -> bool {
        match self.buf.get_mut(self.len..self.len + bytes.len()) {
            Some(slot) => {
                slot.copy_from_slice(bytes);
                self.len += bytes.len();
                true
            }
            None => false,
        }
    }
}

impl<S: Sink> Sink for Buffered<S> {
    fn put(&mut self, bytes: &[u8]) {
        if self.append(bytes) {
            return;
        }
        self.flush();
        if !self.append(bytes) {
            self.inner.put(bytes);
        }
    }
}

/// Headers that are never signed: set or rewritten by HTTP layers and
/// proxies (hop-by-hop headers, `Content-Length`, `User-Agent`), or not
/// supported by R2 (`Expect`), or the signature itself.
pub(crate) fn is_never_signed(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "authorization"
            | "connection"
            | "content-length"
            | "expect"
            | "keep-alive"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "user-agent"
            | "x-amzn-trace-id"
    )
}

/// The host to sign when the request has no `Host` header: the authority,
/// lower-case, without the scheme's default port.
fn host_from_authority<'a>(
    scheme: Option<&str>,
    authority: Option<&'a Authority>,
) -> Result<Cow<'a, str>, SignError> {
    let authority = authority.ok_or(SignError::MissingHost)?;
    let default_port = match scheme {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    let text = if authority.port_u16().is_some() && authority.port_u16() == default_port {
        authority.host()
    } else {
        authority.as_str()
    };
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Ok(Cow::Owned(text.to_ascii_lowercase()))
    } else {
        Ok(Cow::Borrowed(text))
    }
}

/// The `Host` the signer signs for `uri` when the request carries none:
/// an adapter that writes its own request line sends exactly this.
pub fn signed_host(uri: &Uri) -> Result<String, SignError> {
    host_from_authority(uri.scheme_str(), uri.authority()).map(Cow::into_owned)
}

/// True when a host can be signed for this request.
pub(crate) fn has_host(uri: &Uri, headers: &HeaderMap) -> bool {
    headers.contains_key(HOST) || uri.authority().is_some()
}

enum Values<'a> {
    Map(&'a HeaderName, GetAll<'a, HeaderValue>),
    Host(Cow<'a, str>),
}

/// The signed headers of a request, sorted by name.
pub(crate) struct CanonicalHeaders<'a> {
    entries: Vec<(&'a str, Values<'a>)>,
}

impl<'a> CanonicalHeaders<'a> {
    /// Every signable header of `headers`, plus `host` from the URI's
    /// authority when the map has none.
    pub(crate) fn collect(headers: &'a HeaderMap, uri: &'a Uri) -> Result<Self, SignError> {
        Self::collect_with_authority(headers, uri.scheme_str(), uri.authority())
    }

    /// Every signable header of `headers`, plus `host` from `authority` when the map has none.
    pub(crate) fn collect_with_authority(
        headers: &'a HeaderMap,
        scheme: Option<&str>,
        authority: Option<&'a Authority>,
    ) -> Result<Self, SignError> {
        let mut entries = Vec::with_capacity(headers.keys_len() + 1);
        for name in headers.keys() {
            if !is_never_signed(name) {
                entries.push((name.as_str(), Values::Map(name, headers.get_all(name))));
            }
        }
        if !headers.contains_key(HOST) {
            entries.push((
                "host",
                Values::Host(host_from_authority(scheme, authority)?),
            ));
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Ok(Self { entries })
    }

    /// Writes the `SignedHeaders` list: names joined with `;`.
    pub(crate) fn write_names<S: Sink>(&self, sink: &mut S) {
        for (i, (name, _)) in self.entries.iter().enumerate() {
            if i > 0 {
                sink.put(b";");
            }
            sink.put(name.as_bytes());
        }
    }

    /// Writes the `SignedHeaders` list as a canonical query value: `;` as
    /// `%3B`, and any name byte outside the unreserved set escaped.
    pub(crate) fn write_names_query_encoded(&self, out: &mut String) {
        for (i, (name, _)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push_str("%3B");
            }
            percent::encode_component_into(out, name.as_bytes());
        }
    }

    /// The length of the `SignedHeaders` list.
    pub(crate) fn names_len(&self) -> usize {
        self.entries
            .iter()
            .map(|(name, _)| name.len() + 1)
            .sum::<usize>()
            .saturating_sub(1)
    }

    /// The `SignedHeaders` list as a string.
    pub(crate) fn names(&self) -> String {
        let mut out = Vec::with_capacity(self.entries.len() * 16);
        self.write_names(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes `name:value\n` for each header.
    fn write_lines<S: Sink>(&self, sink: &mut S) {
        for (name, values) in &self.entries {
            sink.put(name.as_bytes());
            sink.put(b":");
            match values {
                Values::Host(host) => write_value(sink, host.as_bytes()),
                Values::Map(_, all) => {
                    for (i, value) in all.iter().enumerate() {
                        if i > 0 {
                            sink.put(b",");
                        }
                        write_value(sink, value.as_bytes());
                    }
                }
            }
            sink.put(b"\n");
        }
    }

    /// The signed headers other than `host`, with their values as given: what
    /// the holder of a presigned URL must send.
    pub(crate) fn to_send(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (_, values) in &self.entries {
            if let Values::Map(name, all) = values
                && *name != HOST
            {
                for value in all.iter() {
                    map.append((*name).clone(), value.clone());
                }
            }
        }
        map
    }
}

/// Writes a header value trimmed, with inner runs of spaces and tabs as one space.
fn write_value<S: Sink>(sink: &mut S, value: &[u8]) {
    let mut words = value
        .split(|b| *b == b' ' || *b == b'\t')
        .filter(|word| !word.is_empty());
    if let Some(word) = words.next() {
        sink.put(word);
    }
    for word in words {
        sink.put(b" ");
        sink.put(word);
    }
}

/// The query parameters of a request in canonical encoding.
pub(crate) struct CanonicalQuery<'a> {
    params: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> CanonicalQuery<'a> {
    /// Parses a raw query string; `extra` reserves room for parameters added later.
    pub(crate) fn parse(query: Option<&'a str>, extra: usize) -> Self {
        let raw = query.unwrap_or("");
        let pairs = if raw.is_empty() {
            0
        } else {
            raw.split('&').count()
        };
        let mut params = Vec::with_capacity(pairs + extra);
        for pair in raw.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            params.push((
                percent::canonical_component(name),
                percent::canonical_component(value),
            ));
        }
        Self { params }
    }

    /// Adds a parameter whose name and value are already in canonical encoding.
    pub(crate) fn push_canonical(&mut self, name: &'a str, value: &'a str) {
        self.params
            .push((Cow::Borrowed(name), Cow::Borrowed(value)));
    }

    /// Sorts by name, then value, as SigV4 requires.
    pub(crate) fn sort(&mut self) {
        self.params.sort_unstable();
    }

    fn write<S: Sink>(&self, sink: &mut S) {
        for (i, (name, value)) in self.params.iter().enumerate() {
            if i > 0 {
                sink.put(b"&");
            }
            sink.put(name.as_bytes());
            sink.put(b"=");
            sink.put(value.as_bytes());
        }
    }
}

/// Everything the canonical request is made of.
pub(crate) struct CanonicalRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: CanonicalQuery<'a>,
    pub(crate) headers: CanonicalHeaders<'a>,
    pub(crate) payload_hash: &'a str,
}

impl CanonicalRequest<'_> {
    /// Writes the canonical request.
    pub(crate) fn write<S: Sink>(&self, sink: &mut S) {
        sink.put(self.method.as_bytes());
        sink.put(b"\n");
        sink.put(if self.path.is_empty() {
            b"/"
        } else {
            self.path.as_bytes()
        });
        sink.put(b"\n");
        self.query.write(sink);
        sink.put(b"\n");
        self.headers.write_lines(sink);
        sink.put(b"\n");
        self.headers.write_names(sink);
        sink.put(b"\n");
        sink.put(self.payload_hash.as_bytes());
    }

    /// The SHA-256 of the canonical request, hashed as it is written.
    pub(crate) fn digest(&self) -> [u8; 32] {
        let mut hasher = Buffered::new(Sha256::new());
        self.write(&mut hasher);
        hasher.finish().finalize().into()
    }
}

/// Writes the string to sign for a canonical request digest (as hex).
pub(crate) fn write_string_to_sign<S: Sink>(
    sink: &mut S,
    date: &AmzDate,
    region: &str,
    service: &str,
    canonical_request_hex: &[u8; 64],
) {
    sink.put(ALGORITHM.as_bytes());
    sink.put(b"\n");
    sink.put(date.as_str().as_bytes());
    sink.put(b"\n");
    write_scope(sink, date, region, service, b"/");
    sink.put(b"\n");
    sink.put(canonical_request_hex);
}

/// Writes the credential scope `YYYYMMDD/region/service/aws4_request`, with
/// `separator` between the parts (`/`, or `%2F` inside a query value).
pub(crate) fn write_scope<S: Sink>(
    sink: &mut S,
    date: &AmzDate,
    region: &str,
    service: &str,
    separator: &[u8],
) {
    sink.put(&date.date());
    sink.put(separator);
    sink.put(region.as_bytes());
    sink.put(separator);
    sink.put(service.as_bytes());
    sink.put(separator);
    sink.put(b"aws4_request");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(headers: &HeaderMap, uri: &Uri) -> String {
        let canonical = CanonicalHeaders::collect(headers, uri).unwrap();
        let mut out = Vec::new();
        canonical.write_lines(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn host_drops_default_port_and_lowercases() {
        let headers = HeaderMap::new();
        for (uri, host) in [
            ("https://Example.COM:443/x", "host:example.com\n"),
            ("http://example.com:80/x", "host:example.com\n"),
            ("https://example.com:80/x", "host:example.com:80\n"),
            ("http://127.0.0.1:9000/x", "host:127.0.0.1:9000\n"),
            ("http://[::1]:9000/x", "host:[::1]:9000\n"),
        ] {
            assert_eq!(lines(&headers, &uri.parse().unwrap()), host, "{uri}");
        }
    }

    #[test]
    fn explicit_host_header_wins() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("other.example"));
        assert_eq!(
            lines(&headers, &"https://example.com/x".parse().unwrap()),
            "host:other.example\n"
        );
    }

    #[test]
    fn relative_uri_without_host_header_is_refused() {
        let headers = HeaderMap::new();
        let uri: Uri = "/bucket/key".parse().unwrap();
        assert!(!has_host(&uri, &headers));
        assert!(matches!(
            CanonicalHeaders::collect(&headers, &uri),
            Err(SignError::MissingHost)
        ));
    }

    #[test]
    fn values_are_trimmed_and_collapsed() {
        let mut out = Vec::new();
        write_value(&mut out, b" \t a  \t b\tc  ");
        assert_eq!(out, b"a b c");
        out.clear();
        write_value(&mut out, b"   ");
        assert_eq!(out, b"");
    }

    #[test]
    fn unsigned_headers_are_skipped() {
        let mut headers = HeaderMap::new();
        headers.insert("user-agent", HeaderValue::from_static("x"));
        headers.insert("expect", HeaderValue::from_static("100-continue"));
        headers.insert("content-length", HeaderValue::from_static("3"));
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        let uri: Uri = "https://h/x".parse().unwrap();
        let canonical = CanonicalHeaders::collect(&headers, &uri).unwrap();
        assert_eq!(canonical.names(), "content-type;host");
        let to_send = canonical.to_send();
        assert_eq!(to_send.len(), 1);
        assert_eq!(to_send["content-type"], "text/plain");
    }

    #[test]
    fn buffered_sink_passes_everything_on_in_order() {
        let pieces: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; usize::from(i) * 7]).collect();
        let mut buffered = Buffered::new(Vec::new());
        let mut direct = Vec::new();
        for piece in &pieces {
            buffered.put(piece);
            direct.put(piece);
        }
        buffered.put(&[9; 1000]);
        direct.put(&[9; 1000]);
        assert_eq!(buffered.finish(), direct);
    }

    #[test]
    fn query_is_canonicalised_and_sorted() {
        let mut query = CanonicalQuery::parse(Some("uploads&b=2&a=%7e&a=1&&c=x y"), 0);
        query.sort();
        let mut out = Vec::new();
        query.write(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a=1&a=~&b=2&c=x%20y&uploads="
        );
    }
}
