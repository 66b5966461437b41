//! HTTP proxies, decided once for every adapter: which requests go through
//! one (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, or the
//! builder), the `CONNECT` request that opens a tunnel through it, and what
//! its answer means. The adapters connect to the proxy, write the bytes
//! a [`Tunnel`] gives, read into it until it says the tunnel is open, then
//! speak TLS (or plain HTTP) to the endpoint inside the tunnel, exactly as
//! on a direct connection.
//!
//! Every request through a proxy is tunnelled, plain-http endpoints too (as
//! `curl --proxytunnel` does), so the proxy sees neither the request nor
//! its signature; a proxy that allows `CONNECT` to port 443 only refuses a
//! plain-http endpoint on another port.

use std::fmt;
use std::net::IpAddr;

use base64::Engine;

use crate::MAX_RESPONSE_HEAD;
use crate::credentials::SecretString;
use crate::error::{ConfigError, NetworkError};
use crate::percent;

/// An HTTP proxy: `http://[user[:password]@]host[:port]` (port 80 when
/// none is given). The password never shows in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    host: String,
    port: u16,
    /// `Basic …`, sent as `Proxy-Authorization`.
    authorization: Option<SecretString>,
}

impl Proxy {
    /// Parses a proxy URL. A bare `host:port` is read as `http://host:port`;
    /// `https://` and `socks` proxies are refused (not supported).
    pub fn parse(url: &str) -> Result<Self, ConfigError> {
        let invalid = |why: &str| ConfigError::InvalidProxy(format!("{}: {why}", shown(url)));
        let url = url.trim();
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(invalid(&format!(
                    "{scheme}:// proxies are not supported (http:// only)"
                )));
            }
            None => url,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        let (host, port) = split_host_port(host_port).ok_or_else(|| invalid("bad host or port"))?;
        if host.is_empty() {
            return Err(invalid("no host"));
        }
        let name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
        let valid = if host_port.starts_with('[') {
            host.parse::<std::net::Ipv6Addr>().is_ok()
        } else {
            host.chars().all(name)
        };
        if !valid {
            return Err(invalid("bad host"));
        }
        let authorization = userinfo.map(|userinfo| {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let pair = [
                &percent::decode(user)[..],
                b":",
                &percent::decode(password)[..],
            ]
            .concat();
            let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
            SecretString::from(format!("Basic {encoded}"))
        });
        Ok(Self {
            host: host.to_owned(),
            port: port.unwrap_or(80),
            authorization,
        })
    }

    /// The proxy's host (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The request that opens a tunnel to `host:port` through this proxy.
    pub fn connect_request(&self, host: &str, port: u16) -> Vec<u8> {
        let target = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if let Some(authorization) = &self.authorization {
            request.push_str("Proxy-Authorization: ");
            request.push_str(authorization.expose_secret());
            request.push_str("\r\n");
        }
        request.push_str("\r\n");
        request.into_bytes()
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("authorization", &self.authorization.as_ref().map(|_| "***"))
            .finish()
    }
}

impl fmt::Display for Proxy {
    /// `http://host:port`, never the credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "http://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "http://{}:{}", self.host, self.port)
        }
    }
}

impl Proxy {
    /// A failure to reach or talk to this proxy, naming it.
    pub fn failed(&self, error: impl fmt::Display) -> NetworkError {
        NetworkError::ConnectionFailed(format!("proxy {self}: {error}"))
    }
}

/// A tunnel being opened through a proxy to an endpoint: write
/// [`request`](Self::request), then read into [`room`](Self::room) and
/// report each read to [`filled`](Self::filled) until it says `true`.
///
/// ```
/// use r2_proto::proxy::{Proxy, Tunnel};
///
/// let proxy = Proxy::parse("http://proxy.corp:3128")?;
/// let mut tunnel = Tunnel::new(&proxy, "acct.r2.cloudflarestorage.com", 443);
/// assert!(tunnel.request().starts_with(b"CONNECT acct.r2.cloudflarestorage.com:443 "));
/// let answer = b"HTTP/1.1 200 Connection established\r\n\r\n";
/// tunnel.room()[..answer.len()].copy_from_slice(answer);
/// assert!(tunnel.filled(answer.len())?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Tunnel<'p> {
    proxy: &'p Proxy,
    request: Vec<u8>,
    answer: Vec<u8>,
    filled: usize,
}

