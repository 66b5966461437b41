//! Presigned URLs (query authentication).
//!
//! The URL keeps the request's own query first, then `X-Amz-Algorithm`,
//! `-Credential`, `-Date`, `-Expires`, `-SignedHeaders`, the session token
//! (when there is one: it is inside the signed canonical query) and
//! `-Signature`, the order botocore writes. The payload line is always
//! `UNSIGNED-PAYLOAD` and no checksum parameter is ever added.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use http::header::{HeaderName, HeaderValue};
use http::uri::{Authority, Scheme};
use http::{HeaderMap, Method, Request};
use time::OffsetDateTime;

use super::canonical::{ALGORITHM, CanonicalHeaders, CanonicalQuery, CanonicalRequest};
use super::hex::{self, ascii};
use super::timestamp::AmzDate;
use super::{SignatureTrace, Signer};
use crate::endpoint::{Endpoint, bucket_path, object_path};
use crate::error::{RequestError, SignError};
use crate::names::{BucketName, ObjectKey};
use crate::percent;

/// The longest lifetime R2 accepts for a presigned URL: 7 days.
pub const MAX_PRESIGN_EXPIRY: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What to presign, described by its parts, with no `http::Request` to build.
///
/// ```
/// use std::time::Duration;
/// use http::Method;
/// use r2_proto::{BucketName, Config, Credentials, ObjectKey, PresignTarget};
/// use time::macros::datetime;
///
/// let config = Config::for_account(
///     "0123456789abcdef0123456789abcdef",
///     Credentials::new("AKIDEXAMPLE", "secret").unwrap(),
/// )
/// .build()
/// .unwrap();
/// let bucket = BucketName::new("uploads").unwrap();
/// let key = ObjectKey::new("photo 1.png").unwrap();
/// let target = PresignTarget::object(Method::PUT, config.endpoint(), &bucket, &key)
///     .header(http::header::CONTENT_TYPE, http::HeaderValue::from_static("image/png"));
/// let presigned = config
///     .signer()
///     .presign_target(&target, Duration::from_secs(900), datetime!(2024-05-01 12:00 UTC))
///     .unwrap();
/// assert!(presigned.url().contains("/uploads/photo%201.png?X-Amz-Algorithm="));
/// assert!(presigned.url().contains("X-Amz-SignedHeaders=content-type%3Bhost"));
/// assert_eq!(presigned.headers()["content-type"], "image/png");
/// ```
#[derive(Debug, Clone)]
pub struct PresignTarget<'a> {
    method: Method,
    endpoint: &'a Endpoint,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
}

impl<'a> PresignTarget<'a> {
    /// An object: `/<bucket>/<key>` on `endpoint`.
    pub fn object(
        method: Method,
        endpoint: &'a Endpoint,
        bucket: &BucketName,
        key: &ObjectKey,
    ) -> Self {
        Self::with_path(method, endpoint, object_path(bucket, key))
    }

    /// A bucket: `/<bucket>` on `endpoint`.
    pub fn bucket(method: Method, endpoint: &'a Endpoint, bucket: &BucketName) -> Self {
        Self::with_path(method, endpoint, bucket_path(bucket))
    }

    fn with_path(method: Method, endpoint: &'a Endpoint, path: String) -> Self {
        Self {
            method,
            endpoint,
            path,
            query: None,
            headers: HeaderMap::new(),
        }
    }

    /// Sets the operation's query string, already percent-encoded
    /// (for example `partNumber=1&uploadId=...`): visible ASCII without `#`.
    pub fn query(mut self, encoded: impl Into<String>) -> Result<Self, RequestError> {
        let encoded = encoded.into();
        if !percent::is_sendable_query(&encoded) {
            return Err(RequestError::InvalidUri(format!(
                "query {encoded:?} must be percent-encoded visible ASCII without '#'"
            )));
        }
        self.query = Some(encoded);
        Ok(self)
    }

    /// Adds a header to bind into the signature; the URL's user must send it.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }
}

/// The parts of a request that a presigned URL is made from.
struct Parts<'a> {
    method: &'a Method,
    scheme: &'a Scheme,
    authority: &'a Authority,
    path: &'a str,
    query: Option<&'a str>,
    headers: &'a HeaderMap,
}

/// A presigned request: the URL, and the headers its user must send with it.
///
/// The URL is a bearer credential until it expires, so `Debug` shows it with
/// the signature and session token replaced by `***`.
#[derive(Clone)]
pub struct PresignedRequest {
    method: Method,
    url: String,
    headers: HeaderMap,
    expires_at: OffsetDateTime,
}

