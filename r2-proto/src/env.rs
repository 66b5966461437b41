//! Reading credentials and the endpoint from environment variables.
//!
//! This is the only module that looks at the process environment, and only in
//! [`credentials_from_env`] and [`config_from_env`]. Both are thin wrappers
//! over the `*_from_lookup` functions, which take any `name → value` lookup and
//! so can be tested, or fed from another configuration source, without
//! touching the environment.
//!
//! Variables, first found wins (an empty value counts as unset):
//!
//! | what | variables |
//! |---|---|
//! | access key id | `R2_ACCESS_KEY_ID`, `AWS_ACCESS_KEY_ID` |
//! | secret access key | `R2_SECRET_ACCESS_KEY`, `AWS_SECRET_ACCESS_KEY` |
//! | session token | `R2_SESSION_TOKEN`, `AWS_SESSION_TOKEN` |
//! | endpoint URL | `R2_ENDPOINT`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` |
//! | account id (when no URL) | `R2_ACCOUNT_ID` |
//! | jurisdiction (with the account id) | `R2_JURISDICTION` |

use crate::config::{Config, ConfigBuilder};
use crate::credentials::Credentials;
use crate::error::ConfigError;

/// Credentials from the process environment.
pub fn credentials_from_env() -> Result<Credentials, ConfigError> {
    credentials_from_lookup(process_env)
}

/// A configuration builder from the process environment: endpoint and
/// credentials set, every other setting at its default.
pub fn config_from_env() -> Result<ConfigBuilder, ConfigError> {
    config_from_lookup(process_env)
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn first(lookup: &impl Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|name| lookup(name))
        .find(|value| !value.is_empty())
}

/// Credentials from `lookup`, with the variable names of [`credentials_from_env`].
pub fn credentials_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, ConfigError> {
    let access_key_id = first(&lookup, &["R2_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"]).ok_or(
        ConfigError::MissingCredentials("set R2_ACCESS_KEY_ID (or AWS_ACCESS_KEY_ID)"),
    )?;
    let secret = first(&lookup, &["R2_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"]).ok_or(
        ConfigError::MissingCredentials("set R2_SECRET_ACCESS_KEY (or AWS_SECRET_ACCESS_KEY)"),
    )?;
    let credentials = Credentials::new(access_key_id, secret)?;
    match first(&lookup, &["R2_SESSION_TOKEN", "AWS_SESSION_TOKEN"]) {
        Some(token) => credentials.with_session_token(token),
        None => Ok(credentials),
    }
}

/// A configuration builder from `lookup`, with the variable names of
/// [`config_from_env`]. An explicit endpoint URL wins over an account id.
pub fn config_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<ConfigBuilder, ConfigError> {
    let credentials = credentials_from_lookup(&lookup)?;
    if let Some(url) = first(
        &lookup,
        &["R2_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"],
    ) {
        return Ok(Config::for_endpoint(url, credentials));
    }
    let account_id = first(&lookup, &["R2_ACCOUNT_ID"]).ok_or(ConfigError::MissingEndpoint(
        "set R2_ACCOUNT_ID, or an endpoint URL in R2_ENDPOINT (or AWS_ENDPOINT_URL)",
    ))?;
    Ok(match first(&lookup, &["R2_JURISDICTION"]) {
        Some(jurisdiction) => {
            Config::for_account_in(account_id, jurisdiction.parse()?, credentials)
        }
        None => Config::for_account(account_id, credentials),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn r2_names_win_over_aws_names() {
        let creds = credentials_from_lookup(lookup(&[
            ("R2_ACCESS_KEY_ID", "R2KEY"),
            ("AWS_ACCESS_KEY_ID", "AWSKEY"),
            ("R2_SECRET_ACCESS_KEY", ""),
            ("AWS_SECRET_ACCESS_KEY", "aws-secret"),
            ("AWS_SESSION_TOKEN", "tok"),
        ]))
        .unwrap();
        assert_eq!(creds.access_key_id(), "R2KEY");
        assert_eq!(creds.secret_access_key().expose_secret(), "aws-secret");
        assert_eq!(
            creds.session_token().map(|t| t.expose_secret()),
            Some("tok")
        );
    }

    #[test]
    fn missing_values_are_named() {
        assert_eq!(
            credentials_from_lookup(lookup(&[])),
            Err(ConfigError::MissingCredentials(
                "set R2_ACCESS_KEY_ID (or AWS_ACCESS_KEY_ID)"
            ))
        );
        assert_eq!(
            credentials_from_lookup(lookup(&[("AWS_ACCESS_KEY_ID", "K")])),
            Err(ConfigError::MissingCredentials(
                "set R2_SECRET_ACCESS_KEY (or AWS_SECRET_ACCESS_KEY)"
            ))
        );
        let err = config_from_lookup(lookup(&[
            ("R2_ACCESS_KEY_ID", "K"),
            ("R2_SECRET_ACCESS_KEY", "S"),
        ]))
        .unwrap_err();
        assert!(matches!(err, ConfigError::MissingEndpoint(_)));
    }

    #[test]
    fn endpoint_sources() {
        let base = [("R2_ACCESS_KEY_ID", "K"), ("R2_SECRET_ACCESS_KEY", "S")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut vars = base.to_vec();
            vars.extend_from_slice(extra);
            config_from_lookup(lookup(&vars))
        };
        let config = with(&[
            ("R2_ACCOUNT_ID", "0123456789abcdef0123456789abcdef"),
            ("R2_JURISDICTION", "eu"),
        ])
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(
            config.endpoint().url(),
            "https://0123456789abcdef0123456789abcdef.eu.r2.cloudflarestorage.com"
        );
        let config = with(&[
            ("R2_ACCOUNT_ID", "0123456789abcdef0123456789abcdef"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
        ])
        .unwrap()
        .allow_insecure_http()
        .build()
        .unwrap();
        assert_eq!(config.endpoint().url(), "http://127.0.0.1:9000");
        assert!(matches!(
            with(&[("R2_ACCOUNT_ID", "x"), ("R2_JURISDICTION", "moon")]),
            Err(ConfigError::UnknownJurisdiction(_))
        ));
    }
}
