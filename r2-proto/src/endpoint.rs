//! Where requests go: the endpoint (an R2 account's, optionally in a
//! jurisdiction, or an explicit URL kept exactly as given) and the
//! path-style paths of buckets and objects on it.

use std::fmt;
use std::str::FromStr;

use bytes::Bytes;
use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};

use crate::error::{ConfigError, RequestError};
use crate::names::{BucketName, ObjectKey};
use crate::percent;

/// An R2 jurisdiction: buckets in it are only reachable through its endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Jurisdiction {
    /// European Union (`<account>.eu.r2.cloudflarestorage.com`).
    Eu,
    /// FedRAMP, for Enterprise accounts (`<account>.fedramp.r2.cloudflarestorage.com`).
    Fedramp,
    /// United States (`<account>.us.r2.cloudflarestorage.com`).
    Us,
}

impl Jurisdiction {
    /// The jurisdiction's label in endpoint host names.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Eu => "eu",
            Self::Fedramp => "fedramp",
            Self::Us => "us",
        }
    }
}

impl FromStr for Jurisdiction {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "eu" => Ok(Self::Eu),
            "fedramp" => Ok(Self::Fedramp),
            "us" => Ok(Self::Us),
            _ => Err(ConfigError::UnknownJurisdiction(s.to_owned())),
        }
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A validated endpoint: scheme and authority, no path, no query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: Scheme,
    authority: Authority,
}

impl Endpoint {
    /// The endpoint as a URL without a trailing slash, e.g. `https://<account>.r2.cloudflarestorage.com`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// The URI scheme (`https`, or `http` where the caller allowed it).
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// The host and optional port, exactly as configured.
    pub fn authority(&self) -> &Authority {
        &self.authority
    }

    /// True when requests go over TLS.
    pub fn is_https(&self) -> bool {
        self.scheme == Scheme::HTTPS
    }

    /// The path-style URI of a bucket, with an already-encoded query string.
    pub fn bucket_uri(
        &self,
        bucket: &BucketName,
        query: Option<&str>,
    ) -> Result<Uri, RequestError> {
        self.uri(bucket_path(bucket), query)
    }

    /// The path-style URI of an object, `/<bucket>/<encoded key>`, with an
    /// already-encoded query string. The key is encoded once and never
    /// normalised.
    ///
    /// ```
    /// use r2_proto::{BucketName, Endpoint, ObjectKey};
    /// let endpoint = Endpoint::parse("https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com").unwrap();
    /// let uri = endpoint
    ///     .object_uri(&BucketName::new("photos").unwrap(), &ObjectKey::new("a/../b c").unwrap(), None)
    ///     .unwrap();
    /// assert_eq!(uri.path(), "/photos/a/../b%20c");
    /// ```
    pub fn object_uri(
        &self,
        bucket: &BucketName,
        key: &ObjectKey,
        query: Option<&str>,
    ) -> Result<Uri, RequestError> {
        self.uri(object_path(bucket, key), query)
    }

