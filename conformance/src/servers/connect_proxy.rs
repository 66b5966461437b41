//! An HTTP proxy on loopback that opens `CONNECT` tunnels, as corporate
//! proxies do, and counts what passed through it: the tunnels and their
//! targets, the bytes each way, and whether a given text crossed in the
//! clear. It can require `Proxy-Authorization` (answering `407` to a client
//! without it) and refuse every tunnel with a status.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How the proxy treats a `CONNECT`.
#[derive(Debug, Clone, Default)]
pub struct ProxyRules {
    /// The `Proxy-Authorization` value required (`Basic …`), if any.
    pub authorization: Option<String>,
    /// Answer every `CONNECT` with this status instead of opening it.
    pub refuse_with: Option<u16>,
    /// Text whose appearance in a tunnel's bytes (from the client) is
    /// noted: a key sent over TLS never appears.
    pub watch_for: Option<Vec<u8>>,
}

/// What went through the proxy.
#[derive(Debug, Default)]
struct Counts {
    targets: Mutex<Vec<String>>,
    refused: AtomicU64,
    to_target: AtomicU64,
    to_client: AtomicU64,
    watched_seen: AtomicBool,
}

/// The running proxy; it stops accepting when dropped.
#[derive(Debug)]
pub struct ConnectProxy {
    address: SocketAddr,
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
}

impl ConnectProxy {
    /// Starts the proxy on an ephemeral loopback port.
    pub fn start(rules: ProxyRules) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let address = listener.local_addr()?;
        let counts = Arc::new(Counts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (counted, stopped) = (Arc::clone(&counts), Arc::clone(&stop));
        let rules = Arc::new(rules);
        std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let (counts, rules) = (Arc::clone(&counted), Arc::clone(&rules));
                        std::thread::spawn(move || {
                            let _ended = serve(client, &rules, &counts);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(Self {
            address,
            counts,
            stop,
        })
    }

    /// `host:port` of the proxy.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// The targets of the tunnels opened, in order (`host:port`).
    pub fn targets(&self) -> Vec<String> {
        self.counts
            .targets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `CONNECT`s answered with an error.
    pub fn refused(&self) -> u64 {
        self.counts.refused.load(Ordering::SeqCst)
    }

    /// Bytes carried from clients to targets, and back.
    pub fn bytes(&self) -> (u64, u64) {
        (
            self.counts.to_target.load(Ordering::SeqCst),
            self.counts.to_client.load(Ordering::SeqCst),
        )
    }

    /// Whether the watched text crossed a tunnel in the clear.
    pub fn saw_watched_text(&self) -> bool {
        self.counts.watched_seen.load(Ordering::SeqCst)
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One client connection: its `CONNECT`, then the tunnel until either end
/// closes.
fn serve(client: TcpStream, rules: &ProxyRules, counts: &Counts) -> std::io::Result<()> {
    client.set_nonblocking(false)?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("proxy-authorization")
        {
            authorization = Some(value.trim().to_owned());
        }
    }
    let mut answer = client.try_clone()?;
    let mut words = request_line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        counts.refused.fetch_add(1, Ordering::SeqCst);
        return answer.write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n");
    };
    let refusal = if rules.authorization.is_some() && authorization != rules.authorization {
        Some(407)
    } else {
        rules.refuse_with
    };
    if let Some(status) = refusal {
        counts.refused.fetch_add(1, Ordering::SeqCst);
        let head = format!("HTTP/1.1 {status} Refused By Test Proxy\r\ncontent-length: 0\r\n\r\n");
        return answer.write_all(head.as_bytes());
    }
    let upstream = match TcpStream::connect(target) {
        Ok(upstream) => upstream,
        Err(_) => {
            counts.refused.fetch_add(1, Ordering::SeqCst);
            return answer.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        }
    };
    counts
        .targets
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(target.to_owned());
    answer.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let buffered = reader.buffer().to_vec();
    let (mut up_write, mut up_read) = (upstream.try_clone()?, upstream);
    up_write.write_all(&buffered)?;
    std::thread::scope(|scope| {
        scope.spawn(|| {
            pump(&mut up_read, &mut answer, &counts.to_client, None);
        });
        let watched = rules
            .watch_for
            .as_deref()
            .map(|text| (text, &counts.watched_seen));
        let mut from_client = reader.into_inner();
        pump(&mut from_client, &mut up_write, &counts.to_target, watched);
    });
    Ok(())
}

/// Copies `from` to `to` until `from` ends, counting bytes and looking for
/// the watched text (across read boundaries); then closes `to`'s writing
/// half.
fn pump(
    from: &mut TcpStream,
    to: &mut TcpStream,
    counted: &AtomicU64,
    watched: Option<(&[u8], &AtomicBool)>,
) {
    let mut buffer = vec![0u8; 64 << 10];
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = buffer.get(..n).unwrap_or_default();
        if let Some((text, seen)) = watched {
            tail.extend_from_slice(chunk);
            if tail.windows(text.len()).any(|window| window == text) {
                seen.store(true, Ordering::SeqCst);
            }
            let keep = tail.len().saturating_sub(text.len());
            tail.drain(..keep);
        }
        if to.write_all(chunk).is_err() {
            break;
        }
        counted.fetch_add(n as u64, Ordering::SeqCst);
    }
    let _closed = to.shutdown(Shutdown::Write);
}
