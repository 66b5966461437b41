//! The HTTP layer: a pooled hyper client that sends the exact `http::Uri`
//! the core signed (no URL re-parsing, so `./`, `../` and `%2e` stay as
//! they are), over rustls with certificate validation (TLS 1.2+), with a
//! cap on connections and a timeout to the response head.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::early_answer::AnswerFirstConnector;
use r2_async::TransportSettings;
use r2_proto::error::{NetworkError, source_chain};
use r2_proto::ops::RequestBody;
use r2_proto::{MAX_RESPONSE_HEAD, ReadLimits};

use crate::body::WireBody;
use crate::pool::Pool;

/// A request body the core built: empty, whole, or in pieces.
#[derive(Debug)]
pub struct OutgoingBody {
    chunks: VecDeque<Bytes>,
    remaining: u64,
}

impl OutgoingBody {
    /// The body of `body`; a `Stream` body has no bytes in the core and is
    /// refused by the caller before this point.
    fn of(body: &RequestBody) -> Self {
        let chunks: VecDeque<Bytes> = body.pieces().iter().cloned().collect();
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        Self { chunks, remaining }
    }
}

impl Body for OutgoingBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.chunks.pop_front() {
            Some(chunk) => {
                self.remaining -= chunk.len() as u64;
                Poll::Ready(Some(Ok(Frame::data(chunk))))
            }
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

/// The pooled client.
#[derive(Debug, Clone)]
pub struct Transport {
    pool: Arc<Pool>,
    timeout: Duration,
    user_agent: http::HeaderValue,
}

impl r2_async::Transport for Transport {
    type Body = WireBody;

    const NAME: &'static str = concat!("r2-tokio/", env!("CARGO_PKG_VERSION"));

    fn connect(settings: TransportSettings) -> Result<Self, NetworkError> {
        let TransportSettings {
            pool_size,
            pool_idle_timeout,
            pool_max_idle_per_host,
            timeout,
            allow_http,
            tls,
            user_agent,
            proxies,
            ..
        } = settings;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let builder =
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(Arc::unwrap_or_clone(tls));
        let http = AnswerFirstConnector {
            http,
            proxies: Arc::new(proxies),
        };
        let connector = if allow_http {
            builder.https_or_http().enable_http1().wrap_connector(http)
        } else {
            builder.https_only().enable_http1().wrap_connector(http)
        };
        Ok(Self {
            pool: Arc::new(Pool::new(
                pool_size,
                (pool_idle_timeout, pool_max_idle_per_host),
                connector,
            )),
            timeout,
            user_agent,
        })
    }

