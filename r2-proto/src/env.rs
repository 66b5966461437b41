//! Reading credentials and the endpoint from environment variables and
//! the shared credentials and config files.
//!
//! This is the only module that looks at the process environment or reads
//! a file, and only in [`credentials_from_env`] and [`config_from_env`].
//! Both are thin wrappers over the `*_from_sources` functions, which take
//! any `name → value` lookup and any file reader, and so can be tested, or
//! fed from another configuration source, without touching either. The
//! files are parsed by [`crate::profiles`].
//!
//! Variables, first found wins (an empty value counts as unset):
//!
//! | what | variables |
//! |---|---|
//! | access key id | `R2_ACCESS_KEY_ID`, `AWS_ACCESS_KEY_ID` |
//! | secret access key | `R2_SECRET_ACCESS_KEY`, `AWS_SECRET_ACCESS_KEY` |
//! | session token | `R2_SESSION_TOKEN`, `AWS_SESSION_TOKEN` |
//! | an R2 API token instead (its id, its value) | `R2_API_TOKEN_ID`, `R2_API_TOKEN` |
//! | endpoint URL | `R2_ENDPOINT`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL` |
//! | account id (when no URL) | `R2_ACCOUNT_ID` |
//! | jurisdiction (with the account id) | `R2_JURISDICTION` |
//! | plain http allowed (`true` or `1`) | `R2_ALLOW_HTTP`, `AWS_ALLOW_HTTP` |
//! | profile (default `default`) | `AWS_PROFILE` |
//! | credentials file (default `~/.aws/credentials`) | `AWS_SHARED_CREDENTIALS_FILE` |
//! | config file (default `~/.aws/config`) | `AWS_CONFIG_FILE` |
//! | root certificates trusted besides webpki's (a PEM bundle) | `AWS_CA_BUNDLE`, `SSL_CERT_FILE` |
//! | proxy for https endpoints, for plain-http ones, for both; hosts reached directly | `https_proxy`/`HTTPS_PROXY`, `http_proxy`/`HTTP_PROXY`, `all_proxy`/`ALL_PROXY`; `no_proxy`/`NO_PROXY` |
//!
//! Credentials come from the variables, else from an API token, else from
//! the profile; the endpoint from the variables, else from the profile's
//! `endpoint_url`, else from the account id. A profile named in
//! `AWS_PROFILE` must exist; the `default` one may be missing.

use crate::config::{Config, ConfigBuilder};
use crate::credentials::Credentials;
use crate::error::ConfigError;
use crate::profiles::{Profile, ProfileFile};
use crate::proxy::Proxies;

/// Credentials from the process environment and the shared files.
pub fn credentials_from_env() -> Result<Credentials, ConfigError> {
    credentials_from_sources(process_env, read_file)
}

/// A configuration builder from the process environment and the shared
/// files: endpoint and credentials set (plain http allowed if asked),
/// every other setting at its default.
pub fn config_from_env() -> Result<ConfigBuilder, ConfigError> {
    config_from_sources(process_env, read_file)
}

/// The PEM bundle of root certificates the environment names, if it
/// names one (`ClientBuilder::add_root_certificates` takes it).
pub fn root_certificates_from_env() -> Result<Option<Vec<u8>>, ConfigError> {
    root_certificates_from_sources(process_env, |path| std::fs::read(path))
}

/// The PEM bundle `AWS_CA_BUNDLE` or `SSL_CERT_FILE` names in `lookup`,
/// read with `read`.
pub fn root_certificates_from_sources(
    lookup: impl Fn(&str) -> Option<String>,
    read: impl Fn(&str) -> std::io::Result<Vec<u8>>,
) -> Result<Option<Vec<u8>>, ConfigError> {
    let Some(file) = first(&lookup, &["AWS_CA_BUNDLE", "SSL_CERT_FILE"]) else {
        return Ok(None);
    };
    match read(&file) {
        Ok(pem) => Ok(Some(pem)),
        Err(e) => Err(ConfigError::CertificateFile {
            file,
            reason: e.to_string().into(),
        }),
    }
}

