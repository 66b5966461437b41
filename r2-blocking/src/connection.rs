//! One connection to an endpoint: a std TCP socket (to the endpoint, or
//! a tunnel through a proxy), with rustls over it for https. Reads wait at most the client's idle time; writes wait in
//! short slices, so that a body can watch for an answer that comes before
//! the server reads it.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

use r2_http1::{Failure, Origin, Sending};
use r2_proto::error::NetworkError;
use r2_proto::proxy::{Proxy, Tunnel};
use rustls::pki_types::ServerName;

/// How long one write waits before the connection is checked for an early
/// answer (only when the server stops taking bytes).
const WRITE_SLICE: Duration = Duration::from_millis(100);

/// The most one write hands the kernel: a blocking write of a whole large
/// body costs a third more system time than writes of a few MiB (1 GiB
/// PUT: 0.44 s against 0.34–0.36 s of client CPU, peer bench).
const WRITE_PIECE: usize = 4 << 20;

/// An open connection, with the buffer it keeps between requests.
pub(crate) struct Connection {
    socket: TcpStream,
    tls: Option<Box<rustls::ClientConnection>>,
    /// Bytes read off the socket; lent to one exchange at a time.
    pub(crate) buffer: Vec<u8>,
    /// How long a read waits, as the socket was last set.
    idle: Duration,
}

impl std::fmt::Debug for Connection {
    /// Plain or TLS, nothing of the session.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.tls {
            None => "Connection::Plain",
            Some(_) => "Connection::Tls",
        })
    }
}