    /// Sends a signed request and returns once the response head is in;
    /// the body stays on the connection.
    async fn send(
        &self,
        request: &Request<RequestBody>,
    ) -> Result<Response<WireBody>, NetworkError> {
        let slot = self.pool.slot().await?;
        let uri = request.uri();
        let (target, host) = origin_form(uri)?;
        let interim = Arc::new(Interim::default());
        let outgoing = || {
            let mut outgoing = Request::new(OutgoingBody::of(request.body()));
            *outgoing.method_mut() = request.method().clone();
            *outgoing.uri_mut() = target.clone();
            *outgoing.headers_mut() = request.headers().clone();
            outgoing
                .headers_mut()
                .insert(http::header::HOST, host.clone());
            if !outgoing.headers().contains_key(http::header::USER_AGENT) {
                outgoing
                    .headers_mut()
                    .insert(http::header::USER_AGENT, self.user_agent.clone());
            }
            let counter = Arc::clone(&interim);
            hyper::ext::on_informational(&mut outgoing, move |answer| {
                counter.skipped(answer.headers());
            });
            outgoing
        };
        let exchange = async {
            if let Some(mut sender) = self.pool.take_or_await(uri).await {
                match sender.try_send_request(outgoing()).await {
                    Ok(response) => return Ok((sender, response)),
                    // Never sent: the kept connection had closed. A new one.
                    Err(error) if error.message().is_some() => {}
                    Err(error) => return Err(classify(error.error())),
                }
            }
            let mut sender = self.pool.connect(uri).await?;
            match sender.send_request(outgoing()).await {
                Ok(response) => Ok((sender, response)),
                Err(error) => Err(classify(&error)),
            }
        };
        // Pinned where it is, so the large exchange future is not moved again.
        let mut exchange = std::pin::pin!(exchange);
        let guarded = std::future::poll_fn(|cx| {
            if interim.poll_over(cx).is_ready() {
                let limit = MAX_RESPONSE_HEAD;
                return Poll::Ready(Err(NetworkError::HeadTooLarge { limit }));
            }
            exchange.as_mut().poll(cx)
        });
        // Connecting is inside the guarded exchange, so the call's timeout
        // covers it too.
        let timeout = ReadLimits::timeout_of(request, self.timeout);
        let (sender, response) = match tokio::time::timeout(timeout, guarded).await {
            Ok(result) => result?,
            Err(_) => return Err(NetworkError::Timeout(timeout)),
        };
        // hyper takes heads up to its buffer (~400 KiB); the limit is the
        // same on every transport.
        if head_size(response.headers()) + interim.bytes.load(Ordering::Relaxed) > MAX_RESPONSE_HEAD
        {
            let limit = MAX_RESPONSE_HEAD;
            return Err(NetworkError::HeadTooLarge { limit });
        }
        let returned = self.pool.give_back(uri, sender, slot);
        Ok(response.map(|incoming| WireBody::new(incoming, returned)))
    }
}

/// The interim (1xx) answers hyper skipped before a head, by their size:
/// past [`MAX_RESPONSE_HEAD`] the request ends, as on every transport.
#[derive(Debug, Default)]
struct Interim {
    bytes: AtomicUsize,
    waker: AtomicWaker,
}

impl Interim {
    /// One more interim answer went by.
    fn skipped(&self, headers: &http::HeaderMap) {
        let size = head_size(headers);
        if self.bytes.fetch_add(size, Ordering::Relaxed) + size > MAX_RESPONSE_HEAD {
            self.waker.wake();
        }
    }

    /// Ready once the interim answers passed the limit.
    fn poll_over(&self, cx: &mut Context<'_>) -> Poll<()> {
        self.waker.register(cx.waker());
        if self.bytes.load(Ordering::Relaxed) > MAX_RESPONSE_HEAD {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// The size of an answer's head on the wire, about: its status line and
/// header lines.
fn head_size(headers: &http::HeaderMap) -> usize {
    let lines: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    lines + "HTTP/1.1 200 OK\r\n\r\n".len()
}

/// The request line's target (the signed path and query, byte for byte)
/// and the `Host` the core signed: the authority without a default port.
fn origin_form(uri: &http::Uri) -> Result<(http::Uri, http::HeaderValue), NetworkError> {
    let bad = |what: &str| NetworkError::ConnectionFailed(format!("{what} in {uri}"));
    let host = r2_proto::signed_host(uri).map_err(|_| bad("no host"))?;
    let host = http::HeaderValue::from_str(&host).map_err(|_| bad("an unusable host"))?;
    let mut parts = http::uri::Parts::default();
    parts.path_and_query = Some(
        uri.path_and_query()
            .cloned()
            .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/")),
    );
    let target = http::Uri::from_parts(parts).map_err(|_| bad("an unusable path"))?;
    Ok((target, host))
}

/// A hyper error while sending, as the core's transport failure. The
/// response future resolves once the head is in, so any failure here came
/// before a response: the connection failed.
fn classify(error: &hyper::Error) -> NetworkError {
    if error.is_parse_too_large() {
        return NetworkError::HeadTooLarge {
            limit: MAX_RESPONSE_HEAD,
        };
    }
    NetworkError::ConnectionFailed(source_chain(error))
}
