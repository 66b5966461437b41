//! One request on the wire: sent, answered, logged and counted.

use std::io::Read;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use http::Request;
use r2_proto::RequestId;
use r2_proto::error::NetworkError;
use r2_proto::exchange::Event;
use r2_proto::model::broken_body;
use r2_proto::ops::RequestBody;
use r2_proto::telemetry::RequestTrace;

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

/// Reads a whole body. A body that breaks off before its `Content-Length`
/// is handed over as far as it came, for the operation to report as
/// `IncompleteBody`, or fails, as the core's [`broken_body`] decides.
pub(crate) fn read_all(
    body: ResponseBody,
    headers: &http::HeaderMap,
    transport: &Transport,
) -> Result<Bytes, NetworkError> {
    let mut reader = body.into_reader();
    let mut all = BytesMut::new();
    // A buffer no larger than the body (every byte of it is zeroed first).
    let declared = r2_proto::model::declared_length(headers);
    let mut buffer = vec![0u8; declared.map_or(64 << 10, |n| n.clamp(1, 64 << 10) as usize)];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok(all.freeze()),
            Ok(n) => all.extend_from_slice(buffer.get(..n).unwrap_or_default()),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => {
                let error = body_error(&error, transport.timeout());
                broken_body(headers, all.len() as u64, error)?;
                return Ok(all.freeze());
            }
        }
    }
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
        .in_scope(|| read_all(body, &parts.headers, transport));
    trace.body_read(request, &read);
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
