//! Header authentication: the `Authorization` header.

use bytes::Bytes;
use hmac::Mac;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Uri};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::canonical::{
    ALGORITHM, Buffered, CanonicalHeaders, CanonicalQuery, CanonicalRequest, Sink, has_host,
    write_scope, write_string_to_sign,
};
use super::hex::{ascii, hex32};
use super::timestamp::AmzDate;
use super::{EMPTY_SHA256_HEX, PayloadHash, SignatureTrace, Signer};
use crate::error::SignError;

static X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
static X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
static X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");

impl Signer {
    /// Signs `request` in place with header authentication at time `now`.
    ///
    /// Sets `x-amz-date`, `x-amz-content-sha256` (= `payload`), the session
    /// token's `x-amz-security-token` when there is one, and `Authorization`,
    /// replacing any earlier values, so a request can be signed again for a
    /// retry. Every header present is signed except `Authorization`,
    /// `User-Agent`, `Expect`, `Content-Length` and hop-by-hop headers. The
    /// host signed is the `Host` header if set, else the URI's authority
    /// without a default port. On error the request is left unchanged.
    pub fn sign<B>(
        &self,
        request: &mut Request<B>,
        payload: &PayloadHash,
        now: OffsetDateTime,
    ) -> Result<(), SignError> {
        let date = AmzDate::new(now)?;
        if !has_host(request.uri(), request.headers()) {
            return Err(SignError::MissingHost);
        }
        self.auth_headers(payload, &date)?
            .apply(request.headers_mut());
        let authorization = {
            let canonical =
                canonical_request(request.method(), request.uri(), request.headers(), payload)?;
            self.authorization(&canonical, &date)?
        };
        request.headers_mut().insert(AUTHORIZATION, authorization);
        Ok(())
    }

    /// The canonical request, string to sign and signature that [`sign`](Self::sign)
    /// would produce for `request` at `now`, without changing it.
    pub fn explain<B>(
        &self,
        request: &Request<B>,
        payload: &PayloadHash,
        now: OffsetDateTime,
    ) -> Result<SignatureTrace, SignError> {
        let date = AmzDate::new(now)?;
        if !has_host(request.uri(), request.headers()) {
            return Err(SignError::MissingHost);
        }
        let mut headers = request.headers().clone();
        self.auth_headers(payload, &date)?.apply(&mut headers);
        let canonical = canonical_request(request.method(), request.uri(), &headers, payload)?;
        Ok(self.trace(&canonical, &date))
    }

