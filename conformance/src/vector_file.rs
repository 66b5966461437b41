//! Files in the `r2-s3-sigv4-vectors/1` format, and checking r2's signer
//! against each of their cases.
//!
//! A header case is signed with [`Signer::sign`] and explained with
//! [`Signer::explain`]; a presign case with [`Signer::presign`] and
//! [`Signer::explain_presign`]. The fields are compared in the order a
//! signature is built, so the first mismatch reported is the root cause:
//! payload hash, canonical request, string to sign, signed headers,
//! signature, then the `Authorization` header and emitted headers, or the
//! presigned URL and the headers its user must send.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use http::Request;
use r2_proto::{Credentials, PayloadHash, Signer};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::mismatch::{Mismatch, compare};
use crate::request::{authorization, build_request, header_pairs};
use crate::timestamp::parse_amz_date;

/// The format name a vector file must declare.
pub const FORMAT: &str = "r2-s3-sigv4-vectors/1";

/// A whole vector file.
#[derive(Debug, Clone, Deserialize)]
pub struct VectorFile {
    /// Must be [`FORMAT`].
    pub format: String,
    /// The cases, in file order.
    pub cases: Vec<Case>,
}

/// How a case authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    /// `Authorization` header.
    Header,
    /// Presigned URL.
    Presign,
}

/// One signing case.
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    /// Unique name.
    pub name: String,
    /// Header or query authentication.
    pub auth: Auth,
    /// True when the case encodes one implementation's choice rather than a SigV4 rule.
    #[serde(default)]
    pub policy_dependent: bool,
    /// The credentials to sign with.
    pub credentials: CaseCredentials,
    /// Credential-scope region.
    pub region: String,
    /// Credential-scope service.
    pub service: String,
    /// Signing time, `YYYYMMDDTHHMMSSZ`.
    pub timestamp: String,
    /// The request to sign.
    pub request: CaseRequest,
    /// `UNSIGNED-PAYLOAD` or the hex SHA-256 of the body.
    pub payload_hash: String,
    /// Presigned URL lifetime in seconds (presign cases).
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// What the signer must produce.
    pub expected: Expected,
}

/// A case's credentials.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseCredentials {
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token, for temporary credentials.
    #[serde(default)]
    pub session_token: Option<String>,
}

/// A case's input request.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseRequest {
    /// HTTP method.
    pub method: String,
    /// The URL exactly as sent (already percent-encoded).
    pub url: String,
    /// Input headers in order; duplicates allowed; no `Host`.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// Body as UTF-8 text.
    #[serde(default)]
    pub body: Option<String>,
    /// Body as base64, for binary bodies.
    #[serde(default)]
    pub body_base64: Option<String>,
}

/// A case's expected values.
#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    /// The canonical request.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// The `SignedHeaders` list.
    pub signed_headers: String,
    /// The hex signature.
    pub signature: String,
    /// The `Authorization` header (header cases).
    #[serde(default)]
    pub authorization: Option<String>,
    /// Every header after signing (header cases; `Content-Length` omitted).
    #[serde(default)]
    pub headers_out: Option<Vec<(String, String)>>,
    /// The final URL (presign cases).
    #[serde(default)]
    pub presigned_url: Option<String>,
    /// Headers the URL's user must send (presign cases).
    #[serde(default)]
    pub headers_to_send: Option<Vec<(String, String)>>,
}

/// Why a vector file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not valid JSON of the expected shape.
    #[error("not a valid vector file: {0}")]
    Json(#[from] serde_json::Error),
    /// The file declares another format.
    #[error("format is {0:?}, expected {FORMAT:?}")]
    WrongFormat(String),
    /// A case lacks a field its kind needs.
    #[error("case {case:?} has no {field:?}")]
    IncompleteCase {
        /// The case's name.
        case: String,
        /// The missing field.
        field: &'static str,
    },
}

impl VectorFile {
    /// Reads and validates a vector file.
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let text = std::fs::read_to_string(path)?;
        Self::parse(&text)
    }

    /// Parses and validates the text of a vector file.
    pub fn parse(text: &str) -> Result<Self, LoadError> {
        let file: Self = serde_json::from_str(text)?;
        if file.format != FORMAT {
            return Err(LoadError::WrongFormat(file.format));
        }
        for case in &file.cases {
            let missing = |field| LoadError::IncompleteCase {
                case: case.name.clone(),
                field,
            };
            match case.auth {
                Auth::Header => {
                    if case.expected.authorization.is_none() {
                        return Err(missing("expected.authorization"));
                    }
                    if case.expected.headers_out.is_none() {
                        return Err(missing("expected.headers_out"));
                    }
                }
                Auth::Presign => {
                    if case.expires_in.is_none() {
                        return Err(missing("expires_in"));
                    }
                    if case.expected.presigned_url.is_none() {
                        return Err(missing("expected.presigned_url"));
                    }
                }
            }
        }
        Ok(file)
    }
}

/// The result of checking one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every field matched.
    Passed,
    /// A field differed; the first one is reported.
    Failed(Mismatch),
    /// A policy-dependent case on which r2 deliberately differs.
    Skipped {
        /// Why the difference is deliberate, and where it shows.
        reason: String,
    },
}

/// Checks r2's signer against one case.
pub fn check_case(case: &Case) -> Outcome {
    match run_case(case) {
        Ok(()) => Outcome::Passed,
        Err(mismatch) if case.policy_dependent => Outcome::Skipped {
            reason: format!(
                "policy-dependent case; r2's signing policy differs ({mismatch}). r2 never signs \
                 Authorization, User-Agent, Expect, Content-Length or hop-by-hop headers"
            ),
        },
        Err(mismatch) => Outcome::Failed(mismatch),
    }
}

