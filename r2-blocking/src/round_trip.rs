//! One request on the wire: sent, answered, logged and counted.

use std::io::Read;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::Request;
use r2_proto::error::NetworkError;
use r2_proto::exchange::Event;
use r2_proto::ops::RequestBody;
use r2_proto::telemetry::RequestTrace;
use r2_proto::{ReadLimits, RequestId, WholeBody};

use crate::body::ResponseBody;
use crate::transport::{Transport, body_error};

/// A response whose body is still to be read, with its request's telemetry.
pub(crate) struct Opened {
    /// The response.
    pub response: http::Response<ResponseBody>,
    /// The request's telemetry.
    pub trace: RequestTrace,
}

/// Sends `request` and returns once the headers are in.
pub(crate) fn open(
    transport: &Transport,
    id: RequestId,
    request: &Request<RequestBody>,
) -> Result<Opened, NetworkError> {
    let trace = RequestTrace::start(id, request, Instant::now());
    let sent = trace.span().in_scope(|| transport.send(request));
    trace.sent(request, &sent, Instant::now());
    sent.map(|response| Opened { response, trace })
}

/// Reads a body whole, within the limits and deadlines the core's
/// [`WholeBody`] keeps (each read waits at most the idle time); a
/// body that breaks off is handed over as far as it came or fails, as the
/// core decides.
pub(crate) fn read_all(
    body: ResponseBody,
    mut whole: WholeBody,
    idle: Duration,
) -> Result<Bytes, NetworkError> {
    let mut reader = body;
    let mut buffer = vec![0u8; whole.buffer_size(64 << 10)];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok(whole.ended()),
            Ok(n) => {
                let piece = buffer.get(..n).unwrap_or_default();
                if !whole.take_slice(piece, Instant::now())? {
                    return Ok(whole.ended());
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => return whole.broke(body_error(&error, idle)),
        }
    }
}

/// Reads the body of the answer to `request` whole (see [`read_all`]).
pub(crate) fn read_answer(
    limits: &ReadLimits,
    request: &Request<RequestBody>,
    parts: &http::response::Parts,
    body: ResponseBody,
) -> Result<Bytes, NetworkError> {
    let limits = limits.of_request(request);
    let whole = WholeBody::answer(&limits, request, parts, Instant::now())?;
    read_all(body, whole, limits.idle)
}

/// The event for an opened answer whose body is read whole.
pub(crate) fn read_whole(
    transport: &Transport,
    request: &Request<RequestBody>,
    opened: Opened,
    id: RequestId,
) -> Event {
    let Opened { response, trace } = opened;
    let (parts, body) = response.into_parts();
    let read = trace
        .span()
        .in_scope(|| read_answer(transport.limits(), request, &parts, body));
    trace.body_read(request, &parts, &read);
    Event::read(id, parts, read)
}

/// Sends `request` and reads the whole answer: the event a machine takes.
pub(crate) fn round_trip(
    transport: &Transport,
    id: RequestId,
    request: &Request<RequestBody>,
) -> Event {
    match open(transport, id, request) {
        Ok(opened) => read_whole(transport, request, opened, id),
        Err(error) => Event::Failed { id, error },
    }
}
