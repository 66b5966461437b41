//! The HTTP layer: a ureq agent that sends the exact `http::Uri` the core
//! signed (ureq 3 writes the URI's path and query as given: no dot-segment
//! removal, no re-encoding), the `Content-Length` the core set (never
//! chunked, never `Expect: 100-continue`), over rustls with webpki roots.
//! Its [`Route`] may also record each exchange, or answer from a cassette
//! instead of the network.

use std::io::Read;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use r2_proto::error::{NetworkError, caused_by};
use r2_proto::ops::RequestBody;
use r2_proto::replay::Route;
use r2_proto::{MAX_RESPONSE_HEAD, ReadLimits};
use ureq::Agent;

use crate::body::ResponseBody;
use crate::round_trip::read_answer;

/// The pooled agent.
#[derive(Debug, Clone)]
pub struct Transport {
    agent: Agent,
    limits: ReadLimits,
    route: Route,
}

impl Transport {
    /// An agent keeping up to `pool_size` idle connections, waiting at most
    /// the limits' idle time to connect, for the answer's head and for each
    /// read and write; `allow_http` permits plain-http endpoints, otherwise
    /// only https goes out.
    pub fn new(pool_size: usize, limits: ReadLimits, allow_http: bool, route: Route) -> Self {
        let timeout = limits.idle;
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .https_only(!allow_http)
            .max_redirects(0)
            .user_agent(concat!("r2-blocking/", env!("CARGO_PKG_VERSION")))
            .max_idle_connections(pool_size)
            .max_idle_connections_per_host(pool_size)
            .max_response_header_size(MAX_RESPONSE_HEAD)
            .timeout_connect(Some(timeout))
            .timeout_recv_response(Some(timeout))
            .timeout_per_read(Some(timeout))
            .timeout_per_write(Some(timeout))
            .no_delay(true)
            .build();
        Self {
            agent: Agent::new_with_config(config),
            limits,
            route,
        }
    }

    /// The limits on every answer's body (its `idle` time is also the
    /// timeout to connect, to the response head and of each write).
    pub fn limits(&self) -> &ReadLimits {
        &self.limits
    }

    /// Sends a signed request; the answer's body is still to be read (when
    /// recording or replaying, it is already whole).
    pub(crate) fn send(
        &self,
        request: &Request<RequestBody>,
    ) -> Result<Response<ResponseBody>, NetworkError> {
        match &self.route {
            Route::Live => self.send_live(request),
            Route::Record(recorder) => {
                let pending = recorder.begin(request);
                let started = Instant::now();
                let whole = self.send_live(request).and_then(|response| {
                    let (parts, body) = response.into_parts();
                    let whole = read_answer(&self.limits, request, &parts, body)?;
                    Ok(Response::from_parts(parts, whole))
                });
                recorder.finish(pending, whole.as_ref(), started.elapsed());
                whole.map(|response| response.map(ResponseBody::Whole))
            }
            Route::Replay(replayer) => {
                let replayed = replayer.answer(request)?;
                if let Some(delay) = replayed.delay {
                    std::thread::sleep(delay);
                }
                replayed
                    .outcome
                    .map(|response| response.map(ResponseBody::Whole))
            }
        }
    }

    fn send_live(
        &self,
        request: &Request<RequestBody>,
    ) -> Result<Response<ResponseBody>, NetworkError> {
        let chunks = request.body().pieces().to_vec();
        // A body without Content-Length (GET, HEAD, DELETE) goes as no body
        // at all; a reader alone would make ureq send it chunked.
        let body = if request.headers().contains_key(http::header::CONTENT_LENGTH) {
            ureq::SendBody::from_owned_reader(ChunksReader { chunks, at: 0 })
        } else {
            ureq::SendBody::none()
        };
        let mut outgoing = Request::new(body);
        *outgoing.method_mut() = request.method().clone();
        *outgoing.uri_mut() = request.uri().clone();
        *outgoing.headers_mut() = request.headers().clone();
        let host = r2_proto::signed_host(request.uri())
            .ok()
            .and_then(|host| http::HeaderValue::from_str(&host).ok())
            .ok_or_else(|| {
                NetworkError::ConnectionFailed(format!("no host in {}", request.uri()))
            })?;
        outgoing.headers_mut().insert(http::header::HOST, host);
        self.agent
            .run(outgoing)
            .map(|response| response.map(ResponseBody::Wire))
            .map_err(|e| classify(&e, self.limits.idle))
    }
}

/// A body in pieces, read without copying them together.
struct ChunksReader {
    chunks: Vec<Bytes>,
    at: usize,
}

impl Read for ChunksReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some(chunk) = self.chunks.get_mut(self.at) {
            if chunk.is_empty() {
                self.at += 1;
                continue;
            }
            let n = chunk.len().min(buf.len());
            let piece = chunk.split_to(n);
            if let Some(target) = buf.get_mut(..n) {
                target.copy_from_slice(&piece);
            }
            return Ok(n);
        }
        Ok(0)
    }
}

/// A ureq error as the core's transport failure. The agent answers only
/// once the response head is in, so anything but a timeout or a TLS
/// failure came before a response: the connection failed.
pub(crate) fn classify(error: &ureq::Error, timeout: Duration) -> NetworkError {
    match error {
        ureq::Error::Timeout(_) => NetworkError::Timeout(timeout),
        ureq::Error::LargeResponseHeader(..) => NetworkError::HeadTooLarge {
            limit: MAX_RESPONSE_HEAD,
        },
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => NetworkError::Tls(error.to_string()),
        ureq::Error::Io(io) if caused_by::<rustls::Error>(io) => {
            NetworkError::Tls(error.to_string())
        }
        _ => NetworkError::ConnectionFailed(error.to_string()),
    }
}

/// An I/O error while reading a body, as the core's transport failure.
pub(crate) fn body_error(error: &std::io::Error, timeout: Duration) -> NetworkError {
    // ureq hands its own errors (a read timeout among them) to a body's
    // reader wrapped as `ErrorKind::Other`.
    if let Some(inner) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<ureq::Error>())
    {
        return match classify(inner, timeout) {
            NetworkError::ConnectionFailed(message) => NetworkError::StreamInterrupted(message),
            other => other,
        };
    }
    if matches!(
        error.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    ) {
        NetworkError::Timeout(timeout)
    } else {
        NetworkError::StreamInterrupted(error.to_string())
    }
}