fn run_case(case: &Case) -> Result<(), Mismatch> {
    let signer = signer_for(case)?;
    let now = parse_amz_date(&case.timestamp)
        .map_err(|e| Mismatch::new("timestamp", &case.timestamp, e))?;
    let payload = payload_for(case)?;
    let request = request_for(case)?;
    match case.auth {
        Auth::Header => check_header_case(case, &signer, request, &payload, now),
        Auth::Presign => check_presign_case(case, &signer, &request, now),
    }
}

fn signer_for(case: &Case) -> Result<Signer, Mismatch> {
    let creds = &case.credentials;
    let mut credentials = Credentials::new(&creds.access_key_id, &creds.secret_access_key)
        .map_err(|e| Mismatch::new("credentials", "accepted", e.to_string()))?;
    if let Some(token) = &creds.session_token {
        credentials = credentials
            .with_session_token(token)
            .map_err(|e| Mismatch::new("credentials.session_token", "accepted", e.to_string()))?;
    }
    Signer::with_scope(credentials, &case.region, &case.service)
        .map_err(|e| Mismatch::new("region/service", "accepted", e.to_string()))
}

fn payload_for(case: &Case) -> Result<PayloadHash, Mismatch> {
    let payload = PayloadHash::from_hex(&case.payload_hash)
        .map_err(|e| Mismatch::new("payload_hash", &case.payload_hash, e.to_string()))?;
    if !payload.is_unsigned() && case.auth == Auth::Header {
        let body = body_of(&case.request)?;
        compare(
            "payload_hash",
            &case.payload_hash,
            PayloadHash::of(&body).as_str(),
        )?;
    }
    Ok(payload)
}

fn body_of(request: &CaseRequest) -> Result<Vec<u8>, Mismatch> {
    match (&request.body_base64, &request.body) {
        (Some(encoded), _) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| Mismatch::new("request.body_base64", "valid base64", e.to_string())),
        (None, Some(text)) => Ok(text.as_bytes().to_vec()),
        (None, None) => Ok(Vec::new()),
    }
}

fn request_for(case: &Case) -> Result<Request<()>, Mismatch> {
    let input = &case.request;
    build_request(&input.method, &input.url, "request.url", &input.headers)
}

fn check_trace(expected: &Expected, trace: &r2_proto::SignatureTrace) -> Result<(), Mismatch> {
    compare(
        "canonical_request",
        &expected.canonical_request,
        &trace.canonical_request,
    )?;
    compare(
        "string_to_sign",
        &expected.string_to_sign,
        &trace.string_to_sign,
    )?;
    compare(
        "signed_headers",
        &expected.signed_headers,
        &trace.signed_headers,
    )?;
    compare("signature", &expected.signature, &trace.signature)
}

fn check_header_case(
    case: &Case,
    signer: &Signer,
    mut request: Request<()>,
    payload: &PayloadHash,
    now: OffsetDateTime,
) -> Result<(), Mismatch> {
    let expected = &case.expected;
    let trace = signer
        .explain(&request, payload, now)
        .map_err(|e| Mismatch::new("explain", "a signature", e.to_string()))?;
    check_trace(expected, &trace)?;
    signer
        .sign(&mut request, payload, now)
        .map_err(|e| Mismatch::new("sign", "a signed request", e.to_string()))?;
    compare(
        "authorization",
        expected.authorization.as_deref().unwrap_or_default(),
        &authorization(&request),
    )?;
    compare(
        "headers_out",
        &header_list(expected.headers_out.as_deref().unwrap_or_default()),
        &header_list(&header_pairs(request.headers())),
    )
}

fn check_presign_case(
    case: &Case,
    signer: &Signer,
    request: &Request<()>,
    now: OffsetDateTime,
) -> Result<(), Mismatch> {
    let expected = &case.expected;
    let expires_in = Duration::from_secs(case.expires_in.unwrap_or_default());
    let trace = signer
        .explain_presign(request, expires_in, now)
        .map_err(|e| Mismatch::new("explain_presign", "a signature", e.to_string()))?;
    check_trace(expected, &trace)?;
    let presigned = signer
        .presign(request, expires_in, now)
        .map_err(|e| Mismatch::new("presign", "a presigned URL", e.to_string()))?;
    let expected_url = expected.presigned_url.as_deref().unwrap_or_default();
    if presigned.url() != expected_url && url_parts(presigned.url()) != url_parts(expected_url) {
        return Err(Mismatch::new(
            "presigned_url",
            expected_url,
            presigned.url(),
        ));
    }
    compare(
        "headers_to_send",
        &header_list(expected.headers_to_send.as_deref().unwrap_or_default()),
        &header_list(&header_pairs(presigned.headers())),
    )
}

/// Headers as `name: value` lines: names lower-cased, sorted by name with
/// the order of repeated names kept, so two lists compare as HTTP sees them.
fn header_list(headers: &[(String, String)]) -> String {
    let mut lines: Vec<(String, &str)> = headers
        .iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.as_str()))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines.iter().map(|(n, v)| format!("{n}: {v}\n")).collect()
}

/// A URL as its part before `?` and its sorted query parameters: the
/// comparison to use when a signer orders the parameters differently.
fn url_parts(url: &str) -> (String, Vec<String>) {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    params.sort();
    (base.to_owned(), params)
}