impl Connection {
    /// Connects to `origin` (each of its addresses in turn, all within
    /// `timeout`), or through a tunnel `proxy` opens to it, with a TLS
    /// handshake for https.
    pub(crate) fn open(
        origin: &Origin,
        proxy: Option<&Proxy>,
        tls: &Arc<rustls::ClientConfig>,
        timeout: Duration,
    ) -> Result<Self, NetworkError> {
        let deadline = Instant::now() + timeout;
        let (host, port) = proxy.map_or((origin.host(), origin.port()), |p| (p.host(), p.port()));
        let failed = |e: &dyn std::fmt::Display| match proxy {
            Some(proxy) => proxy.failed(e),
            None => NetworkError::ConnectionFailed(format!("{host}:{port}: {e}")),
        };
        let addresses = (host, port).to_socket_addrs().map_err(|e| failed(&e))?;
        let mut last = failed(&"no address");
        let mut socket = None;
        for address in addresses {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                last = NetworkError::Timeout(timeout);
                break;
            }
            match TcpStream::connect_timeout(&address, left) {
                Ok(connected) => {
                    socket = Some(connected);
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    last = NetworkError::Timeout(timeout);
                }
                Err(e) => last = failed(&e),
            }
        }
        let mut socket = socket.ok_or(last)?;
        let configured = socket
            .set_nodelay(true)
            .and_then(|()| socket.set_read_timeout(Some(timeout)))
            .and_then(|()| socket.set_write_timeout(Some(WRITE_SLICE.min(timeout))));
        configured.map_err(|e| failed(&e))?;
        if let Some(proxy) = proxy {
            let tunnel = Tunnel::new(proxy, origin.host(), origin.port());
            open_tunnel(&mut socket, tunnel, (deadline, timeout))?;
        }
        if !origin.https() {
            return Ok(Self::over(socket, None, timeout));
        }
        let host = origin.host();
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| NetworkError::Tls(format!("{host}: {e}")))?;
        let mut session = rustls::ClientConnection::new(Arc::clone(tls), name)
            .map_err(|e| NetworkError::Tls(e.to_string()))?;
        while session.is_handshaking() {
            session.complete_io(&mut socket).map_err(|e| {
                if is_timeout(&e) {
                    NetworkError::Timeout(timeout)
                } else {
                    NetworkError::connecting::<rustls::Error>(&e)
                }
            })?;
        }
        Ok(Self::over(socket, Some(Box::new(session)), timeout))
    }

    fn over(socket: TcpStream, tls: Option<Box<rustls::ClientConnection>>, idle: Duration) -> Self {
        Self {
            socket,
            tls,
            buffer: Vec::new(),
            idle,
        }
    }

    /// Makes reads wait at most `idle` from now on (a kept connection
    /// serves requests with their own timeouts).
    pub(crate) fn set_idle(&mut self, idle: Duration) -> io::Result<()> {
        if self.idle != idle {
            self.set_read_timeout(idle)?;
            self.idle = idle;
        }
        Ok(())
    }

    /// Reads what has arrived, waiting at most the idle time; 0 at the
    /// connection's end.
    pub(crate) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(tls) = self.tls.as_mut() else {
            return self.socket.read(buf);
        };
        loop {
            match tls.reader().read(buf) {
                Ok(n) => return Ok(n),
                // A close without TLS's close_notify: the framing says
                // whether the body was whole.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
                Err(_) => {}
            }
            tls.read_tls(&mut self.socket)?;
            tls.process_new_packets().map_err(io::Error::other)?;
            while tls.wants_write() {
                tls.write_tls(&mut self.socket)?;
            }
        }
    }

    /// Reads what has already arrived without waiting (`WouldBlock` when
    /// nothing has).
    fn read_now(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.socket.set_nonblocking(true)?;
        let read = match self.tls.as_mut() {
            None => self.socket.read(buf),
            Some(tls) => tls
                .read_tls(&mut self.socket)
                .and_then(|_| tls.process_new_packets().map_err(io::Error::other))
                .and_then(|_| tls.reader().read(buf)),
        };
        self.socket.set_nonblocking(false)?;
        read
    }

    /// Writes all of `bytes`; fails with a timeout once the server has
    /// taken nothing for `idle`. With `watch`, the connection is checked
    /// for an answer whenever the server stops taking bytes (or the write
    /// fails): an answer other than an interim one ends the write early,
    /// and the rest of the body is not sent.
    pub(crate) fn write(
        &mut self,
        mut bytes: &[u8],
        mut watch: Option<&mut Sending>,
        idle: Duration,
    ) -> Result<(), Failure> {
        let mut progress = Instant::now();
        loop {
            let wrote = match self.tls.as_mut() {
                Some(tls) if tls.wants_write() => tls.write_tls(&mut self.socket).map(|_| 0),
                _ if bytes.is_empty() => return Ok(()),
                Some(tls) => tls.writer().write(bytes),
                None => match self.socket.write(bytes.get(..WRITE_PIECE).unwrap_or(bytes)) {
                    Ok(0) => Err(io::ErrorKind::WriteZero.into()),
                    wrote => wrote,
                },
            };
            match wrote {
                Ok(n) => {
                    bytes = bytes.get(n..).unwrap_or_default();
                    progress = Instant::now();
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    if let Some(sending) = watch.as_deref_mut()
                        && self.answered(sending)?
                    {
                        return Ok(());
                    }
                    if !is_timeout(&e) {
                        return Err(Failure::early(e));
                    }
                    if progress.elapsed() >= idle {
                        return Err(Failure::late(NetworkError::Timeout(idle)));
                    }
                }
            }
        }
    }

    /// Whether an answer (not an interim one) has arrived while the body
    /// was going out.
    fn answered(&mut self, sending: &mut Sending) -> Result<bool, Failure> {
        match self.read_now(sending.room()) {
            Ok(0) => Err(Failure::early("the server closed before answering")),
            Ok(n) => Ok(sending.arrived(n)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(Failure::early(e)),
        }
    }

    /// Sets how long a read waits.
    pub(crate) fn set_read_timeout(&self, wait: Duration) -> io::Result<()> {
        self.socket
            .set_read_timeout(Some(wait.max(Duration::from_millis(1))))
    }
}

/// Writes `tunnel`'s request on `socket` and reads the proxy's answer
/// into it until it says the tunnel is open, before `deadline`.
fn open_tunnel(
    socket: &mut TcpStream,
    mut tunnel: Tunnel<'_>,
    (deadline, timeout): (Instant, Duration),
) -> Result<(), NetworkError> {
    let failed = |tunnel: &Tunnel<'_>, e: io::Error| match is_timeout(&e) {
        true => NetworkError::Timeout(timeout),
        false => tunnel.failed(e),
    };
    socket
        .write_all(tunnel.request())
        .map_err(|e| failed(&tunnel, e))?;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(NetworkError::Timeout(timeout));
        }
        let read = socket
            .set_read_timeout(Some(left))
            .and_then(|()| socket.read(tunnel.room()));
        match read {
            Ok(n) if tunnel.filled(n)? => break,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(failed(&tunnel, e)),
        }
    }
    let restored = socket.set_read_timeout(Some(timeout));
    restored.map_err(|e| failed(&tunnel, e))
}

/// Whether an I/O error is a socket's timeout.
pub(crate) fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
