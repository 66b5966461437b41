//! The HTTP layer: a pool of HTTP/1.1 connections that sends the exact
//! `http::Uri` the core signed (`./`, `../` and `%2e` stay as they are),
//! over rustls with certificate validation (TLS 1.2+), with a cap on
//! connections and a timeout per request. Its [`Route`] may also record
//! each exchange, or answer from a cassette instead of the network.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;
use r2_proto::replay::Route;
use smol::lock::SemaphoreGuardArc;

use crate::body::{ResponseBody, read_all};
use crate::connection::{Origin, connect};
use crate::http1::{self, Sent};
use crate::pool::Pool;
use crate::timeout::within;

/// A response whose body may still be on the wire, holding its connection
/// slot until the body is dropped.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The response.
    pub(crate) response: Response<ResponseBody>,
    /// The connection slot it occupies.
    pub(crate) slot: SemaphoreGuardArc,
}

/// The pooled client.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    pool: Arc<Pool>,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
    allow_http: bool,
    route: Route,
}

impl Transport {
    /// A client with up to `pool_size` connections (TLS 1.2 and 1.3, webpki
    /// roots). `allow_http` permits plain-http endpoints (loopback tests).
    pub(crate) fn new(
        pool_size: usize,
        timeout: Duration,
        allow_http: bool,
        route: Route,
    ) -> Result<Self, NetworkError> {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| NetworkError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Self {
            pool: Arc::new(Pool::new(pool_size)),
            tls: Arc::new(tls),
            timeout,
            allow_http,
            route,
        })
    }

    /// The per-request timeout (to the response headers, and between body chunks).
    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends a signed request; the answer's headers are in, its body not
    /// yet read (when recording or replaying, the body is already whole).
    pub(crate) async fn send(
        &self,
        request: &Request<RequestBody>,
    ) -> Result<Answer, NetworkError> {
        match &self.route {
            Route::Live => self.send_live(request).await,
            Route::Record(recorder) => {
                let pending = recorder.begin(request);
                let started = Instant::now();
                let whole = self.send_whole(request).await;
                let response = whole.as_ref().map(|(response, _)| response);
                recorder.finish(pending, response, started.elapsed());
                whole.map(|(response, slot)| Answer {
                    response: response.map(|body| ResponseBody::Whole(Some(body))),
                    slot,
                })
            }
            Route::Replay(replayer) => {
                let slot = self.pool.slot().await;
                let replayed = replayer.answer(request)?;
                if let Some(delay) = replayed.delay {
                    smol::Timer::after(delay).await;
                }
                replayed.outcome.map(|response| Answer {
                    response: response.map(|body| ResponseBody::Whole(Some(body))),
                    slot,
                })
            }
        }
    }

    async fn send_live(&self, request: &Request<RequestBody>) -> Result<Answer, NetworkError> {
        let slot = self.pool.slot().await;
        let origin = Origin::of(request.uri(), self.allow_http)?;
        let home = (Arc::clone(&self.pool), origin.clone());
        let sent = within(self.timeout, async {
            if let Some(connection) = self.pool.take(&origin, Instant::now()) {
                match http1::round_trip(connection, request, home.clone()).await {
                    Ok(sent) => return Ok(sent),
                    // A kept connection the server had closed: once more on a new one.
                    Err(failure) if failure.before_response => {}
                    Err(failure) => return Err(failure.error),
                }
            }
            let connection = connect(&origin, &self.tls, self.timeout).await?;
            http1::round_trip(connection, request, home)
                .await
                .map_err(|failure| failure.error)
        })
        .await?;
        let Sent { head, body } = sent;
        let body = body.map_or(ResponseBody::Whole(None), |wire| {
            ResponseBody::Wire(Box::new(wire))
        });
        Ok(Answer {
            response: head.map(|()| body),
            slot,
        })
    }

    /// Sends `request` and reads its whole answer (for the recorder).
    async fn send_whole(
        &self,
        request: &Request<RequestBody>,
    ) -> Result<(Response<Bytes>, SemaphoreGuardArc), NetworkError> {
        let answer = self.send_live(request).await?;
        let (parts, mut body) = answer.response.into_parts();
        let bytes = read_all(&mut body, &parts.headers, self.timeout).await?;
        Ok((Response::from_parts(parts, bytes), answer.slot))
    }
}
