//! Credentials and the secret type that keeps them out of logs.
//!
//! [`SecretString`] prints `***` in `Debug` and `Display` and wipes its memory
//! when dropped. Reading credentials from the environment lives apart, in
//! [`crate::env`]: nothing here looks outside the values it is given.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::ConfigError;
use crate::percent::is_unreserved;

/// A string that never prints itself and is zeroed on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps `value`; the caller's `String` is moved, not copied.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    /// The secret itself. Call only where the value must be used (signing).
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

/// An R2 API token's S3 credentials: access key id, secret access key and,
/// for temporary credentials, a session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: SecretString,
    session_token: Option<SecretString>,
}

impl Credentials {
    /// Long-lived credentials.
    ///
    /// The access key id must be 1..=128 characters of `A-Z a-z 0-9 - . _ ~`
    /// (it travels unescaped in the `Credential=` field); the secret must not
    /// be empty.
    ///
    /// ```
    /// use r2_proto::Credentials;
    /// let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG").unwrap();
    /// assert!(!format!("{creds:?}").contains("wJalr"));
    /// ```
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let access_key_id = access_key_id.into();
        let secret_access_key = SecretString::new(secret_access_key);
        if access_key_id.is_empty()
            || access_key_id.len() > 128
            || !access_key_id.bytes().all(is_unreserved)
        {
            return Err(ConfigError::InvalidAccessKeyId);
        }
        if secret_access_key.expose_secret().is_empty() {
            return Err(ConfigError::EmptySecretAccessKey);
        }
        Ok(Self {
            access_key_id,
            secret_access_key,
            session_token: None,
        })
    }

    /// The S3 credentials of an R2 API token, as Cloudflare derives them:
    /// the access key id is the token's id, the secret is the lowercase hex
    /// SHA-256 of the token's value.
    ///
    /// ```
    /// use r2_proto::Credentials;
    /// let creds = Credentials::from_api_token("0123abcd", "token-value").unwrap();
    /// assert_eq!(creds.access_key_id(), "0123abcd");
    /// assert_eq!(creds.secret_access_key().expose_secret().len(), 64);
    /// ```
    pub fn from_api_token(
        token_id: impl Into<String>,
        token_value: &str,
    ) -> Result<Self, ConfigError> {
        use sha2::{Digest, Sha256};
        if token_value.is_empty() {
            return Err(ConfigError::EmptySecretAccessKey);
        }
        let digest = Sha256::digest(token_value.as_bytes());
        let mut secret = zeroize::Zeroizing::new(String::with_capacity(64));
        for byte in digest {
            secret.push_str(&format!("{byte:02x}"));
        }
        Self::new(token_id, secret.as_str())
    }

    /// Adds the session token of temporary credentials. It must be visible
    /// ASCII, as it travels in the `X-Amz-Security-Token` header.
    pub fn with_session_token(mut self, token: impl Into<String>) -> Result<Self, ConfigError> {
        let token = SecretString::new(token);
        let bytes = token.expose_secret().as_bytes();
        if bytes.is_empty() || !bytes.iter().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::InvalidSessionToken);
        }
        self.session_token = Some(token);
        Ok(self)
    }

    /// The access key id (not secret).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &SecretString {
        &self.secret_access_key
    }

    /// The session token, for temporary credentials.
    pub fn session_token(&self) -> Option<&SecretString> {
        self.session_token.as_ref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let creds = Credentials::new("AKID", "topsecret")
            .unwrap()
            .with_session_token("tok3n")
            .unwrap();
        for shown in [format!("{creds:?}"), format!("{creds:#?}")] {
            assert!(!shown.contains("topsecret"), "{shown}");
            assert!(!shown.contains("tok3n"), "{shown}");
            assert!(shown.contains("AKID"));
        }
        assert_eq!(creds.secret_access_key().to_string(), "***");
        assert_eq!(creds.secret_access_key().expose_secret(), "topsecret");
        assert_eq!(
            creds.session_token().map(|t| t.expose_secret()),
            Some("tok3n")
        );
    }

    #[test]
    fn validation() {
        assert_eq!(
            Credentials::new("", "s"),
            Err(ConfigError::InvalidAccessKeyId)
        );
        assert_eq!(
            Credentials::new("AK/ID", "s"),
            Err(ConfigError::InvalidAccessKeyId)
        );
        assert_eq!(
            Credentials::new("A".repeat(129), "s"),
            Err(ConfigError::InvalidAccessKeyId)
        );
        assert_eq!(
            Credentials::new("AKID", ""),
            Err(ConfigError::EmptySecretAccessKey)
        );
        let creds = Credentials::new("AKID", "s").unwrap();
        for bad in ["", "a b", "new\nline", "tab\t"] {
            assert_eq!(
                creds.clone().with_session_token(bad),
                Err(ConfigError::InvalidSessionToken)
            );
        }
    }
}