    /// The headers signing adds, built before the request is touched.
    fn auth_headers(
        &self,
        payload: &PayloadHash,
        date: &AmzDate,
    ) -> Result<AuthHeaders, SignError> {
        let date = HeaderValue::from_str(date.as_str())
            .map_err(|_| SignError::InvalidHeader("x-amz-date"))?;
        let content_sha256 = if !self.content_sha256_header {
            None
        } else if payload.is_unsigned() {
            Some(HeaderValue::from_static("UNSIGNED-PAYLOAD"))
        } else if *payload == PayloadHash::EMPTY {
            Some(HeaderValue::from_static(EMPTY_SHA256_HEX))
        } else {
            Some(
                HeaderValue::from_str(payload.as_str())
                    .map_err(|_| SignError::InvalidHeader("x-amz-content-sha256"))?,
            )
        };
        let token = match self.credentials.session_token() {
            None => None,
            Some(token) => {
                let mut value = HeaderValue::from_str(token.expose_secret())
                    .map_err(|_| SignError::InvalidHeader("x-amz-security-token"))?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        Ok(AuthHeaders {
            date,
            content_sha256,
            token,
        })
    }

    /// The hex signature of a canonical request, hashing as it writes.
    pub(super) fn signature(&self, canonical: &CanonicalRequest<'_>, date: &AmzDate) -> [u8; 64] {
        let digest = hex32(&canonical.digest());
        let mut mac = Buffered::new(self.keys.signing_mac(
            &date.date(),
            self.credentials.secret_access_key().expose_secret(),
            &self.region,
            &self.service,
        ));
        write_string_to_sign(&mut mac, date, &self.region, &self.service, &digest);
        hex32(&mac.finish().finalize().into_bytes().into())
    }

    /// The same signature as [`signature`](Self::signature), computed over the
    /// written-out texts, which it returns as well.
    pub(super) fn trace(&self, canonical: &CanonicalRequest<'_>, date: &AmzDate) -> SignatureTrace {
        let mut canonical_text = Vec::with_capacity(512);
        canonical.write(&mut canonical_text);
        let digest = hex32(&Sha256::digest(&canonical_text).into());
        let mut string_to_sign = Vec::with_capacity(160);
        write_string_to_sign(
            &mut string_to_sign,
            date,
            &self.region,
            &self.service,
            &digest,
        );
        let mut mac = self.keys.signing_mac(
            &date.date(),
            self.credentials.secret_access_key().expose_secret(),
            &self.region,
            &self.service,
        );
        mac.update(&string_to_sign);
        let signature = hex32(&mac.finalize().into_bytes().into());
        SignatureTrace {
            canonical_request: String::from_utf8_lossy(&canonical_text).into_owned(),
            string_to_sign: String::from_utf8_lossy(&string_to_sign).into_owned(),
            signed_headers: canonical.headers.names(),
            signature: ascii(&signature).to_owned(),
        }
    }

    fn authorization(
        &self,
        canonical: &CanonicalRequest<'_>,
        date: &AmzDate,
    ) -> Result<HeaderValue, SignError> {
        let signature = self.signature(canonical, date);
        // Exact size, so that `Bytes::from` takes the buffer over without copying.
        let len = ALGORITHM.len()
            + " Credential=/YYYYMMDD///aws4_request, SignedHeaders=, Signature=".len()
            + self.credentials.access_key_id().len()
            + self.region.len()
            + self.service.len()
            + canonical.headers.names_len()
            + signature.len();
        let mut value: Vec<u8> = Vec::with_capacity(len);
        value.put(ALGORITHM.as_bytes());
        value.put(b" Credential=");
        value.put(self.credentials.access_key_id().as_bytes());
        value.put(b"/");
        write_scope(&mut value, date, &self.region, &self.service, b"/");
        value.put(b", SignedHeaders=");
        canonical.headers.write_names(&mut value);
        value.put(b", Signature=");
        value.put(&signature);
        let mut header = HeaderValue::from_maybe_shared(Bytes::from(value))
            .map_err(|_| SignError::InvalidHeader("authorization"))?;
        header.set_sensitive(true);
        Ok(header)
    }
}

/// `x-amz-date`, `x-amz-content-sha256` and the session token, ready to set.
struct AuthHeaders {
    date: HeaderValue,
    content_sha256: Option<HeaderValue>,
    token: Option<HeaderValue>,
}

impl AuthHeaders {
    /// Sets the headers, dropping any `Authorization` or token from an earlier signing.
    fn apply(self, headers: &mut HeaderMap) {
        headers.remove(AUTHORIZATION);
        headers.insert(X_AMZ_DATE.clone(), self.date);
        if let Some(value) = self.content_sha256 {
            headers.insert(X_AMZ_CONTENT_SHA256.clone(), value);
        }
        match self.token {
            Some(token) => headers.insert(X_AMZ_SECURITY_TOKEN.clone(), token),
            None => headers.remove(&X_AMZ_SECURITY_TOKEN),
        };
    }
}

fn canonical_request<'a>(
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    payload: &'a PayloadHash,
) -> Result<CanonicalRequest<'a>, SignError> {
    let mut query = CanonicalQuery::parse(uri.query(), 0);
    query.sort();
    Ok(CanonicalRequest {
        method: method.as_str(),
        path: uri.path(),
        query,
        headers: CanonicalHeaders::collect(headers, uri)?,
        payload_hash: payload.as_str(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Credentials;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2024-05-01 12:34:56 UTC);

    use crate::sign::tests::example_signer as signer;

    fn get(uri: &str) -> Request<()> {
        Request::get(uri).body(()).unwrap()
    }

    // botocore 1.44.8, case `get-object-simple` of the shipped vectors.
    #[test]
    fn signs_a_get_like_botocore() {
        let mut request = get(
            "https://0a1b2c3d4e5f60718293a4b5c6d7e8f9.r2.cloudflarestorage.com/my-bucket/photo.jpg",
        );
        signer()
            .sign(&mut request, &PayloadHash::EMPTY, NOW)
            .unwrap();
        assert_eq!(
            request.headers()[AUTHORIZATION],
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240501/auto/s3/aws4_request, \
             SignedHeaders=host;x-amz-content-sha256;x-amz-date, \
             Signature=6769dd190f69eea732fc0909d77dd1025686308b1df50e20304cb633a294232c"
        );
        assert!(request.headers()[AUTHORIZATION].is_sensitive());
    }

    #[test]
    fn resigning_replaces_every_auth_header() {
        let signer = signer();
        let mut request = get("https://h.example/b/k");
        signer.sign(&mut request, &PayloadHash::EMPTY, NOW).unwrap();
        let later = datetime!(2024-05-02 00:00:00 UTC);
        signer
            .sign(&mut request, &PayloadHash::UNSIGNED, later)
            .unwrap();
        let headers = request.headers();
        assert_eq!(headers.get_all(AUTHORIZATION).iter().count(), 1);
        assert_eq!(headers["x-amz-date"], "20240502T000000Z");
        assert_eq!(headers["x-amz-content-sha256"], "UNSIGNED-PAYLOAD");
        let fresh = {
            let mut fresh = get("https://h.example/b/k");
            signer
                .sign(&mut fresh, &PayloadHash::UNSIGNED, later)
                .unwrap();
            fresh
        };
        assert_eq!(headers[AUTHORIZATION], fresh.headers()[AUTHORIZATION]);
    }

    #[test]
    fn session_token_is_signed_and_removed_when_absent() {
        let with_token = Signer::new(
            Credentials::new("ASIA", "s")
                .unwrap()
                .with_session_token("tok/en+=")
                .unwrap(),
        );
        let mut request = get("https://h.example/b/k");
        with_token
            .sign(&mut request, &PayloadHash::EMPTY, NOW)
            .unwrap();
        assert_eq!(request.headers()["x-amz-security-token"], "tok/en+=");
        assert!(request.headers()["x-amz-security-token"].is_sensitive());
        let auth = request.headers()[AUTHORIZATION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            auth.contains(
                "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token"
            )
        );

        signer()
            .sign(&mut request, &PayloadHash::EMPTY, NOW)
            .unwrap();
        assert!(!request.headers().contains_key("x-amz-security-token"));
    }

    #[test]
    fn explain_matches_sign() {
        let signer = signer();
        let mut request = Request::put("https://h.example/b/a%20b?uploadId=x&partNumber=2")
            .header("content-type", "text/plain")
            .body(())
            .unwrap();
        let payload = PayloadHash::of(b"body");
        let trace = signer.explain(&request, &payload, NOW).unwrap();
        signer.sign(&mut request, &payload, NOW).unwrap();
        let auth = request.headers()[AUTHORIZATION].to_str().unwrap();
        assert!(auth.ends_with(&format!("Signature={}", trace.signature)));
        assert_eq!(
            trace.signed_headers,
            "content-type;host;x-amz-content-sha256;x-amz-date"
        );
        assert!(trace.canonical_request.starts_with(
            "PUT\n/b/a%20b\npartNumber=2&uploadId=x\ncontent-type:text/plain\nhost:h.example\n"
        ));
        assert!(!format!("{trace:?}").contains(&trace.signature));
    }

    #[test]
    fn errors_leave_the_request_untouched() {
        let signer = signer();
        let mut request = get("/relative/only");
        assert_eq!(
            signer.sign(&mut request, &PayloadHash::EMPTY, NOW),
            Err(SignError::MissingHost)
        );
        assert!(request.headers().is_empty());
        assert_eq!(
            signer.explain(&request, &PayloadHash::EMPTY, NOW),
            Err(SignError::MissingHost)
        );
        let mut request = get("https://h.example/x");
        assert_eq!(
            signer.sign(
                &mut request,
                &PayloadHash::EMPTY,
                datetime!(-0001-06-01 0:00 UTC)
            ),
            Err(SignError::TimestampOutOfRange)
        );
        assert!(request.headers().is_empty());
    }

    #[test]
    fn generic_sigv4_can_omit_the_content_hash_header() {
        let signer = Signer::with_scope(
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap(),
            "us-east-1",
            "service",
        )
        .unwrap()
        .without_content_sha256_header();
        let mut request = get("https://example.amazonaws.com/");
        signer
            .sign(
                &mut request,
                &PayloadHash::EMPTY,
                datetime!(2015-08-30 12:36:00 UTC),
            )
            .unwrap();
        // AWS SigV4 test suite, case get-vanilla.
        assert_eq!(
            request.headers()[AUTHORIZATION],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }
}