/// How much each read of the proxy's answer may bring.
const ANSWER_READ: usize = 1024;

impl<'p> Tunnel<'p> {
    /// A tunnel through `proxy` to `host:port`.
    pub fn new(proxy: &'p Proxy, host: &str, port: u16) -> Self {
        Self {
            proxy,
            request: proxy.connect_request(host, port),
            answer: Vec::new(),
            filled: 0,
        }
    }

    /// The `CONNECT` request, to write whole before reading.
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// Where the next read of the proxy's answer goes.
    pub fn room(&mut self) -> &mut [u8] {
        self.answer.resize(self.filled + ANSWER_READ, 0);
        self.answer.get_mut(self.filled..).unwrap_or_default()
    }

    /// Takes a read of `n` bytes into [`room`](Self::room) (0: the proxy
    /// closed): `true` once the tunnel is open, an error when the proxy
    /// refused it or broke off.
    pub fn filled(&mut self, n: usize) -> Result<bool, NetworkError> {
        if n == 0 {
            return Err(self
                .proxy
                .failed("it closed the connection before answering"));
        }
        self.filled = (self.filled + n).min(self.answer.len());
        let answer = self.answer.get(..self.filled).unwrap_or_default();
        Ok(TunnelAnswer::read(answer, self.proxy)? == TunnelAnswer::Open)
    }

    /// A failure to talk to the proxy, naming it.
    pub fn failed(&self, error: impl fmt::Display) -> NetworkError {
        self.proxy.failed(error)
    }
}

/// A URL as an error may show it: without what comes before an `@`.
fn shown(url: &str) -> String {
    match url.rsplit_once('@') {
        Some((before, after)) => match before.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://***@{after}"),
            None => format!("***@{after}"),
        },
        None => url.to_owned(),
    }
}

/// `host`, `[v6]`, `host:port` or `[v6]:port`.
fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let port = match port {
        Some(port) => Some(port.parse().ok().filter(|&port: &u16| port != 0)?),
        None => None,
    };
    Some((host, port))
}

/// Which requests go through which proxy: one for https endpoints, one for
/// plain-http ones, and the hosts that are reached directly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    https: Option<Proxy>,
    http: Option<Proxy>,
    no_proxy: NoProxy,
}

impl Proxies {
    /// No proxy at all (the builder's default).
    pub fn none() -> Self {
        Self::default()
    }

    /// Every request through `proxy`.
    pub fn all(proxy: Proxy) -> Self {
        Self {
            https: Some(proxy.clone()),
            http: Some(proxy),
            no_proxy: NoProxy::default(),
        }
    }

    /// Requests to https endpoints through `proxy`.
    pub fn https(mut self, proxy: Proxy) -> Self {
        self.https = Some(proxy);
        self
    }

    /// Requests to plain-http endpoints through `proxy`.
    pub fn http(mut self, proxy: Proxy) -> Self {
        self.http = Some(proxy);
        self
    }

    /// Hosts reached directly, as `NO_PROXY` lists them: comma-separated
    /// names (each also matching its subdomains; a leading `.` or `*.` is
    /// the same), IP addresses, CIDR blocks (`10.0.0.0/8`), or `*` for all.
    pub fn no_proxy(mut self, list: &str) -> Self {
        self.no_proxy = NoProxy::parse(list);
        self
    }

