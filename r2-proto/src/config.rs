//! Client configuration: the endpoint, credentials and transfer defaults.
//!
//! R2's endpoint is `https://<account_id>.r2.cloudflarestorage.com`, or
//! `https://<account_id>.<jurisdiction>.r2.cloudflarestorage.com` for buckets
//! in a jurisdiction. The region is always `auto` and URLs are path-style
//! (`/<bucket>/<key>`). An explicit endpoint URL is kept exactly as given.

use std::time::Duration;

use crate::body_limits::{
    DEFAULT_LOW_SPEED, DEFAULT_MAX_BODY, DEFAULT_MAX_ERROR_BODY, LowSpeed, ReadLimits,
};
use crate::credentials::Credentials;
use crate::endpoint::{Endpoint, Jurisdiction};
use crate::error::ConfigError;
use crate::sign::{REGION, Signer};

/// Default time allowed for one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default object size from which uploads switch to multipart: 100 MiB.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 100 * MIB;
/// Default multipart part size: 10 MiB.
pub const DEFAULT_PART_SIZE: u64 = 10 * MIB;
/// Default number of parts or ranges in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Smallest part R2 accepts (all parts but the last): 5 MiB.
pub const MIN_PART_SIZE: u64 = 5 * MIB;
/// Largest single upload (PutObject or one part) R2 accepts: 5 GiB − 5 MiB.
pub const MAX_SINGLE_UPLOAD: u64 = 5 * 1024 * MIB - 5 * MIB;
/// Most parts or ranges in flight at once.
pub const MAX_CONCURRENCY: usize = 16;

const MIB: u64 = 1024 * 1024;

#[derive(Debug, Clone)]
enum EndpointSource {
    Account {
        account_id: String,
        jurisdiction: Option<Jurisdiction>,
    },
    Url(String),
}

/// Builds a [`Config`]; the endpoint and credentials are given up front, the
/// rest has the defaults of the design.
#[derive(Debug, Clone)]
#[must_use = "call build() to validate and get a Config"]
pub struct ConfigBuilder {
    source: EndpointSource,
    credentials: Credentials,
    timeout: Duration,
    multipart_threshold: u64,
    part_size: u64,
    concurrency: usize,
    allow_insecure_http: bool,
    low_speed: LowSpeed,
    max_body: u64,
    max_error_body: u64,
}

impl ConfigBuilder {
    fn new(source: EndpointSource, credentials: Credentials) -> Self {
        Self {
            source,
            credentials,
            timeout: DEFAULT_TIMEOUT,
            multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
            part_size: DEFAULT_PART_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            allow_insecure_http: false,
            low_speed: DEFAULT_LOW_SPEED,
            max_body: DEFAULT_MAX_BODY,
            max_error_body: DEFAULT_MAX_ERROR_BODY,
        }
    }

    /// A body that brings fewer than `min_bytes` in any `window` has
    /// stalled and fails with a timeout (default 32 KiB in 30 s; 0 bytes
    /// turns it off, leaving the timeout between bytes).
    pub fn low_speed_limit(mut self, min_bytes: u64, window: Duration) -> Self {
        self.low_speed = LowSpeed { min_bytes, window };
        self
    }

    /// The most bytes of a success body read whole, XML answers above all
    /// (default 16 MiB; at least 64 KiB). A whole-object GET may always
    /// take its `Content-Length`.
    pub fn max_response_body(mut self, bytes: u64) -> Self {
        self.max_body = bytes;
        self
    }

    /// The most bytes of an error body read (default 64 KiB; at least
    /// 1 KiB); the rest is left unread.
    pub fn max_error_body(mut self, bytes: u64) -> Self {
        self.max_error_body = bytes;
        self
    }

    /// Time allowed for one request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Object size from which uploads use multipart (default 100 MiB).
    pub fn multipart_threshold(mut self, bytes: u64) -> Self {
        self.multipart_threshold = bytes;
        self
    }

    /// Multipart part size (default 10 MiB; 5 MiB ..= 5 GiB − 5 MiB).
    pub fn part_size(mut self, bytes: u64) -> Self {
        self.part_size = bytes;
        self
    }

    /// Parts or ranges in flight at once (default 4; 1 ..= 16).
    pub fn concurrency(mut self, parts: usize) -> Self {
        self.concurrency = parts;
        self
    }

