//! The HTTP layer: a pooled hyper client that sends the exact `http::Uri`
//! the core signed (no URL re-parsing, so `./`, `../` and `%2e` stay as
//! they are), over rustls with certificate validation (TLS 1.2+), with a
//! cap on connections and a timeout per request. Its [`Route`] may also
//! record each exchange, or answer from a cassette instead of the network.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;
use r2_proto::replay::Route;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::body::{ResponseBody, read_all};

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
        let chunks: VecDeque<Bytes> = match body {
            RequestBody::Empty | RequestBody::Stream { .. } => VecDeque::new(),
            RequestBody::Bytes(bytes) => VecDeque::from([bytes.clone()]),
            RequestBody::Chunks(chunks) => chunks.iter().cloned().collect(),
        };
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

/// A response whose body is still on the wire, holding its connection
/// permit until the body is dropped.
#[derive(Debug)]
pub struct Answer {
    /// The response.
    pub response: Response<ResponseBody>,
    /// The connection slot it occupies.
    pub permit: OwnedSemaphorePermit,
}

/// The pooled client.
#[derive(Debug, Clone)]
pub struct Transport {
    client: Client<HttpsConnector<HttpConnector>, OutgoingBody>,
    slots: Arc<Semaphore>,
    timeout: Duration,
    route: Route,
}

impl Transport {
    /// A client with up to `pool_size` connections (TLS 1.2 and 1.3, webpki roots). `allow_http` permits
    /// plain-http endpoints (loopback tests); otherwise only https goes out.
    pub fn new(
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
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(timeout));
        let builder = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls);
        let connector = if allow_http {
            builder.https_or_http().enable_http1().wrap_connector(http)
        } else {
            builder.https_only().enable_http1().wrap_connector(http)
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool_size)
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Ok(Self {
            client,
            slots: Arc::new(Semaphore::new(pool_size.max(1))),
            timeout,
            route,
        })
    }

    /// The per-request timeout (to the response headers, and between body chunks).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends a signed request; the answer's headers are in, its body not
    /// yet read (when recording or replaying, the body is already whole).
    pub async fn send(&self, request: &Request<RequestBody>) -> Result<Answer, NetworkError> {
        match &self.route {
            Route::Live => self.send_live(request).await,
            Route::Record(recorder) => {
                let pending = recorder.begin(request);
                let started = Instant::now();
                let whole = self.send_whole(request).await;
                let response = whole.as_ref().map(|(response, _)| response);
                recorder.finish(pending, response, started.elapsed());
                whole.map(|(response, permit)| Answer {
                    response: response.map(|body| ResponseBody::Whole(Some(body))),
                    permit,
                })
            }
            Route::Replay(replayer) => {
                let permit = self.permit().await?;
                let replayed = replayer.answer(request)?;
                if let Some(delay) = replayed.delay {
                    tokio::time::sleep(delay).await;
                }
                replayed.outcome.map(|response| Answer {
                    response: response.map(|body| ResponseBody::Whole(Some(body))),
                    permit,
                })
            }
        }
    }

    async fn permit(&self) -> Result<OwnedSemaphorePermit, NetworkError> {
        Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .map_err(|e| NetworkError::ConnectionFailed(e.to_string()))
    }

    async fn send_live(&self, request: &Request<RequestBody>) -> Result<Answer, NetworkError> {
        let permit = self.permit().await?;
        let mut outgoing = Request::new(OutgoingBody::of(request.body()));
        *outgoing.method_mut() = request.method().clone();
        *outgoing.uri_mut() = request.uri().clone();
        *outgoing.headers_mut() = request.headers().clone();
        match tokio::time::timeout(self.timeout, self.client.request(outgoing)).await {
            Ok(Ok(response)) => Ok(Answer {
                response: response.map(ResponseBody::Wire),
                permit,
            }),
            Ok(Err(error)) => Err(classify(&error)),
            Err(_) => Err(NetworkError::Timeout(self.timeout)),
        }
    }

    /// Sends `request` and reads its whole answer (for the recorder).
    async fn send_whole(
        &self,
        request: &Request<RequestBody>,
    ) -> Result<(Response<Bytes>, OwnedSemaphorePermit), NetworkError> {
        let answer = self.send_live(request).await?;
        let (parts, mut body) = answer.response.into_parts();
        let bytes = read_all(&mut body, &parts.headers, self.timeout).await?;
        Ok((Response::from_parts(parts, bytes), answer.permit))
    }
}

/// A hyper client error as the core's transport failure. The client
/// answers only once the response head is in, so any failure here came
/// before a response: the connection failed (TLS failures apart).
fn classify(error: &hyper_util::client::legacy::Error) -> NetworkError {
    let text = error_chain(error);
    if is_tls(error) {
        NetworkError::Tls(text)
    } else {
        NetworkError::ConnectionFailed(text)
    }
}

/// True when rustls failed the handshake somewhere in the error's chain
/// (an untrusted certificate, no common protocol version): never retried.
fn is_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.downcast_ref::<rustls::Error>().is_some() {
        return true;
    }
    // `io::Error::source` skips the error it wraps: look inside it too.
    if let Some(inner) = error
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        && is_tls(inner)
    {
        return true;
    }
    error.source().is_some_and(is_tls)
}

/// The error and its sources, joined.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}
