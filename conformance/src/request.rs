//! Building the `http::Request` a vector describes, and reading back what
//! signing put on it.

use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};

use crate::mismatch::Mismatch;

/// A bodiless request from a vector's method, URI and headers (in order,
/// repeats kept). `what` names the URI's field in a mismatch.
pub fn build_request(
    method: &str,
    uri: &str,
    what: &str,
    headers: &[(String, String)],
) -> Result<Request<()>, Mismatch> {
    let method = Method::from_bytes(method.as_bytes())
        .map_err(|e| Mismatch::new("request.method", method, e.to_string()))?;
    let mut request = Request::builder()
        .method(method)
        .uri(uri)
        .body(())
        .map_err(|e| Mismatch::new(what, uri, e.to_string()))?;
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| Mismatch::new("request.headers", name, e.to_string()))?;
        let value = HeaderValue::from_str(value)
            .map_err(|e| Mismatch::new("request.headers", value, e.to_string()))?;
        request.headers_mut().append(name, value);
    }
    Ok(request)
}

/// The `Authorization` header of a signed request, or `""`.
pub fn authorization(request: &Request<()>) -> String {
    request
        .headers()
        .get(http::header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// Every header as a `(name, value)` pair, in the map's order.
pub fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