impl PresignedRequest {
    /// The method the URL is valid for.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The full URL, signature included.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Signed headers besides `host`: the request must carry exactly these.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The instant (UTC) after which the URL is refused.
    pub fn expires_at(&self) -> OffsetDateTime {
        self.expires_at
    }

    /// The URL with the signature and session token values replaced by `***`, for logs.
    pub fn redacted_url(&self) -> String {
        redact_query_secrets(&self.url)
    }

    /// The method, URL and headers, consuming the request.
    pub fn into_parts(self) -> (Method, String, HeaderMap) {
        (self.method, self.url, self.headers)
    }
}

impl fmt::Debug for PresignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PresignedRequest")
            .field("method", &self.method)
            .field("url", &self.redacted_url())
            .field("headers", &self.headers)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Replaces the values of `X-Amz-Signature` and `X-Amz-Security-Token` in a
/// URL's query with `***`.
pub(crate) fn redact_query_secrets(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(base);
    out.push('?');
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _))
                if name.eq_ignore_ascii_case("X-Amz-Signature")
                    || name.eq_ignore_ascii_case("X-Amz-Security-Token") =>
            {
                out.push_str(name);
                out.push_str("=***");
            }
            _ => out.push_str(pair),
        }
    }
    out
}

impl Signer {
    /// Presigns `request` (method, absolute URI and any headers to bind into
    /// the signature) for `expires_in`, from 1 s to 7 days in whole seconds.
    ///
    /// ```
    /// use std::time::Duration;
    /// use r2_proto::{Credentials, Signer};
    /// use time::macros::datetime;
    ///
    /// let signer = Signer::new(Credentials::new("AKIDEXAMPLE", "secret").unwrap());
    /// let request = http::Request::get("https://account.r2.cloudflarestorage.com/bucket/a%20b.txt")
    ///     .body(())
    ///     .unwrap();
    /// let presigned = signer
    ///     .presign(&request, Duration::from_secs(3600), datetime!(2024-05-01 12:00 UTC))
    ///     .unwrap();
    /// assert!(presigned.url().contains("&X-Amz-Expires=3600&"));
    /// assert!(format!("{presigned:?}").contains("X-Amz-Signature=***"));
    /// ```
    pub fn presign<B>(
        &self,
        request: &Request<B>,
        expires_in: Duration,
        now: OffsetDateTime,
    ) -> Result<PresignedRequest, SignError> {
        self.presign_parts(&request_parts(request)?, expires_in, now)
    }

    /// Presigns a [`PresignTarget`]: the same URL as [`presign`](Self::presign)
    /// gives for the equivalent request, without building one.
    pub fn presign_target(
        &self,
        target: &PresignTarget<'_>,
        expires_in: Duration,
        now: OffsetDateTime,
    ) -> Result<PresignedRequest, SignError> {
        self.presign_parts(&target_parts(target), expires_in, now)
    }

    /// The canonical request, string to sign and signature that
    /// [`presign`](Self::presign) would produce.
    pub fn explain_presign<B>(
        &self,
        request: &Request<B>,
        expires_in: Duration,
        now: OffsetDateTime,
    ) -> Result<SignatureTrace, SignError> {
        let parts = request_parts(request)?;
        let date = AmzDate::new(now)?;
        expiry_instant(expires_in, &date)?;
        let headers = CanonicalHeaders::collect_with_authority(
            parts.headers,
            Some(parts.scheme.as_str()),
            Some(parts.authority),
        )?;
        let (url, params) = self.unsigned_url(&parts, &headers, &date, expires_in);
        let canonical = presign_canonical(&parts, headers, &url, &params);
        Ok(self.trace(&canonical, &date))
    }

    fn presign_parts(
        &self,
        parts: &Parts<'_>,
        expires_in: Duration,
        now: OffsetDateTime,
    ) -> Result<PresignedRequest, SignError> {
        let date = AmzDate::new(now)?;
        let expires_at = expiry_instant(expires_in, &date)?;
        let headers = CanonicalHeaders::collect_with_authority(
            parts.headers,
            Some(parts.scheme.as_str()),
            Some(parts.authority),
        )?;
        let to_send = headers.to_send();
        let (mut url, params) = self.unsigned_url(parts, &headers, &date, expires_in);
        let signature = {
            let canonical = presign_canonical(parts, headers, &url, &params);
            self.signature(&canonical, &date)
        };
        url.push_str("&X-Amz-Signature=");
        url.push_str(ascii(&signature));
        Ok(PresignedRequest {
            method: parts.method.clone(),
            url,
            headers: to_send,
            expires_at,
        })
    }

