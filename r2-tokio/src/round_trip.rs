//! One request on the wire: sent, answered, logged and counted.

use std::time::Instant;

use http::Request;
use r2_proto::client_core::RequestId;
use r2_proto::error::NetworkError;
use r2_proto::exchange::Event;
use r2_proto::ops::RequestBody;
use r2_proto::telemetry;
use tracing::Instrument;

use crate::body::read_all;
use crate::transport::{Answer, Transport};

/// What came back for a request whose body the caller reads.
pub(crate) struct Opened {
    /// The response, body still on the wire.
    pub answer: Answer,
    /// The request's span, to record on while the body is read.
    pub span: tracing::Span,
}

/// Sends `request` and returns as soon as the headers are in.
pub(crate) async fn open(
    transport: &Transport,
    id: RequestId,
    request: &Request<RequestBody>,
) -> Result<Opened, NetworkError> {
    let sent = request.body().content_length();
    let span = telemetry::request_span(id, request, sent);
    let started = Instant::now();
    let result = async {
        telemetry::request_sent(request);
        transport.send(request).await
    }
    .instrument(span.clone())
    .await;
    let _entered = span.enter();
    match result {
        Ok(answer) => {
            telemetry::response_received(
                &span,
                request,
                answer.response.status().as_u16(),
                answer.response.headers(),
                started.elapsed(),
            );
            telemetry::bytes_moved(request, sent, 0);
            drop(_entered);
            Ok(Opened { answer, span })
        }
        Err(error) => {
            telemetry::transport_failed(&span, &error, started.elapsed());
            Err(error)
        }
    }
}

/// Sends `request` and reads the whole answer: the event a machine takes.
pub(crate) async fn exchange(
    transport: &Transport,
    id: RequestId,
    request: &Request<RequestBody>,
) -> Event {
    let opened = match open(transport, id, request).await {
        Ok(opened) => opened,
        Err(error) => return Event::Failed { id, error },
    };
    let Opened { answer, span } = opened;
    let (parts, mut body) = answer.response.into_parts();
    let read = read_all(&mut body, &parts.headers, transport.timeout())
        .instrument(span.clone())
        .await;
    if read.is_ok() {
        Answer::body_read(answer.returned);
    }
    match read {
        Ok(bytes) => {
            telemetry::bytes_moved(request, 0, bytes.len() as u64);
            Event::Response {
                id,
                response: http::Response::from_parts(parts, bytes),
            }
        }
        Err(error) => {
            telemetry::transport_failed(&span, &error, std::time::Duration::ZERO);
            Event::Failed { id, error }
        }
    }
}
