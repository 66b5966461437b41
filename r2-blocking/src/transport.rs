//! The HTTP layer: pooled HTTP/1.1 connections over std sockets (rustls
//! with webpki roots for https) that send the exact `http::Uri` the core
//! signed and the `Content-Length` it set (never chunked, never `Expect:
//! 100-continue`). Its [`Route`] may also record each exchange, or answer
//! from a cassette instead of the network.

use std::sync::Arc;
use std::time::Instant;

use http::{Request, Response};
use r2_http1::{IdlePool, Origin};
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;
use r2_proto::proxy::Proxies;
use r2_proto::replay::Route;
use r2_proto::{ClientSettings, ReadLimits};

use crate::body::ResponseBody;
use crate::connection::{Connection, is_timeout};
use crate::http1;
use crate::round_trip::read_answer;

/// The pooled connections.
#[derive(Debug, Clone)]
pub struct Transport {
    pool: Arc<IdlePool<Connection>>,
    tls: Arc<rustls::ClientConfig>,
    limits: ReadLimits,
    allow_http: bool,
    proxies: Proxies,
    route: Route,
    user_agent: http::HeaderValue,
}

impl Transport {
    /// A transport keeping up to the settings' pool size of idle
    /// connections, waiting at most the limits' idle time to connect, for
    /// each read and write, and for an answer's head; plain-http endpoints
    /// only when the configuration allows them, and the settings' extra
    /// root certificates trusted (a bundle with none usable is refused).
    pub fn new(settings: &ClientSettings) -> Result<Self, NetworkError> {
        Ok(Self {
            pool: Arc::new(IdlePool::new(
                settings.pool_size,
                settings.pool_max_idle_per_host,
                settings.pool_idle_timeout,
            )),
            tls: Arc::new(r2_http1::client_config(&settings.root_certificates)?),
            limits: *settings.config.read_limits(),
            allow_http: settings.config.allows_insecure_http(),
            proxies: settings.proxies.clone(),
            route: settings.route.clone(),
            user_agent: settings.user_agent(concat!("r2-blocking/", env!("CARGO_PKG_VERSION"))),
        })
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
                whole.map(|response| response.map(ResponseBody::whole))
            }
            Route::Replay(replayer) => {
                let replayed = replayer.answer(request)?;
                if let Some(delay) = replayed.delay {
                    std::thread::sleep(delay);
                }
                replayed
                    .outcome
                    .map(|response| response.map(ResponseBody::whole))
            }
        }
    }

    fn send_live(
        &self,
        request: &Request<RequestBody>,
    ) -> Result<Response<ResponseBody>, NetworkError> {
        let origin = Origin::of(request.uri(), self.allow_http)?;
        let home = http1::Home(Arc::clone(&self.pool), origin.clone());
        let idle = ReadLimits::timeout_of(request, self.limits.idle);
        if let Some(connection) = self.pool.take(&origin, Instant::now()) {
            match http1::round_trip(connection, request, (&self.user_agent, idle), home.clone()) {
                Ok(response) => return Ok(response.map(ResponseBody::wire)),
                // A kept connection the server had closed: once more on a new one.
                Err(failure) if failure.before_response => {}
                Err(failure) => return Err(failure.error),
            }
        }
        let proxy = self.proxies.for_target(origin.https(), origin.host());
        let connection = Connection::open(&origin, proxy, &self.tls, idle)?;
        http1::round_trip(connection, request, (&self.user_agent, idle), home)
            .map(|response| response.map(ResponseBody::wire))
            .map_err(|failure| failure.error)
    }
}

/// An I/O error while reading a body, as the core's transport failure:
/// the body's own error when it carries one, else a timeout or a broken
/// stream.
pub(crate) fn body_error(error: &std::io::Error, timeout: std::time::Duration) -> NetworkError {
    if let Some(inner) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<NetworkError>())
    {
        return inner.clone();
    }
    if is_timeout(error) {
        NetworkError::Timeout(timeout)
    } else {
        NetworkError::StreamInterrupted(error.to_string())
    }
}
