//! The shared credentials and config files (`~/.aws/credentials`,
//! `~/.aws/config`) as rclone, the aws CLI and boto3 users keep their R2
//! keys in them, parsed from text the caller read: nothing here touches the
//! file system ([`crate::env`] reads the files).
//!
//! From the credentials file, a `[name]` section's `aws_access_key_id`,
//! `aws_secret_access_key` and `aws_session_token`; from the config file,
//! a `[profile name]` (or `[default]`) section's same keys and its
//! `endpoint_url`, top-level or in an `s3 =` sub-section. The credentials
//! file wins where both set a key, as in the aws CLI.

use crate::credentials::Credentials;
use crate::error::ConfigError;

/// One file's text and the path it came from (for errors).
#[derive(Debug, Clone, Copy)]
pub struct ProfileFile<'a> {
    /// The path, as shown in errors.
    pub path: &'a str,
    /// The file's contents.
    pub text: &'a str,
}

/// What a profile sets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// `aws_access_key_id`.
    pub access_key_id: Option<String>,
    /// `aws_secret_access_key`.
    pub secret_access_key: Option<crate::SecretString>,
    /// `aws_session_token`.
    pub session_token: Option<crate::SecretString>,
    /// `endpoint_url` (for S3).
    pub endpoint_url: Option<String>,
}

impl Profile {
    /// The profile `name` from the credentials file and the config file
    /// (either may be missing); a profile in neither is an error naming
    /// the files looked in.
    pub fn read(
        name: &str,
        credentials: Option<ProfileFile<'_>>,
        config: Option<ProfileFile<'_>>,
    ) -> Result<Self, ConfigError> {
        let mut profile = Self::default();
        let mut found = false;
        if let Some(file) = config {
            let section = if name == "default" {
                "default".to_owned()
            } else {
                format!("profile {name}")
            };
            found |= profile.take(file, &section)?;
        }
        if let Some(file) = credentials {
            found |= profile.take(file, name)?;
        }
        if !found {
            let files: Vec<&str> = [credentials, config]
                .iter()
                .flatten()
                .map(|f| f.path)
                .collect();
            return Err(ConfigError::MissingProfile {
                profile: name.to_owned(),
                files: if files.is_empty() {
                    "no file (none exists)".to_owned()
                } else {
                    files.join(" and ")
                },
            });
        }
        Ok(profile)
    }

    /// The profile's credentials, if it has both key and secret.
    pub fn credentials(&self) -> Result<Option<Credentials>, ConfigError> {
        let (Some(id), Some(secret)) = (&self.access_key_id, &self.secret_access_key) else {
            return Ok(None);
        };
        let credentials = Credentials::new(id.clone(), secret.expose_secret())?;
        match &self.session_token {
            Some(token) => credentials
                .with_session_token(token.expose_secret())
                .map(Some),
            None => Ok(Some(credentials)),
        }
    }

