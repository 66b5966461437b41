//! The AWS SigV4 test suite (`<case>/<case>.req`, `.creq`, `.sts`, `.authz`).
//!
//! Its cases sign for region `us-east-1` and service `service` with the key
//! `AKIDEXAMPLE`, and carry no `x-amz-content-sha256` header, so they run
//! through r2's signer with [`Signer::without_content_sha256_header`]. The
//! `.req` files hold raw request text: the path is unencoded text (encoded
//! here once, as S3 does), the query may hold raw UTF-8, and one case folds a
//! header over several lines (unfolded here with single spaces).

use std::path::{Path, PathBuf};

use http::Request;
use r2_proto::{Credentials, PayloadHash, Signer, percent};

use crate::mismatch::{Mismatch, compare};
use crate::request::{authorization, build_request};
use crate::timestamp::parse_amz_date;

const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
const SECRET_ACCESS_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";
const SERVICE: &str = "service";
const TIMESTAMP: &str = "20150830T123600Z";
/// The token of `get-vanilla-with-session-token`, which its `.req` leaves out.
const VANILLA_SESSION_TOKEN: &str =
    "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";

/// One case of the suite, read from its directory.
#[derive(Debug, Clone)]
pub struct SuiteCase {
    /// The case's name (its directory's name).
    pub name: String,
    /// The `.req` text.
    pub request: String,
    /// The expected canonical request.
    pub canonical_request: String,
    /// The expected string to sign.
    pub string_to_sign: String,
    /// The expected `Authorization` header.
    pub authorization: String,
}

impl SuiteCase {
    /// Reads the case in `dir` (files named after the directory).
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{name}.{ext}")));
        Ok(Self {
            request: read("req")?,
            canonical_request: read("creq")?,
            string_to_sign: read("sts")?,
            authorization: read("authz")?,
            name,
        })
    }

    /// Checks r2's signer against the case.
    pub fn check(&self) -> Result<(), Mismatch> {
        let parsed = ParsedRequest::parse(&self.request)
            .map_err(|e| Mismatch::new("request", "a parsable .req", e))?;
        let mut credentials = Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY)
            .map_err(|e| Mismatch::new("credentials", "accepted", e.to_string()))?;
        let token = parsed
            .session_token
            .as_deref()
            .or((self.name == "get-vanilla-with-session-token").then_some(VANILLA_SESSION_TOKEN));
        if let Some(token) = token {
            credentials = credentials
                .with_session_token(token)
                .map_err(|e| Mismatch::new("credentials", "accepted", e.to_string()))?;
        }
        let signer = Signer::with_scope(credentials, REGION, SERVICE)
            .map_err(|e| Mismatch::new("scope", "accepted", e.to_string()))?
            .without_content_sha256_header();
        let now =
            parse_amz_date(TIMESTAMP).map_err(|e| Mismatch::new("timestamp", TIMESTAMP, e))?;
        let payload = PayloadHash::of(parsed.body.as_bytes());
        let mut request = parsed.to_request()?;

        let trace = signer
            .explain(&request, &payload, now)
            .map_err(|e| Mismatch::new("explain", "a signature", e.to_string()))?;
        compare(
            "canonical_request",
            &self.canonical_request,
            &trace.canonical_request,
        )?;
        compare(
            "string_to_sign",
            &self.string_to_sign,
            &trace.string_to_sign,
        )?;
        signer
            .sign(&mut request, &payload, now)
            .map_err(|e| Mismatch::new("sign", "a signed request", e.to_string()))?;
        compare(
            "authorization",
            &self.authorization,
            &authorization(&request),
        )
    }
}

/// Every case directory under `root` (a directory holding `<name>/<name>.req`).
pub fn case_dirs(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if !path.is_dir() {
                continue;
            }
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            match name {
                Some(name) if path.join(format!("{name}.req")).is_file() => found.push(path),
                _ => pending.push(path),
            }
        }
    }
    found.sort();
    Ok(found)
}

/// A `.req` file taken apart.
struct ParsedRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    session_token: Option<String>,
    body: String,
}

impl ParsedRequest {
    fn parse(text: &str) -> Result<Self, String> {
        let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
        let mut lines = head.lines();
        let request_line = lines.next().ok_or("empty request")?;
        let (method, rest) = request_line.split_once(' ').ok_or("no request target")?;
        let target = rest
            .strip_suffix(" HTTP/1.1")
            .ok_or("request line does not end in HTTP/1.1")?;
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let (_, value) = headers.last_mut().ok_or("continuation before any header")?;
                value.push(' ');
                value.push_str(line.trim());
                continue;
            }
            let (name, value) = line.split_once(':').ok_or("header line without ':'")?;
            headers.push((name.to_owned(), value.to_owned()));
        }
        // The signer sets X-Amz-Date and the session token itself.
        let session_token = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"))
            .map(|(_, v)| v.trim().to_owned());
        headers.retain(|(n, _)| {
            !n.eq_ignore_ascii_case("x-amz-date") && !n.eq_ignore_ascii_case("x-amz-security-token")
        });
        Ok(Self {
            method: method.to_owned(),
            target: target.to_owned(),
            headers,
            session_token,
            body: body.to_owned(),
        })
    }

    /// An `http::Request` for the parsed text: the path encoded once, the
    /// query's bytes made URI-safe (its `%XX`, `=` and `&` kept).
    fn to_request(&self) -> Result<Request<()>, Mismatch> {
        let host = self
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.trim())
            .ok_or_else(|| Mismatch::new("request", "a Host header", "none"))?;
        let (path, query) = match self.target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (self.target.as_str(), None),
        };
        let mut uri = format!("https://{host}");
        percent::encode_path_into(&mut uri, path);
        if let Some(query) = query {
            uri.push('?');
            for byte in query.bytes() {
                if byte.is_ascii_graphic() && byte != b'#' {
                    uri.push(char::from(byte));
                } else {
                    uri.push_str(&format!("%{byte:02X}"));
                }
            }
        }
        build_request(&self.method, &uri, "request.target", &self.headers)
    }
}