    /// Accepts a plain `http://` endpoint. For loopback test servers only:
    /// credentials and data then cross the network in the clear.
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_insecure_http = true;
        self
    }

    /// Validates every setting and returns the configuration.
    pub fn build(self) -> Result<Config, ConfigError> {
        let endpoint = match &self.source {
            EndpointSource::Account {
                account_id,
                jurisdiction,
            } => Endpoint::for_account(account_id, *jurisdiction)?,
            EndpointSource::Url(url) => {
                let endpoint = Endpoint::parse(url)?;
                if !endpoint.is_https() && !self.allow_insecure_http {
                    return Err(ConfigError::InsecureEndpoint { url: url.clone() });
                }
                endpoint
            }
        };
        check_timeout(self.timeout)?;
        check_range(
            "part_size",
            "5 MiB ..= 5 GiB - 5 MiB",
            (MIN_PART_SIZE..=MAX_SINGLE_UPLOAD).contains(&self.part_size),
            || self.part_size.to_string(),
        )?;
        check_range(
            "multipart_threshold",
            "5 MiB ..= 5 GiB - 5 MiB",
            (MIN_PART_SIZE..=MAX_SINGLE_UPLOAD).contains(&self.multipart_threshold),
            || self.multipart_threshold.to_string(),
        )?;
        check_range(
            "low_speed_limit",
            "a window greater than zero",
            self.low_speed.min_bytes == 0 || !self.low_speed.window.is_zero(),
            || format!("{:?}", self.low_speed.window),
        )?;
        check_range(
            "max_response_body",
            "at least 64 KiB",
            self.max_body >= 64 << 10,
            || self.max_body.to_string(),
        )?;
        check_range(
            "max_error_body",
            "at least 1 KiB",
            self.max_error_body >= 1 << 10,
            || self.max_error_body.to_string(),
        )?;
        check_range(
            "concurrency",
            "1 ..= 16",
            (1..=MAX_CONCURRENCY).contains(&self.concurrency),
            || self.concurrency.to_string(),
        )?;
        Ok(Config {
            endpoint,
            credentials: self.credentials,
            timeout: self.timeout,
            multipart_threshold: self.multipart_threshold,
            part_size: self.part_size,
            concurrency: self.concurrency,
            allow_insecure_http: self.allow_insecure_http,
            read_limits: ReadLimits {
                idle: self.timeout,
                low_speed: self.low_speed,
                max_body: self.max_body,
                max_error_body: self.max_error_body,
            },
        })
    }
}

fn check_timeout(timeout: Duration) -> Result<(), ConfigError> {
    check_range("timeout", "greater than zero", !timeout.is_zero(), || {
        format!("{timeout:?}")
    })
}

fn check_range(
    setting: &'static str,
    expected: &'static str,
    ok: bool,
    got: impl FnOnce() -> String,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            setting,
            expected,
            got: got(),
        })
    }
}

/// A validated client configuration.
///
/// ```
/// use r2_proto::{Config, Credentials, Jurisdiction};
/// let creds = Credentials::new("AKIDEXAMPLE", "secret").unwrap();
/// let config = Config::for_account_in("0123456789abcdef0123456789abcdef", Jurisdiction::Eu, creds)
///     .concurrency(8)
///     .build()
///     .unwrap();
/// assert_eq!(config.endpoint().url(), "https://0123456789abcdef0123456789abcdef.eu.r2.cloudflarestorage.com");
/// assert_eq!(config.region(), "auto");
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    endpoint: Endpoint,
    credentials: Credentials,
    timeout: Duration,
    multipart_threshold: u64,
    part_size: u64,
    concurrency: usize,
    allow_insecure_http: bool,
    read_limits: ReadLimits,
}

impl Config {
    /// Configuration for an account's default endpoint.
    pub fn for_account(account_id: impl Into<String>, credentials: Credentials) -> ConfigBuilder {
        ConfigBuilder::new(
            EndpointSource::Account {
                account_id: account_id.into(),
                jurisdiction: None,
            },
            credentials,
        )
    }

    /// Configuration for an account's endpoint in a jurisdiction (`eu`, `fedramp`, `us`).
    pub fn for_account_in(
        account_id: impl Into<String>,
        jurisdiction: Jurisdiction,
        credentials: Credentials,
    ) -> ConfigBuilder {
        ConfigBuilder::new(
            EndpointSource::Account {
                account_id: account_id.into(),
                jurisdiction: Some(jurisdiction),
            },
            credentials,
        )
    }

    /// Configuration for an explicit endpoint URL, kept exactly as given.
    pub fn for_endpoint(url: impl Into<String>, credentials: Credentials) -> ConfigBuilder {
        ConfigBuilder::new(EndpointSource::Url(url.into()), credentials)
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The credentials requests are signed with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The signing region: always `auto` for R2.
    pub fn region(&self) -> &'static str {
        REGION
    }

    /// Time allowed for one request: to connect, to the answer's head, and
    /// between two pieces of a body.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The same configuration with another [`timeout`](Self::timeout)
    /// (greater than zero).
    pub fn with_timeout(&self, timeout: Duration) -> Result<Self, ConfigError> {
        check_timeout(timeout)?;
        let mut config = self.clone();
        config.timeout = timeout;
        config.read_limits.idle = timeout;
        Ok(config)
    }

    /// The limits on every answer's body: its size when read whole, and
    /// how slowly it may arrive.
    pub fn read_limits(&self) -> &ReadLimits {
        &self.read_limits
    }