    /// Reads the keys of `section` in `file` over what is set; whether
    /// the section is there.
    fn take(&mut self, file: ProfileFile<'_>, section: &str) -> Result<bool, ConfigError> {
        let mut found = false;
        let mut inside = false;
        // The key of an indented sub-section (`s3 =` then `  endpoint_url = …`).
        let mut sub: Option<String> = None;
        for (n, raw) in file.text.lines().enumerate() {
            let bad = |reason: &str| ConfigError::ProfileFile {
                file: file.path.to_owned(),
                line: Some(u32::try_from(n + 1).unwrap_or(u32::MAX)),
                reason: reason.into(),
            };
            let indented = raw.starts_with([' ', '\t']);
            let line = raw.trim();
            if line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            if let Some(header) = line.strip_prefix('[') {
                let header = header
                    .strip_suffix(']')
                    .ok_or_else(|| bad("a section header without its closing ]"))?;
                inside = header.split_whitespace().collect::<Vec<_>>().join(" ") == section;
                found |= inside;
                sub = None;
                continue;
            }
            let (key, value) = line
                .split_once('=')
                .ok_or_else(|| bad("expected `key = value`"))?;
            let (key, value) = (key.trim(), value.trim());
            if !inside {
                continue;
            }
            if !indented {
                sub = value.is_empty().then(|| key.to_owned());
            }
            let target = match (indented, sub.as_deref()) {
                (true, Some("s3")) | (false, _) => key,
                (true, _) => continue,
            };
            match target {
                "aws_access_key_id" => self.access_key_id = Some(value.to_owned()),
                "aws_secret_access_key" => {
                    self.secret_access_key = Some(crate::SecretString::new(value))
                }
                "aws_session_token" => self.session_token = Some(crate::SecretString::new(value)),
                "endpoint_url" if !value.is_empty() => self.endpoint_url = Some(value.to_owned()),
                _ => {}
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREDENTIALS: &str = "\
# R2 keys
[default]
aws_access_key_id = DEFAULTKEY
aws_secret_access_key = default-secret

[r2]
aws_access_key_id=R2KEY
aws_secret_access_key = r2-secret
aws_session_token = tok
";

    const CONFIG: &str = "\
[default]
region = auto

[profile r2]
region = auto
endpoint_url = https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com

[profile nested]
aws_access_key_id = NESTED
aws_secret_access_key = nested-secret
s3 =
  endpoint_url = http://127.0.0.1:9000
  addressing_style = path
sts =
  endpoint_url = http://elsewhere
";

    fn file<'a>(path: &'a str, text: &'a str) -> Option<ProfileFile<'a>> {
        Some(ProfileFile { path, text })
    }

    #[test]
    fn a_profile_takes_keys_from_both_files_and_the_s3_endpoint() {
        let r2 = Profile::read("r2", file("creds", CREDENTIALS), file("config", CONFIG)).unwrap();
        assert_eq!(r2.access_key_id.as_deref(), Some("R2KEY"));
        assert_eq!(
            r2.endpoint_url.as_deref(),
            Some("https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com")
        );
        let credentials = r2.credentials().unwrap().unwrap();
        assert_eq!(credentials.secret_access_key().expose_secret(), "r2-secret");
        assert_eq!(credentials.session_token().unwrap().expose_secret(), "tok");
        assert!(!format!("{r2:?}").contains("r2-secret"), "{r2:?}");

        let nested = Profile::read("nested", None, file("config", CONFIG)).unwrap();
        assert_eq!(
            nested.endpoint_url.as_deref(),
            Some("http://127.0.0.1:9000")
        );
        assert_eq!(nested.access_key_id.as_deref(), Some("NESTED"));

        let default = Profile::read("default", file("creds", CREDENTIALS), None).unwrap();
        assert_eq!(default.access_key_id.as_deref(), Some("DEFAULTKEY"));
        assert_eq!(default.endpoint_url, None);
    }

    #[test]
    fn a_missing_profile_or_a_malformed_line_is_named() {
        assert_eq!(
            Profile::read("nope", file("creds", CREDENTIALS), file("config", CONFIG)),
            Err(ConfigError::MissingProfile {
                profile: "nope".into(),
                files: "creds and config".into()
            })
        );
        let broken = "[default]\naws_access_key_id = K\nthis line has no equals sign\n";
        let error = Profile::read("default", file("/home/u/.aws/credentials", broken), None);
        assert_eq!(
            error,
            Err(ConfigError::ProfileFile {
                file: "/home/u/.aws/credentials".into(),
                line: Some(3),
                reason: "expected `key = value`".into()
            })
        );
        assert_eq!(
            error.unwrap_err().to_string(),
            "/home/u/.aws/credentials, line 3: expected `key = value`"
        );
        let header = Profile::read("default", file("c", "[default\n"), None).unwrap_err();
        assert!(header.to_string().contains("line 1"), "{header}");
    }

    #[test]
    fn a_profile_without_both_keys_has_no_credentials() {
        let only_config = Profile::read("r2", None, file("config", CONFIG)).unwrap();
        assert_eq!(only_config.credentials().unwrap(), None);
    }
}
