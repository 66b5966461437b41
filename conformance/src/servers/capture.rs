//! A loopback HTTP/1.1 server that records every request head byte for
//! byte and answers each with `200 OK`, an empty body and a fixed ETag:
//! the proof of what an adapter puts on the wire (the exact path it was
//! given, `Content-Length` on every PUT and POST, no `Expect`, no chunked
//! bodies).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedRequest {
    /// The request line, without CRLF (`PUT /bkt/a HTTP/1.1`).
    pub line: String,
    /// The header lines, lower-cased names, as sent.
    pub headers: Vec<(String, String)>,
    /// Body bytes received.
    pub body_len: usize,
}

impl CapturedRequest {
    /// The value of header `name` (lower case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The running server.
#[derive(Debug)]
pub struct CaptureServer {
    address: SocketAddr,
    seen: Arc<Mutex<Vec<CapturedRequest>>>,
}

impl CaptureServer {
    /// Starts the server on an ephemeral loopback port; it lives as long as
    /// the process (its thread ends with it).
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let address = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorder = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let recorder = Arc::clone(&recorder);
                std::thread::spawn(move || serve(stream, &recorder));
            }
        });
        Ok(Self { address, seen })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The requests seen so far.
    pub fn requests(&self) -> Vec<CapturedRequest> {
        self.seen
            .lock()
            .map(|seen| seen.clone())
            .unwrap_or_default()
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<CapturedRequest>>) {
    let Ok(writer) = stream.try_clone() else {
        return;
    };
    let mut writer = writer;
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut headers = Vec::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).is_err() {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let length = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse::<u64>().ok())
            .unwrap_or(0);
        let mut body = Vec::new();
        if (&mut reader).take(length).read_to_end(&mut body).is_err() {
            return;
        }
        if let Ok(mut seen) = seen.lock() {
            seen.push(CapturedRequest {
                line: line.trim_end().to_owned(),
                headers,
                body_len: body.len(),
            });
        }
        let answer = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\netag: \"d41d8cd98f00b204e9800998ecf8427e\"\r\n\r\n";
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}
