//! The HTTP layer: a pool of HTTP/1.1 connections that sends the exact
//! `http::Uri` the core signed (`./`, `../` and `%2e` stay as they are),
//! over rustls with certificate validation (TLS 1.2+), with a cap on
//! connections and a timeout to the response head.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use r2_async::TransportSettings;
use r2_proto::ReadLimits;
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;
use r2_proto::proxy::Proxies;
use smol::lock::SemaphoreGuardArc;

use r2_http1::Origin;

use crate::connection::connect;
use crate::http1::{self, Sent, WireBody};
use crate::pool::{Home, Pool};

/// A response body on its connection (none when the response has no
/// body), holding the request's pool slot until it is read or dropped.
#[derive(Debug)]
pub struct Body {
    wire: Option<Box<WireBody>>,
    _slot: SemaphoreGuardArc,
}

impl r2_async::ResponseBody for Body {
    /// The next piece of the body, `None` at its end.
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, NetworkError>>> {
        match self.wire.as_mut() {
            Some(wire) => wire.poll_chunk(cx),
            None => Poll::Ready(None),
        }
    }
}

/// The pooled client.
#[derive(Debug, Clone)]
pub struct Transport {
    pool: Arc<Pool>,
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
    allow_http: bool,
    proxies: Proxies,
    user_agent: http::HeaderValue,
}

impl r2_async::Transport for Transport {
    type Body = Body;

    const NAME: &'static str = concat!("r2-smol/", env!("CARGO_PKG_VERSION"));

    fn connect(settings: TransportSettings) -> Result<Self, NetworkError> {
        Ok(Self {
            pool: Arc::new(Pool::new(
                settings.pool_size,
                settings.pool_max_idle_per_host,
                settings.pool_idle_timeout,
            )),
            tls: settings.tls,
            timeout: settings.timeout,
            allow_http: settings.allow_http,
            proxies: settings.proxies,
            user_agent: settings.user_agent,
        })
    }

    /// Sends a signed request and returns once the response head is in;
    /// the body stays on the connection.
    async fn send(&self, request: &Request<RequestBody>) -> Result<Response<Body>, NetworkError> {
        let slot = self.pool.slot().await;
        let origin = Origin::of(request.uri(), self.allow_http)?;
        let home = Home(Arc::clone(&self.pool), origin.clone());
        let sent = within(ReadLimits::timeout_of(request, self.timeout), async {
            if let Some(connection) = self.pool.take(&origin, Instant::now()) {
                match http1::round_trip(connection, request, &self.user_agent, home.clone()).await {
                    Ok(sent) => return Ok(sent),
                    // A kept connection the server had closed: once more on a new one.
                    Err(failure) if failure.before_response => {}
                    Err(failure) => return Err(failure.error),
                }
            }
            let proxy = self.proxies.for_target(origin.https(), origin.host());
            let connection = connect(&origin, proxy, &self.tls).await?;
            http1::round_trip(connection, request, &self.user_agent, home)
                .await
                .map_err(|failure| failure.error)
        })
        .await?;
        let Sent { head, body } = sent;
        let body = Body {
            wire: body.map(Box::new),
            _slot: slot,
        };
        Ok(head.map(|()| body))
    }
}

/// `future`, or [`NetworkError::Timeout`] once `timeout` has passed (on
/// async-io's timers, which need no particular executor).
async fn within<T>(
    timeout: Duration,
    future: impl std::future::Future<Output = Result<T, NetworkError>>,
) -> Result<T, NetworkError> {
    futures_lite::future::or(future, async {
        smol::Timer::after(timeout).await;
        Err(NetworkError::Timeout(timeout))
    })
    .await
}
