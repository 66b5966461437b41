//! Where a connection goes: scheme, host and port.

use http::Uri;
use r2_proto::error::NetworkError;

/// Scheme, host and port of a request's URI: the key connections are
/// opened and pooled by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of `uri`; plain http only when `allow_http`.
    pub fn of(uri: &Uri, allow_http: bool) -> Result<Self, NetworkError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") if allow_http => false,
            other => {
                let why = "https only; plain http when the configuration allows it";
                let refused = format!("scheme {other:?} refused in {uri} ({why})");
                return Err(NetworkError::ConnectionFailed(refused));
            }
        };
        let host = uri
            .host()
            .ok_or_else(|| NetworkError::ConnectionFailed(format!("no host in {uri}")))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Self { https, host, port })
    }

    /// Whether the connection speaks TLS.
    pub fn https(&self) -> bool {
        self.https
    }

    /// The host name or address (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(uri: &str) -> Origin {
        Origin::of(&uri.parse().unwrap(), true).unwrap()
    }

    #[test]
    fn origins_refuse_plain_http_unless_allowed() {
        let uri: Uri = "http://example.test/b/k".parse().unwrap();
        assert!(Origin::of(&uri, false).is_err());
        assert_eq!(
            Origin::of(&uri, true).unwrap(),
            origin("http://example.test:80/other")
        );
        let tls: Uri = "https://[::1]/b".parse().unwrap();
        let tls = Origin::of(&tls, false).unwrap();
        assert_eq!((tls.https(), tls.host(), tls.port()), (true, "::1", 443));
        let ftp: Uri = "ftp://example.test/b".parse().unwrap();
        assert!(Origin::of(&ftp, true).is_err());
    }
}