    /// The presigned URL up to, not including, `&X-Amz-Signature=`, and
    /// where in it each `X-Amz-*` value is. The values are written in
    /// canonical encoding, so the canonical query borrows them from the URL.
    fn unsigned_url(
        &self,
        parts: &Parts<'_>,
        headers: &CanonicalHeaders<'_>,
        date: &AmzDate,
        expires_in: Duration,
    ) -> (String, AuthParams) {
        let path = if parts.path.is_empty() {
            "/"
        } else {
            parts.path
        };
        let query = parts.query.filter(|q| !q.is_empty());
        let token = self.credentials.session_token();
        let mut url = String::with_capacity(
            parts.scheme.as_str().len()
                + parts.authority.as_str().len()
                + path.len()
                + query.map_or(0, str::len)
                + token.map_or(0, |t| t.expose_secret().len() * 3)
                + 320,
        );
        url.push_str(parts.scheme.as_str());
        url.push_str("://");
        url.push_str(parts.authority.as_str());
        url.push_str(path);
        url.push('?');
        if let Some(query) = query {
            push_query(&mut url, query);
        }
        let mut params = AuthParams::default();
        params.add(&mut url, "X-Amz-Algorithm", |url| url.push_str(ALGORITHM));
        params.add(&mut url, "X-Amz-Credential", |url| {
            url.push_str(self.credentials.access_key_id());
            url.push_str("%2F");
            url.push_str(hex::ascii(&date.date()));
            for part in [&*self.region, &*self.service, "aws4_request"] {
                url.push_str("%2F");
                url.push_str(part);
            }
        });
        params.add(&mut url, "X-Amz-Date", |url| url.push_str(date.as_str()));
        params.add(&mut url, "X-Amz-Expires", |url| {
            push_decimal(url, expires_in.as_secs());
        });
        params.add(&mut url, "X-Amz-SignedHeaders", |url| {
            headers.write_names_query_encoded(url);
        });
        if let Some(token) = token {
            params.add(&mut url, "X-Amz-Security-Token", |url| {
                percent::encode_component_into(url, token.expose_secret().as_bytes());
            });
        }
        (url, params)
    }
}

fn request_parts<B>(request: &Request<B>) -> Result<Parts<'_>, SignError> {
    let uri = request.uri();
    let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
        return Err(SignError::NotAbsolute);
    };
    Ok(Parts {
        method: request.method(),
        scheme,
        authority,
        path: uri.path(),
        query: uri.query(),
        headers: request.headers(),
    })
}

fn target_parts<'a>(target: &'a PresignTarget<'_>) -> Parts<'a> {
    Parts {
        method: &target.method,
        scheme: target.endpoint.scheme(),
        authority: target.endpoint.authority(),
        path: &target.path,
        query: target.query.as_deref(),
        headers: &target.headers,
    }
}