    /// The URI of an encoded `path` and `query` on this endpoint, refusing
    /// anything `http::Uri` would not carry verbatim.
    pub(crate) fn uri(&self, path: String, query: Option<&str>) -> Result<Uri, RequestError> {
        let mut target = path;
        if let Some(query) = query {
            if !percent::is_sendable_query(query) {
                return Err(RequestError::InvalidUri(format!(
                    "query {query:?} must be percent-encoded visible ASCII without '#'"
                )));
            }
            target.push('?');
            target.push_str(query);
        }
        let target = Bytes::from(target);
        let path_and_query = PathAndQuery::from_maybe_shared(target.clone())
            .map_err(|e| RequestError::InvalidUri(e.to_string()))?;
        if path_and_query.as_str().as_bytes() != target {
            return Err(RequestError::InvalidUri(format!(
                "{:?} would not be sent exactly as given",
                String::from_utf8_lossy(&target)
            )));
        }
        Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path_and_query)
            .build()
            .map_err(|e| RequestError::InvalidUri(e.to_string()))
    }

    /// The endpoint of an account, optionally in a jurisdiction.
    pub fn for_account(
        account_id: &str,
        jurisdiction: Option<Jurisdiction>,
    ) -> Result<Self, ConfigError> {
        let account_id = validate_account_id(account_id)?;
        let host = match jurisdiction {
            None => format!("{account_id}.r2.cloudflarestorage.com"),
            Some(j) => format!("{account_id}.{}.r2.cloudflarestorage.com", j.as_str()),
        };
        let authority = Authority::try_from(host).map_err(|_| ConfigError::MalformedAccountId {
            len: account_id.chars().count(),
        })?;
        Ok(Self {
            scheme: Scheme::HTTPS,
            authority,
        })
    }

    /// Parses an explicit endpoint URL. It must be `https://host[:port]` with
    /// no path (a lone `/` is fine), query or user info. Plain `http` is
    /// accepted here; [`ConfigBuilder::build`](crate::ConfigBuilder::build) refuses it unless the caller
    /// allowed it.
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::InvalidEndpoint {
            url: url.to_owned(),
            reason,
        };
        let uri = Uri::try_from(url).map_err(|_| invalid("not a valid absolute URL"))?;
        let scheme = uri
            .scheme()
            .cloned()
            .ok_or_else(|| invalid("it has no scheme"))?;
        if scheme != Scheme::HTTPS && scheme != Scheme::HTTP {
            return Err(invalid("the scheme must be https"));
        }
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| invalid("it has no host"))?;
        if authority.as_str().contains('@') {
            return Err(invalid("it must not contain user info"));
        }
        if authority.host().is_empty() {
            return Err(invalid("it has no host"));
        }
        if !matches!(uri.path(), "" | "/") {
            return Err(invalid(
                "it must not have a path (R2 URLs are path-style from the root)",
            ));
        }
        if uri.query().is_some() {
            return Err(invalid("it must not have a query"));
        }
        Ok(Self { scheme, authority })
    }
}

/// The encoded path of a bucket: `/<bucket>`.
pub fn bucket_path(bucket: &BucketName) -> String {
    let mut path = String::with_capacity(1 + bucket.as_str().len());
    path.push('/');
    path.push_str(bucket.as_str());
    path
}

/// The encoded path-style path of an object: `/<bucket>/<key encoded once>`.
pub fn object_path(bucket: &BucketName, key: &ObjectKey) -> String {
    let key = key.as_str();
    let mut path = String::with_capacity(2 + bucket.as_str().len() + key.len() + key.len() / 2);
    path.push('/');
    path.push_str(bucket.as_str());
    path.push('/');
    percent::encode_path_into(&mut path, key);
    path
}

fn validate_account_id(account_id: &str) -> Result<String, ConfigError> {
    if account_id.is_empty() {
        return Err(ConfigError::EmptyAccountId);
    }
    if account_id.len() != 32 || !account_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ConfigError::MalformedAccountId {
            len: account_id.chars().count(),
        });
    }
    Ok(account_id.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_path_style_and_exact() {
        let endpoint = Endpoint::parse("http://127.0.0.1:9000").unwrap();
        let bucket = BucketName::new("bkt").unwrap();
        let key = ObjectKey::new("../x y/./z//").unwrap();
        let uri = endpoint
            .object_uri(&bucket, &key, Some("uploads="))
            .unwrap();
        assert_eq!(
            uri.to_string(),
            "http://127.0.0.1:9000/bkt/../x%20y/./z//?uploads="
        );
        let uri = endpoint.bucket_uri(&bucket, Some("list-type=2")).unwrap();
        assert_eq!(uri.to_string(), "http://127.0.0.1:9000/bkt?list-type=2");
        for bad in ["bad query", "a=1#fragment", "ü=1"] {
            assert!(matches!(
                endpoint.bucket_uri(&bucket, Some(bad)),
                Err(RequestError::InvalidUri(_))
            ));
        }
    }

    #[test]
    fn jurisdiction_names() {
        assert_eq!("EU".parse::<Jurisdiction>(), Ok(Jurisdiction::Eu));
        assert_eq!("us".parse::<Jurisdiction>(), Ok(Jurisdiction::Us));
        assert_eq!(
            "mars".parse::<Jurisdiction>(),
            Err(ConfigError::UnknownJurisdiction("mars".into()))
        );
        assert_eq!(Jurisdiction::Fedramp.to_string(), "fedramp");
    }
}
