//! Bucket set-up the client API does not offer, as raw signed requests sent
//! by [`plain_http`](crate::plain_http): CreateBucket (with the
//! `LocationConstraint` of region `auto`, which moto requires) and
//! PutBucketLifecycleConfiguration.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderValue, Method, Request};
use md5::{Digest, Md5};
use r2_proto::{BucketName, Config, PayloadHash};
use time::OffsetDateTime;

use crate::plain_http::{self, PlainResponse};

/// Signs and sends `method /bucket?query` with `body`.
fn signed(
    config: &Config,
    method: Method,
    bucket: &BucketName,
    query: Option<&str>,
    body: &[u8],
    content_md5: bool,
) -> Result<PlainResponse, String> {
    let uri = config
        .endpoint()
        .bucket_uri(bucket, query)
        .map_err(|e| e.to_string())?;
    let mut request = Request::builder()
        .method(method.clone())
        .uri(uri)
        .body(())
        .map_err(|e| e.to_string())?;
    if content_md5 {
        let digest = BASE64.encode(Md5::digest(body));
        let value = HeaderValue::from_str(&digest).map_err(|e| e.to_string())?;
        request.headers_mut().insert("content-md5", value);
    }
    config
        .signer()
        .sign(
            &mut request,
            &PayloadHash::of(body),
            OffsetDateTime::now_utc(),
        )
        .map_err(|e| e.to_string())?;
    let url = request.uri().to_string();
    let headers: HeaderMap = request.headers().clone();
    plain_http::send(&method, &url, &headers, body).map_err(|e| e.to_string())
}

/// Creates `bucket` (an existing bucket owned by the caller is fine).
pub fn create_bucket(config: &Config, bucket: &BucketName) -> Result<(), String> {
    let body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                <LocationConstraint>auto</LocationConstraint></CreateBucketConfiguration>";
    let response = signed(config, Method::PUT, bucket, None, body.as_bytes(), false)?;
    let text = String::from_utf8_lossy(&response.body);
    if response.status.is_success() || text.contains("BucketAlreadyOwnedByYou") {
        Ok(())
    } else {
        Err(format!("{}: {text}", response.status))
    }
}

/// Sets `bucket`'s lifecycle rules from an XML document.
pub fn put_lifecycle(config: &Config, bucket: &BucketName, xml: &str) -> Result<(), String> {
    let response = signed(
        config,
        Method::PUT,
        bucket,
        Some("lifecycle="),
        xml.as_bytes(),
        true,
    )?;
    if response.status.is_success() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        ))
    }
}