/// The `X-Amz-*` parameters of a presigned URL: names, and where each value
/// lies in the URL.
#[derive(Default)]
struct AuthParams {
    params: [(&'static str, Range<usize>); 6],
    len: usize,
}

impl AuthParams {
    /// Appends `&name=` (no `&` right after the `?`) and the value `write`
    /// appends, remembering where the value lies.
    fn add(&mut self, url: &mut String, name: &'static str, write: impl FnOnce(&mut String)) {
        if !url.ends_with('?') {
            url.push('&');
        }
        url.push_str(name);
        url.push('=');
        let start = url.len();
        write(url);
        if let Some(slot) = self.params.get_mut(self.len) {
            *slot = (name, start..url.len());
            self.len += 1;
        }
    }

    /// The names and values, borrowed from `url`.
    fn iter<'a>(&'a self, url: &'a str) -> impl Iterator<Item = (&'static str, &'a str)> + 'a {
        self.params
            .iter()
            .take(self.len)
            .map(move |(name, range)| (*name, url.get(range.clone()).unwrap_or_default()))
    }
}

/// Appends `value` in decimal.
fn push_decimal(out: &mut String, value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    let mut rest = value;
    for slot in digits.iter_mut().rev() {
        *slot = b'0' + (rest % 10) as u8;
        start -= 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.push_str(hex::ascii(digits.get(start..).unwrap_or_default()));
}

/// Checks the lifetime and returns when the URL stops working.
fn expiry_instant(expires_in: Duration, date: &AmzDate) -> Result<OffsetDateTime, SignError> {
    let whole_seconds = expires_in.subsec_nanos() == 0;
    if !whole_seconds || expires_in.is_zero() || expires_in > MAX_PRESIGN_EXPIRY {
        return Err(SignError::InvalidExpiry(expires_in));
    }
    let seconds =
        i64::try_from(expires_in.as_secs()).map_err(|_| SignError::InvalidExpiry(expires_in))?;
    date.utc()
        .checked_add(time::Duration::seconds(seconds))
        .ok_or(SignError::TimestampOutOfRange)
}

/// The canonical request of a presigned URL: the request's own query plus
/// the `X-Amz-*` parameters of `unsigned_url`.
fn presign_canonical<'a>(
    parts: &Parts<'a>,
    headers: CanonicalHeaders<'a>,
    unsigned_url: &'a str,
    params: &'a AuthParams,
) -> CanonicalRequest<'a> {
    let mut query = CanonicalQuery::parse(parts.query, params.len);
    for (name, value) in params.iter(unsigned_url) {
        query.push_canonical(name, value);
    }
    query.sort();
    CanonicalRequest {
        method: parts.method.as_str(),
        path: parts.path,
        query,
        headers,
        payload_hash: "UNSIGNED-PAYLOAD",
    }
}

/// The request's own query, spelled as botocore spells a presigned URL's:
/// a name without a value gets its `=` (`?uploads=`, not `?uploads`), as
/// it is signed; empty pieces are dropped.
fn push_query(url: &mut String, query: &str) {
    for piece in query.split('&').filter(|p| !p.is_empty()) {
        url.push_str(piece);
        if !piece.contains('=') {
            url.push('=');
        }
        url.push('&');
    }
    if url.ends_with('&') {
        url.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-05-01 12:34:56 UTC);

    use crate::sign::tests::example_signer as signer;

    // botocore 1.44.8, case `presign-get-3600` of the shipped vectors.
    #[test]
    fn presigns_a_get_like_botocore() {
        let request = Request::get(
            "https://0a1b2c3d4e5f60718293a4b5c6d7e8f9.r2.cloudflarestorage.com/my-bucket/photo.jpg",
        )
        .body(())
        .unwrap();
        let presigned = signer()
            .presign(&request, Duration::from_secs(3600), NOW)
            .unwrap();
        assert_eq!(
            presigned.url(),
            "https://0a1b2c3d4e5f60718293a4b5c6d7e8f9.r2.cloudflarestorage.com/my-bucket/photo.jpg\
             ?X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240501%2Fauto%2Fs3%2Faws4_request\
             &X-Amz-Date=20240501T123456Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host\
             &X-Amz-Signature=0871647ef5a9fe36d9458f1226da44cfb9f43e29aeff6a8894f4a02c6179bb21"
        );
        assert_eq!(presigned.expires_at(), datetime!(2024-05-01 13:34:56 UTC));
        assert_eq!(presigned.method(), Method::GET);
        assert!(presigned.headers().is_empty());
    }

    #[test]
    fn targets_sign_like_requests() {
        let endpoint = Endpoint::parse("http://127.0.0.1:9000").unwrap();
        let bucket = BucketName::new("bkt").unwrap();
        let key = ObjectKey::new("a b/./c").unwrap();
        let target = PresignTarget::object(Method::PUT, &endpoint, &bucket, &key)
            .query("partNumber=2&uploadId=u%2Fv")
            .unwrap()
            .header(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain"),
            );
        let request = Request::put(
            endpoint
                .object_uri(&bucket, &key, Some("partNumber=2&uploadId=u%2Fv"))
                .unwrap(),
        )
        .header("content-type", "text/plain")
        .body(())
        .unwrap();
        let by_target = signer()
            .presign_target(&target, Duration::from_secs(60), NOW)
            .unwrap();
        let by_request = signer()
            .presign(&request, Duration::from_secs(60), NOW)
            .unwrap();
        assert_eq!(by_target.url(), by_request.url());
        assert!(by_target.url().starts_with(
            "http://127.0.0.1:9000/bkt/a%20b/./c?partNumber=2&uploadId=u%2Fv&X-Amz-Algorithm="
        ));
        assert_eq!(by_target.headers(), by_request.headers());

        let listing = PresignTarget::bucket(Method::GET, &endpoint, &bucket)
            .query("list-type=2")
            .unwrap();
        assert!(matches!(
            PresignTarget::bucket(Method::GET, &endpoint, &bucket).query("a=1#cut"),
            Err(RequestError::InvalidUri(_))
        ));
        let url = signer()
            .presign_target(&listing, Duration::from_secs(60), NOW)
            .unwrap();
        assert!(
            url.url()
                .starts_with("http://127.0.0.1:9000/bkt?list-type=2&X-Amz-")
        );
    }

    #[test]
    fn a_name_without_a_value_is_spelled_with_its_equals_sign() {
        let request = Request::post("https://h.example/b/k?uploads&&x=1")
            .body(())
            .unwrap();
        let presigned = signer()
            .presign(&request, Duration::from_secs(60), NOW)
            .unwrap();
        assert!(
            presigned
                .url()
                .starts_with("https://h.example/b/k?uploads=&x=1&X-Amz-Algorithm="),
            "{}",
            presigned.url()
        );
        // The same signature as the spelling botocore signs.
        let spelled = Request::post("https://h.example/b/k?uploads=&x=1")
            .body(())
            .unwrap();
        let again = signer()
            .presign(&spelled, Duration::from_secs(60), NOW)
            .unwrap();
        assert_eq!(presigned.url(), again.url());
    }

    #[test]
    fn decimal() {
        for n in [0, 1, 9, 10, 3600, 604_800, u64::MAX] {
            let mut out = String::new();
            push_decimal(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn expiry_bounds() {
        let request = Request::get("https://h.example/b/k").body(()).unwrap();
        for bad in [
            Duration::ZERO,
            Duration::from_millis(1500),
            MAX_PRESIGN_EXPIRY + Duration::from_secs(1),
        ] {
            assert_eq!(
                signer().presign(&request, bad, NOW).unwrap_err(),
                SignError::InvalidExpiry(bad)
            );
            assert_eq!(
                signer().explain_presign(&request, bad, NOW).unwrap_err(),
                SignError::InvalidExpiry(bad)
            );
        }
        for good in [Duration::from_secs(1), MAX_PRESIGN_EXPIRY] {
            assert!(signer().presign(&request, good, NOW).is_ok());
        }
        assert_eq!(
            signer()
                .presign(
                    &request,
                    Duration::from_secs(60),
                    datetime!(9999-12-31 23:59:30 UTC)
                )
                .unwrap_err(),
            SignError::TimestampOutOfRange
        );
    }

    #[test]
    fn relative_uris_are_refused() {
        let request = Request::get("/b/k")
            .header("host", "h.example")
            .body(())
            .unwrap();
        assert_eq!(
            signer()
                .presign(&request, Duration::from_secs(60), NOW)
                .unwrap_err(),
            SignError::NotAbsolute
        );
        assert_eq!(
            signer()
                .explain_presign(&request, Duration::from_secs(60), NOW)
                .unwrap_err(),
            SignError::NotAbsolute
        );
    }

    #[test]
    fn token_and_signature_are_redacted() {
        let signer = Signer::new(
            Credentials::new("ASIA", "s")
                .unwrap()
                .with_session_token("se+cret/token")
                .unwrap(),
        );
        let request = Request::put("https://h.example/b/k?partNumber=1&uploadId=u")
            .header("content-type", "image/png")
            .body(())
            .unwrap();
        let presigned = signer
            .presign(&request, Duration::from_secs(60), NOW)
            .unwrap();
        assert!(
            presigned
                .url()
                .starts_with("https://h.example/b/k?partNumber=1&uploadId=u&X-Amz-")
        );
        assert!(presigned.url().contains("X-Amz-SignedHeaders=content-type%3Bhost&X-Amz-Security-Token=se%2Bcret%2Ftoken&X-Amz-Signature="));
        assert_eq!(presigned.headers()["content-type"], "image/png");
        let shown = format!("{presigned:?}");
        assert!(!shown.contains("se%2Bcret"), "{shown}");
        assert!(
            shown.contains("X-Amz-Security-Token=***&X-Amz-Signature=***"),
            "{shown}"
        );
        assert_eq!(
            redact_query_secrets("https://h/no-query"),
            "https://h/no-query"
        );
        let (method, url, headers) = presigned.into_parts();
        assert_eq!(method, Method::PUT);
        assert!(url.contains("X-Amz-Signature="));
        assert_eq!(headers.len(), 1);
    }
}