    /// The proxy a request to `host` goes through (`https`: the
    /// endpoint's scheme), or `None` to connect directly.
    pub fn for_target(&self, https: bool, host: &str) -> Option<&Proxy> {
        let proxy = if https { &self.https } else { &self.http };
        proxy.as_ref().filter(|_| !self.no_proxy.matches(host))
    }

    /// True when no request goes through a proxy.
    pub fn is_none(&self) -> bool {
        self.https.is_none() && self.http.is_none()
    }

    /// The proxies the environment names in `lookup`: `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` (for both, where the first two are not
    /// set) and `NO_PROXY`, each lower-case first, as curl reads them; an
    /// empty value is unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let read = |name: &str| {
            [name.to_ascii_lowercase(), name.to_owned()]
                .iter()
                .find_map(|name| lookup(name).filter(|value| !value.trim().is_empty()))
        };
        let parse = |value: Option<String>| value.as_deref().map(Proxy::parse).transpose();
        let all = parse(read("ALL_PROXY"))?;
        Ok(Self {
            https: parse(read("HTTPS_PROXY"))?.or_else(|| all.clone()),
            http: parse(read("HTTP_PROXY"))?.or(all),
            no_proxy: NoProxy::parse(&read("NO_PROXY").unwrap_or_default()),
        })
    }
}

/// The hosts `NO_PROXY` lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct NoProxy {
    everything: bool,
    names: Vec<String>,
    blocks: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    fn parse(list: &str) -> Self {
        let mut no_proxy = Self::default();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            if entry == "*" {
                no_proxy.everything = true;
            } else if let Some(block) = parse_block(entry) {
                no_proxy.blocks.push(block);
            } else {
                let name = entry.trim_start_matches("*.").trim_start_matches('.');
                let name = split_host_port(name).map_or(name, |(host, _)| host);
                no_proxy.names.push(name.to_ascii_lowercase());
            }
        }
        no_proxy
    }

    fn matches(&self, host: &str) -> bool {
        if self.everything {
            return true;
        }
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(address) = host.parse::<IpAddr>() {
            return self
                .blocks
                .iter()
                .any(|&(network, bits)| in_block(address, network, bits));
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|name| {
            host == *name
                || host
                    .strip_suffix(name.as_str())
                    .is_some_and(|rest| rest.ends_with('.'))
        })
    }
}

/// `address` or `address/bits`.
fn parse_block(entry: &str) -> Option<(IpAddr, u8)> {
    let (address, bits) = match entry.split_once('/') {
        Some((address, bits)) => (address, Some(bits.parse::<u8>().ok()?)),
        None => (entry, None),
    };
    let address: IpAddr = address
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()?;
    let most = if address.is_ipv4() { 32 } else { 128 };
    let bits = bits.unwrap_or(most);
    (bits <= most).then_some((address, bits))
}

/// True when the first `bits` bits of `address` are `network`'s.
fn in_block(address: IpAddr, network: IpAddr, bits: u8) -> bool {
    let (address, network, width) = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(a.to_bits()), u128::from(n.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (a.to_bits(), n.to_bits(), 128),
        _ => return false,
    };
    let ignored = width - u32::from(bits);
    address.checked_shr(ignored).unwrap_or(0) == network.checked_shr(ignored).unwrap_or(0)
}

/// What a proxy's answer to `CONNECT` says, read from the bytes in so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TunnelAnswer {
    /// The answer's head is not all in: read more.
    Incomplete,
    /// The tunnel is open: speak to the endpoint.
    Open,
}