    /// Object size from which uploads use multipart.
    pub fn multipart_threshold(&self) -> u64 {
        self.multipart_threshold
    }

    /// Multipart part size.
    pub fn part_size(&self) -> u64 {
        self.part_size
    }

    /// Parts or ranges in flight at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// True if the caller allowed a plain `http://` endpoint.
    pub fn allows_insecure_http(&self) -> bool {
        self.allow_insecure_http
    }

    /// A signer for this configuration's credentials (region `auto`, service `s3`).
    pub fn signer(&self) -> Signer {
        Signer::new(self.credentials.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

    fn creds() -> Credentials {
        Credentials::new("AKID", "secret").unwrap()
    }

    #[test]
    fn account_endpoints() {
        let config = Config::for_account(ACCOUNT, creds()).build().unwrap();
        assert_eq!(
            config.endpoint().url(),
            "https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com"
        );
        let config = Config::for_account_in(ACCOUNT.to_uppercase(), Jurisdiction::Fedramp, creds())
            .build()
            .unwrap();
        assert_eq!(
            config.endpoint().url(),
            "https://0123456789abcdef0123456789abcdef.fedramp.r2.cloudflarestorage.com"
        );
        assert_eq!(config.timeout(), Duration::from_secs(30));
        assert_eq!(config.multipart_threshold(), 100 * MIB);
        assert_eq!(config.part_size(), 10 * MIB);
        assert_eq!(config.concurrency(), 4);
        assert_eq!(config.region(), "auto");
        assert!(!config.allows_insecure_http());
    }

    #[test]
    fn account_id_errors() {
        let err = |id: &str| Config::for_account(id, creds()).build().unwrap_err();
        assert_eq!(err(""), ConfigError::EmptyAccountId);
        assert_eq!(err("abc"), ConfigError::MalformedAccountId { len: 3 });
        assert_eq!(
            err("0123456789abcdef0123456789abcdeg"),
            ConfigError::MalformedAccountId { len: 32 }
        );
        assert_eq!(
            err("0123456789abcdef0123456789abcdé"),
            ConfigError::MalformedAccountId { len: 31 }
        );
    }

    #[test]
    fn explicit_endpoints() {
        let config = Config::for_endpoint("https://s3.example.com:8443/", creds())
            .build()
            .unwrap();
        assert_eq!(config.endpoint().url(), "https://s3.example.com:8443");

        let err = Config::for_endpoint("http://127.0.0.1:9000", creds())
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            ConfigError::InsecureEndpoint {
                url: "http://127.0.0.1:9000".into()
            }
        );
        let config = Config::for_endpoint("http://127.0.0.1:9000", creds())
            .allow_insecure_http()
            .build()
            .unwrap();
        assert!(!config.endpoint().is_https());
        assert!(config.allows_insecure_http());

        for (url, reason) in [
            ("not a url", "not a valid absolute URL"),
            ("/just/a/path", "it has no scheme"),
            ("ftp://host", "the scheme must be https"),
            ("https://user:pw@host", "it must not contain user info"),
            (
                "https://host/bucket",
                "it must not have a path (R2 URLs are path-style from the root)",
            ),
            ("https://host/?x=1", "it must not have a query"),
        ] {
            assert_eq!(
                Endpoint::parse(url),
                Err(ConfigError::InvalidEndpoint {
                    url: url.into(),
                    reason
                }),
                "{url}"
            );
        }
    }

    #[test]
    fn settings_are_range_checked() {
        let base = || Config::for_account(ACCOUNT, creds());
        assert!(matches!(
            base().part_size(MIN_PART_SIZE - 1).build(),
            Err(ConfigError::OutOfRange {
                setting: "part_size",
                ..
            })
        ));
        assert!(base().part_size(MAX_SINGLE_UPLOAD).build().is_ok());
        assert!(matches!(
            base().concurrency(0).build(),
            Err(ConfigError::OutOfRange {
                setting: "concurrency",
                ..
            })
        ));
        assert!(matches!(
            base().concurrency(17).build(),
            Err(ConfigError::OutOfRange {
                setting: "concurrency",
                ..
            })
        ));
        assert!(matches!(
            base().timeout(Duration::ZERO).build(),
            Err(ConfigError::OutOfRange {
                setting: "timeout",
                ..
            })
        ));
        assert!(matches!(
            base().multipart_threshold(1).build(),
            Err(ConfigError::OutOfRange {
                setting: "multipart_threshold",
                ..
            })
        ));
        let config = base()
            .timeout(Duration::from_secs(5))
            .multipart_threshold(8 * MIB)
            .part_size(8 * MIB)
            .concurrency(16)
            .build()
            .unwrap();
        assert_eq!(config.part_size(), 8 * MIB);
        assert_eq!(config.concurrency(), 16);
    }
}