/// The proxies the process environment names (see
/// [`Proxies::from_lookup`]).
pub fn proxies_from_env() -> Result<Proxies, ConfigError> {
    Proxies::from_lookup(process_env)
}

fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A file's text; `None` when it does not exist.
fn read_file(path: &str) -> std::io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

fn first(lookup: &impl Fn(&str) -> Option<String>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .filter_map(|name| lookup(name))
        .find(|value| !value.is_empty())
}

const NO_CREDENTIALS: &str = "set R2_ACCESS_KEY_ID (or AWS_ACCESS_KEY_ID)";
const NO_SECRET: &str = "set R2_SECRET_ACCESS_KEY (or AWS_SECRET_ACCESS_KEY)";

/// Credentials from the variables alone: key and secret, or an API token.
fn variable_credentials(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Credentials>, ConfigError> {
    let key = first(lookup, &["R2_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"]);
    let secret = first(lookup, &["R2_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"]);
    let credentials = match (key, secret) {
        (Some(key), Some(secret)) => Credentials::new(key, secret)?,
        (Some(_), None) => return Err(ConfigError::MissingCredentials(NO_SECRET)),
        (None, _) => {
            let id = first(lookup, &["R2_API_TOKEN_ID"]);
            return match (id, first(lookup, &["R2_API_TOKEN"])) {
                (Some(id), Some(value)) => Credentials::from_api_token(id, &value).map(Some),
                (Some(_), None) => Err(ConfigError::MissingCredentials(
                    "set R2_API_TOKEN with R2_API_TOKEN_ID",
                )),
                _ => Ok(None),
            };
        }
    };
    match first(lookup, &["R2_SESSION_TOKEN", "AWS_SESSION_TOKEN"]) {
        Some(token) => credentials.with_session_token(token).map(Some),
        None => Ok(Some(credentials)),
    }
}

/// Credentials from `lookup`'s variables alone, with the names of
/// [`credentials_from_env`] (no file is read).
pub fn credentials_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, ConfigError> {
    variable_credentials(&lookup)?.ok_or(ConfigError::MissingCredentials(NO_CREDENTIALS))
}

/// A configuration builder from `lookup`'s variables alone, with the names
/// of [`config_from_env`] (no file is read). An explicit endpoint URL wins
/// over an account id.
pub fn config_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<ConfigBuilder, ConfigError> {
    config_from_sources(lookup, |_| Ok(None))
}

/// The profile `AWS_PROFILE` names (or `default`), from the files the
/// variables point to (or `$HOME/.aws/…`), read with `read`; `None` when
/// the default profile is in neither file.
fn profile(
    lookup: &impl Fn(&str) -> Option<String>,
    read: &impl Fn(&str) -> std::io::Result<Option<String>>,
) -> Result<Option<Profile>, ConfigError> {
    let named = first(lookup, &["AWS_PROFILE"]);
    let home = first(lookup, &["HOME"]);
    let path = |variable: &str, default: &str| {
        first(lookup, &[variable]).or_else(|| home.as_ref().map(|h| format!("{h}/.aws/{default}")))
    };
    let text = |path: Option<String>| -> Result<Option<(String, String)>, ConfigError> {
        let Some(path) = path else { return Ok(None) };
        match read(&path) {
            Ok(text) => Ok(text.map(|text| (path, text))),
            Err(e) => Err(ConfigError::ProfileFile {
                file: path,
                line: None,
                reason: e.to_string().into(),
            }),
        }
    };
    let credentials = text(path("AWS_SHARED_CREDENTIALS_FILE", "credentials"))?;
    let config = text(path("AWS_CONFIG_FILE", "config"))?;
    let name = named.as_deref().unwrap_or("default");
    match Profile::read(name, as_file(&credentials), as_file(&config)) {
        Ok(profile) => Ok(Some(profile)),
        Err(ConfigError::MissingProfile { .. }) if named.is_none() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A file read, as the profile parser takes it.
fn as_file(file: &Option<(String, String)>) -> Option<ProfileFile<'_>> {
    file.as_ref().map(|(path, text)| ProfileFile { path, text })
}

/// Credentials from `lookup`'s variables, else from the profile in the
/// files `read` gives (see the module's table).
pub fn credentials_from_sources(
    lookup: impl Fn(&str) -> Option<String>,
    read: impl Fn(&str) -> std::io::Result<Option<String>>,
) -> Result<Credentials, ConfigError> {
    if let Some(credentials) = variable_credentials(&lookup)? {
        return Ok(credentials);
    }
    profile(&lookup, &read)?
        .map(|p| p.credentials())
        .transpose()?
        .flatten()
        .ok_or(ConfigError::MissingCredentials(
            "set R2_ACCESS_KEY_ID (or AWS_ACCESS_KEY_ID), R2_API_TOKEN_ID, or a profile",
        ))
}

/// A configuration builder from `lookup`'s variables and the profile in
/// the files `read` gives (see the module's table).
pub fn config_from_sources(
    lookup: impl Fn(&str) -> Option<String>,
    read: impl Fn(&str) -> std::io::Result<Option<String>>,
) -> Result<ConfigBuilder, ConfigError> {
    let from_variables = variable_credentials(&lookup)?;
    let url = first(
        &lookup,
        &["R2_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"],
    );
    let profile = if from_variables.is_none() || url.is_none() {
        profile(&lookup, &read)?
    } else {
        None
    };
    let credentials = match from_variables {
        Some(credentials) => credentials,
        None => profile
            .as_ref()
            .map(Profile::credentials)
            .transpose()?
            .flatten()
            .ok_or(ConfigError::MissingCredentials(NO_CREDENTIALS))?,
    };
    let url = url.or_else(|| profile.and_then(|p| p.endpoint_url));
    let builder = match url {
        Some(url) => Config::for_endpoint(url, credentials),
        None => {
            let account_id = first(&lookup, &["R2_ACCOUNT_ID"]).ok_or(
                ConfigError::MissingEndpoint(
                    "set R2_ACCOUNT_ID, or an endpoint URL in R2_ENDPOINT (or AWS_ENDPOINT_URL, or a profile's endpoint_url)",
                ),
            )?;
            match first(&lookup, &["R2_JURISDICTION"]) {
                Some(jurisdiction) => {
                    Config::for_account_in(account_id, jurisdiction.parse()?, credentials)
                }
                None => Config::for_account(account_id, credentials),
            }
        }
    };
    let allow_http = first(&lookup, &["R2_ALLOW_HTTP", "AWS_ALLOW_HTTP"])
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    Ok(if allow_http {
        builder.allow_insecure_http()
    } else {
        builder
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

    /// A fresh directory with `credentials` and `config` files in it.
    fn aws_dir(name: &str, credentials: &str, config: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("r2-env-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        std::fs::write(dir.join(".aws/credentials"), credentials).unwrap();
        std::fs::write(dir.join(".aws/config"), config).unwrap();
        dir
    }

    const CREDENTIALS: &str = "[default]\naws_access_key_id = DEF\naws_secret_access_key = def-secret\n\
                               [r2]\naws_access_key_id = R2KEY\naws_secret_access_key = r2-secret\n";
    const CONFIG: &str = "[profile r2]\nendpoint_url = http://127.0.0.1:9000\n";

    #[test]
    fn profiles_come_from_the_files_in_home_or_named_by_variables() {
        let dir = aws_dir("home", CREDENTIALS, CONFIG);
        let home = dir.to_string_lossy().into_owned();
        let vars = [
            ("HOME", home.as_str()),
            ("AWS_PROFILE", "r2"),
            ("AWS_ALLOW_HTTP", "true"),
        ];
        let config = config_from_sources(lookup(&vars), read_file)
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(config.endpoint().url(), "http://127.0.0.1:9000");
        assert_eq!(config.credentials().access_key_id(), "R2KEY");

        let credentials = credentials_from_sources(lookup(&vars[..1]), read_file).unwrap();
        assert_eq!(credentials.access_key_id(), "DEF", "the default profile");

        let elsewhere = dir.join(".aws/credentials").to_string_lossy().into_owned();
        let by_variable = [
            ("AWS_SHARED_CREDENTIALS_FILE", elsewhere.as_str()),
            ("AWS_PROFILE", "r2"),
        ];
        let credentials = credentials_from_sources(lookup(&by_variable), read_file).unwrap();
        assert_eq!(credentials.access_key_id(), "R2KEY");

        let mut with_variables = vars.to_vec();
        with_variables.extend([("R2_ACCESS_KEY_ID", "ENV"), ("R2_SECRET_ACCESS_KEY", "s")]);
        let config = config_from_sources(lookup(&with_variables), read_file)
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(config.credentials().access_key_id(), "ENV", "variables win");
        assert_eq!(config.endpoint().url(), "http://127.0.0.1:9000");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_bad_file_or_a_missing_named_profile_is_a_typed_error() {
        let dir = aws_dir("bad", "[default]\naws_access_key_id\n", "");
        let home = dir.to_string_lossy().into_owned();
        let path = format!("{home}/.aws/credentials");
        let error = credentials_from_sources(lookup(&[("HOME", home.as_str())]), read_file);
        assert_eq!(
            error.unwrap_err(),
            ConfigError::ProfileFile {
                file: path.clone(),
                line: Some(2),
                reason: "expected `key = value`".into()
            }
        );
        std::fs::write(&path, CREDENTIALS).unwrap();
        let named = [("HOME", home.as_str()), ("AWS_PROFILE", "missing")];
        assert!(matches!(
            credentials_from_sources(lookup(&named), read_file),
            Err(ConfigError::MissingProfile { profile, .. }) if profile == "missing"
        ));
        let nothing = std::env::temp_dir().join("r2-env-no-such-home");
        let nothing = nothing.to_string_lossy().into_owned();
        assert!(matches!(
            credentials_from_sources(lookup(&[("HOME", nothing.as_str())]), read_file),
            Err(ConfigError::MissingCredentials(_))
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_api_token_gives_its_s3_credentials() {
        let credentials = credentials_from_lookup(lookup(&[
            ("R2_API_TOKEN_ID", "token-id"),
            ("R2_API_TOKEN", "abc"),
        ]))
        .unwrap();
        assert_eq!(credentials.access_key_id(), "token-id");
        // SHA-256("abc"), the FIPS 180-2 test vector.
        assert_eq!(
            credentials.secret_access_key().expose_secret(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(matches!(
            credentials_from_lookup(lookup(&[("R2_API_TOKEN_ID", "id")])),
            Err(ConfigError::MissingCredentials(_))
        ));
    }

    #[test]
    fn a_root_bundle_is_read_from_the_file_the_environment_names() {
        let dir = aws_dir("roots", "", "");
        let bundle = dir.join("roots.pem");
        std::fs::write(&bundle, "-----BEGIN CERTIFICATE-----\n").unwrap();
        let path = bundle.to_string_lossy().into_owned();
        let read = |p: &str| std::fs::read(p);
        let found = root_certificates_from_sources(lookup(&[("SSL_CERT_FILE", &path)]), read);
        assert_eq!(
            found.unwrap().as_deref(),
            Some(&b"-----BEGIN CERTIFICATE-----\n"[..])
        );
        assert_eq!(
            root_certificates_from_sources(lookup(&[]), read).unwrap(),
            None
        );
        let folder = dir.to_string_lossy().into_owned();
        let error = root_certificates_from_sources(lookup(&[("AWS_CA_BUNDLE", &folder)]), read);
        assert!(
            matches!(&error, Err(ConfigError::CertificateFile { file, .. }) if *file == folder),
            "{error:?}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
