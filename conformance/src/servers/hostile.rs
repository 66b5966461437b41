//! A scripted, hostile HTTP/1.1 server on loopback: it reads each request
//! (head and body) and answers every one the same way, as the test chose:
//! a body that never ends, one that announces gigabytes, one that trickles
//! a byte at a time, a huge error text, an echo of the request's secrets.
//! It counts the bytes it managed to write, so a test can prove the client
//! stopped reading.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

/// How the server answers every request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A whole answer: status, headers (`Content-Length` is added) and body.
    Whole {
        /// The status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// The body.
        body: Vec<u8>,
    },
    /// A chunked body that repeats `chunk` until the client goes away.
    Endless {
        /// The status code.
        status: u16,
        /// The piece repeated.
        chunk: Vec<u8>,
    },
    /// A body that announces `declared` bytes, then sends `prefix` and
    /// `filler` bytes until the client goes away.
    Declared {
        /// The status code.
        status: u16,
        /// The announced `Content-Length`.
        declared: u64,
        /// The body's first bytes.
        prefix: Vec<u8>,
    },
    /// A body of `len` bytes, one byte every `every`.
    Trickle {
        /// The announced `Content-Length`.
        len: u64,
        /// The pause between bytes.
        every: Duration,
    },
    /// An error answered as soon as the request head is in, the body never
    /// read, and the connection then held open (reading nothing) for
    /// `hold`.
    RefuseEarly {
        /// The status code.
        status: u16,
        /// The error body.
        body: Vec<u8>,
        /// How long the connection stays open after the answer.
        hold: Duration,
    },
    /// An unasked-for `100 Continue` as soon as the request head is in, a
    /// pause before the body is read, then `200 OK` with an ETag.
    EarlyContinue,
    /// `200 OK` with an empty body, its head sent only after `after`.
    Slow {
        /// The pause before the head.
        after: Duration,
    },
    /// These bytes as they are, then the connection is closed.
    Raw(Vec<u8>),
    /// `count` interim `100 Continue` answers, then `204 No Content`.
    Interim {
        /// How many interim answers.
        count: u32,
    },
}

/// The running server; it stops accepting when dropped.
#[derive(Debug)]
pub struct HostileServer {
    address: SocketAddr,
    sent: Arc<AtomicU64>,
    requests: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
}

impl HostileServer {
    /// Starts the server on an ephemeral loopback port.
    pub fn start(answer: Answer) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let sent = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (counter, seen, stopped) =
            (Arc::clone(&sent), Arc::clone(&requests), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (answer, counter, seen) =
                            (answer.clone(), Arc::clone(&counter), Arc::clone(&seen));
                        let stopped = Arc::clone(&stopped);
                        std::thread::spawn(move || {
                            let _ignored = serve(stream, &answer, &counter, &seen, &stopped);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(Self {
            address,
            sent,
            requests,
            stop,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Body bytes written to clients so far (accepted by the socket).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// Requests read so far.
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Answers the requests on one connection until it closes.
fn serve(
    stream: TcpStream,
    answer: &Answer,
    sent: &AtomicU64,
    requests: &AtomicU32,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_nodelay(true)?;
    // A client that stops reading but keeps the connection open does not
    // hold this thread for ever.
    stream.set_write_timeout(Some(Duration::from_secs(20)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let Some(body_len) = read_head(&mut reader)? else {
            return Ok(());
        };
        if let Answer::EarlyContinue = answer {
            out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            std::thread::sleep(Duration::from_millis(300));
        }
        if let Answer::RefuseEarly { status, body, hold } = answer {
            requests.fetch_add(1, Ordering::Relaxed);
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            out.write_all(head.as_bytes())?;
            out.write_all(body)?;
            out.flush()?;
            std::thread::sleep(*hold);
            return Ok(());
        }
        std::io::copy(&mut (&mut reader).take(body_len), &mut std::io::sink())?;
        requests.fetch_add(1, Ordering::Relaxed);
        let count = |n: usize| {
            sent.fetch_add(n as u64, Ordering::Relaxed);
        };
        match answer {
            Answer::Whole {
                status,
                headers,
                body,
            } => {
                let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (name, value) in headers {
                    head.push_str(&format!("{name}: {value}\r\n"));
                }
                head.push_str("\r\n");
                out.write_all(head.as_bytes())?;
                out.write_all(body)?;
                count(body.len());
            }
            Answer::Endless { status, chunk } => {
                let head = format!("HTTP/1.1 {status} X\r\ntransfer-encoding: chunked\r\n\r\n");
                out.write_all(head.as_bytes())?;
                let framed = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
                while !stop.load(Ordering::Relaxed) {
                    out.write_all(&framed)?;
                    count(chunk.len());
                }
                return Ok(());
            }
            Answer::Declared {
                status,
                declared,
                prefix,
            } => {
                let head = format!("HTTP/1.1 {status} X\r\ncontent-length: {declared}\r\n\r\n");
                out.write_all(head.as_bytes())?;
                out.write_all(prefix)?;
                count(prefix.len());
                let filler = vec![b'x'; 64 << 10];
                while !stop.load(Ordering::Relaxed) {
                    out.write_all(&filler)?;
                    count(filler.len());
                }
                return Ok(());
            }
            Answer::Trickle { len, every } => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {len}\r\n\r\n");
                out.write_all(head.as_bytes())?;
                for _ in 0..*len {
                    std::thread::sleep(*every);
                    out.write_all(b"x")?;
                    count(1);
                }
            }
            Answer::RefuseEarly { .. } => {}
            Answer::EarlyContinue => {
                out.write_all(b"HTTP/1.1 200 OK\r\netag: \"e\"\r\ncontent-length: 0\r\n\r\n")?;
            }
            Answer::Slow { after } => {
                std::thread::sleep(*after);
                out.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")?;
            }
            Answer::Raw(bytes) => {
                out.write_all(bytes)?;
                count(bytes.len());
                return Ok(());
            }
            Answer::Interim { count: interim } => {
                for _ in 0..*interim {
                    out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
                }
                out.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")?;
            }
        }
        out.flush()?;
    }
}

/// Reads one request head; `None` when the connection closed first. The
/// body's length comes back (`Content-Length`, else none).
fn read_head(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<u64>> {
    let mut length = 0;
    let mut first = true;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end();
        if line.is_empty() && !first {
            return Ok(Some(length));
        }
        first = false;
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
}
