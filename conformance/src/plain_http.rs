//! A minimal HTTP/1.1 client over a loopback `TcpStream`, independent of
//! every adapter: it fetches presigned URLs the way a browser or curl
//! would, and sends the raw signed requests the harness needs (bucket
//! creation, lifecycle rules) that the client API does not cover.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};

/// A response read whole.
#[derive(Debug, Clone)]
pub struct PlainResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

/// Why a plain request failed.
#[derive(Debug, thiserror::Error)]
pub enum PlainError {
    /// Only `http://host:port/...` URLs are supported.
    #[error("unsupported URL {0:?}: only plain http on loopback")]
    Url(String),
    /// The socket failed.
    #[error("plain HTTP: {0}")]
    Io(#[from] std::io::Error),
    /// The answer was not HTTP/1.1.
    #[error("plain HTTP: malformed response: {0}")]
    Malformed(String),
}

/// Sends one request (`Connection: close`) and reads the whole answer.
pub fn send(
    method: &Method,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<PlainResponse, PlainError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| PlainError::Url(url.to_owned()))?;
    let (authority, target) = match rest.find('/') {
        Some(at) => rest.split_at(at),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut head =
        format!("{method} {target} HTTP/1.1\r\nhost: {authority}\r\nconnection: close\r\n");
    for (name, value) in headers {
        if name == http::header::HOST || name == http::header::CONTENT_LENGTH {
            continue;
        }
        head.push_str(name.as_str());
        head.push_str(": ");
        head.push_str(value.to_str().map_err(|e| PlainError::Url(e.to_string()))?);
        head.push_str("\r\n");
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()?;
    read_response(stream, method == Method::HEAD)
}

fn read_response(stream: TcpStream, head_only: bool) -> Result<PlainResponse, PlainError> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(|| PlainError::Malformed(line.clone()))?;
    let mut headers = HeaderMap::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed
            .split_once(':')
            .ok_or_else(|| PlainError::Malformed(trimmed.to_owned()))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|e| PlainError::Malformed(e.to_string()))?;
        let value = HeaderValue::from_str(value.trim())
            .map_err(|e| PlainError::Malformed(e.to_string()))?;
        headers.append(name, value);
    }
    let mut body = Vec::new();
    if !head_only && status != StatusCode::NOT_MODIFIED && status != StatusCode::NO_CONTENT {
        let chunked = headers
            .get(http::header::TRANSFER_ENCODING)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
        if chunked {
            read_chunked(&mut reader, &mut body)?;
        } else if let Some(length) = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            reader.take(length).read_to_end(&mut body)?;
        } else {
            reader.read_to_end(&mut body)?;
        }
    }
    Ok(PlainResponse {
        status,
        headers,
        body,
    })
}

fn read_chunked(reader: &mut impl BufRead, body: &mut Vec<u8>) -> Result<(), PlainError> {
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
            .map_err(|e| PlainError::Malformed(e.to_string()))?;
        if size == 0 {
            return Ok(());
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(body.get_mut(start..).unwrap_or_default())?;
        line.clear();
        reader.read_line(&mut line)?;
    }
}