impl TunnelAnswer {
    /// Reads the proxy `proxy`'s answer from `bytes`, all that came so
    /// far: open on a 2xx, an error otherwise
    /// ([`NetworkError::ProxyRefused`]; a head past [`MAX_RESPONSE_HEAD`]
    /// is [`NetworkError::HeadTooLarge`]; bytes after a 2xx, before the
    /// client spoke to the endpoint, are a broken proxy).
    pub fn read(bytes: &[u8], proxy: &Proxy) -> Result<Self, NetworkError> {
        let Some(end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            if bytes.len() > MAX_RESPONSE_HEAD {
                return Err(NetworkError::HeadTooLarge {
                    limit: MAX_RESPONSE_HEAD,
                });
            }
            return Ok(Self::Incomplete);
        };
        let head = String::from_utf8_lossy(bytes.get(..end).unwrap_or_default());
        let status_line = head.lines().next().unwrap_or_default();
        let mut words = status_line.splitn(3, ' ');
        let (version, status, reason) = (words.next(), words.next(), words.next());
        let status = status
            .filter(|_| version.is_some_and(|v| v.starts_with("HTTP/1.")))
            .and_then(|status| status.parse::<u16>().ok())
            .ok_or_else(|| {
                NetworkError::ConnectionFailed(format!(
                    "the proxy {proxy} did not answer CONNECT in HTTP/1.1: {:?}",
                    status_line.chars().take(80).collect::<String>()
                ))
            })?;
        if (200..300).contains(&status) {
            if bytes.len() > end + 4 {
                return Err(NetworkError::ConnectionFailed(format!(
                    "the proxy {proxy} sent bytes after opening the tunnel, before the endpoint could"
                )));
            }
            return Ok(Self::Open);
        }
        Err(NetworkError::ProxyRefused {
            status,
            message: format!(
                "{proxy} answered {status} {}",
                reason
                    .unwrap_or_default()
                    .chars()
                    .take(200)
                    .collect::<String>()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(url: &str) -> Proxy {
        Proxy::parse(url).unwrap()
    }

    #[test]
    fn proxy_urls() {
        let p = proxy("http://proxy.corp:3128");
        assert_eq!((p.host(), p.port()), ("proxy.corp", 3128));
        assert_eq!(proxy("proxy.corp").port(), 80);
        assert_eq!(proxy("http://[::1]:8080/").host(), "::1");
        assert_eq!(proxy("[::1]:8080").to_string(), "http://[::1]:8080");
        assert_eq!(proxy("HTTP://p:1").to_string(), "http://p:1");
        for bad in [
            "https://p:1",
            "socks5://p:1",
            "http://p:0",
            "http://p:x",
            "http://:80",
            "http://[[x]:1",
            "http://a b:1",
            "http://[not-v6]:1",
            "",
        ] {
            assert!(
                matches!(Proxy::parse(bad), Err(ConfigError::InvalidProxy(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn credentials_are_sent_and_never_shown() {
        let p = proxy("http://us%40er:pa%3Ass@p:1");
        let request =
            String::from_utf8(p.connect_request("acct.r2.cloudflarestorage.com", 443)).unwrap();
        // base64("us@er:pa:ss")
        assert_eq!(
            request,
            "CONNECT acct.r2.cloudflarestorage.com:443 HTTP/1.1\r\n\
             Host: acct.r2.cloudflarestorage.com:443\r\n\
             Proxy-Authorization: Basic dXNAZXI6cGE6c3M=\r\n\r\n"
        );
        for shown in [format!("{p:?}"), p.to_string()] {
            assert!(!shown.contains("dXNA") && !shown.contains("pa"), "{shown}");
        }
        let error = Proxy::parse("https://user:secret@p:1").unwrap_err();
        assert!(!error.to_string().contains("secret"), "{error}");
        let v6 = String::from_utf8(proxy("p:1").connect_request("::1", 9000)).unwrap();
        assert!(v6.starts_with("CONNECT [::1]:9000 HTTP/1.1\r\nHost: [::1]:9000\r\n\r\n"));
    }

    #[test]
    fn the_environment_picks_proxies_by_scheme() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let proxies = Proxies::from_lookup(env(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:1"),
            ("ALL_PROXY", "http://all:2"),
            ("NO_PROXY", "localhost,.internal, 10.0.0.0/8,::1"),
        ]))
        .unwrap();
        let host = |https, target| proxies.for_target(https, target).map(Proxy::host);
        assert_eq!(host(true, "acct.r2.cloudflarestorage.com"), Some("lower"));
        assert_eq!(host(false, "example.com"), Some("all"));
        for direct in [
            "localhost",
            "a.internal",
            "internal",
            "10.1.2.3",
            "[::1]",
            "LOCALHOST",
        ] {
            assert_eq!(host(true, direct), None, "{direct}");
        }
        for proxied in ["xinternal", "11.0.0.1", "localhost.example", "::2"] {
            assert!(host(true, proxied).is_some(), "{proxied}");
        }
        let none = Proxies::from_lookup(env(&[("HTTPS_PROXY", " ")])).unwrap();
        assert!(none.is_none());
        assert!(Proxies::from_lookup(env(&[("HTTP_PROXY", "socks5://p:1")])).is_err());
        let star = Proxies::all(proxy("p:1")).no_proxy("*");
        assert_eq!(star.for_target(true, "anything"), None);
        let narrow = Proxies::all(proxy("p:1")).no_proxy("192.168.1.0/25");
        assert_eq!(narrow.for_target(true, "192.168.1.127"), None);
        assert!(narrow.for_target(true, "192.168.1.128").is_some());
    }

    #[test]
    fn a_tunnel_reads_its_answer_in_pieces() {
        let p = proxy("p:3128");
        let answer = b"HTTP/1.1 200 Connection established\r\n\r\n";
        let mut tunnel = Tunnel::new(&p, "h", 443);
        assert!(tunnel.request().starts_with(b"CONNECT h:443 HTTP/1.1\r\n"));
        for (i, byte) in answer.iter().enumerate() {
            tunnel.room()[0] = *byte;
            assert_eq!(tunnel.filled(1), Ok(i == answer.len() - 1));
        }
        let mut closed = Tunnel::new(&p, "h", 443);
        let error = closed.filled(0).unwrap_err();
        assert!(error.to_string().contains("proxy http://p:3128"), "{error}");
        let mut refused = Tunnel::new(&p, "h", 443);
        let no = b"HTTP/1.1 403 Forbidden\r\n\r\n";
        refused.room()[..no.len()].copy_from_slice(no);
        assert!(matches!(
            refused.filled(no.len()),
            Err(NetworkError::ProxyRefused { status: 403, .. })
        ));
    }

    #[test]
    fn tunnel_answers() {
        let p = proxy("p:3128");
        let answer = b"HTTP/1.1 200 Connection established\r\n\r\n";
        for cut in 0..answer.len() {
            assert_eq!(
                TunnelAnswer::read(&answer[..cut], &p),
                Ok(TunnelAnswer::Incomplete)
            );
        }
        assert_eq!(TunnelAnswer::read(answer, &p), Ok(TunnelAnswer::Open));
        let early = [&answer[..], b"x"].concat();
        assert!(matches!(
            TunnelAnswer::read(&early, &p),
            Err(NetworkError::ConnectionFailed(_))
        ));
        use crate::resilience::RetryClass;
        let class = |status| {
            let error = NetworkError::ProxyRefused {
                status,
                message: String::new(),
            };
            RetryClass::of(&crate::error::R2Error::from(error))
        };
        assert_eq!(class(407), RetryClass::Permanent);
        assert_eq!(class(502), RetryClass::Transient);
        let refused = TunnelAnswer::read(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", &p);
        assert_eq!(
            refused,
            Err(NetworkError::ProxyRefused {
                status: 407,
                message: "http://p:3128 answered 407 Proxy Authentication Required".into()
            })
        );
        assert!(matches!(
            TunnelAnswer::read(b"SSH-2.0-OpenSSH\r\n\r\n", &p),
            Err(NetworkError::ConnectionFailed(_))
        ));
        assert!(matches!(
            TunnelAnswer::read(&vec![b'x'; MAX_RESPONSE_HEAD + 1], &p),
            Err(NetworkError::HeadTooLarge { .. })
        ));
    }
}
