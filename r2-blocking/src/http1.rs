//! One HTTP/1.1 exchange on one connection: `r2-http1` frames it, this
//! moves its bytes over the blocking socket and reads the body as the
//! caller asks for it.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{Request, Response};
use r2_http1::{Answer, Body, BodyStep, Failure, Home as _, IdlePool, Origin};
use r2_proto::error::NetworkError;
use r2_proto::ops::RequestBody;

use crate::connection::{Connection, is_timeout};

/// Where a connection goes back to once its answer is read: its pool, at
/// its origin.
#[derive(Clone)]
pub(crate) struct Home(pub(crate) Arc<IdlePool<Connection>>, pub(crate) Origin);

impl r2_http1::Home for Home {
    type Connection = Connection;

    fn keep(&self, mut connection: Connection, buffer: Vec<u8>) {
        connection.buffer = buffer;
        self.0.put(self.1.clone(), connection, Instant::now());
    }
}

/// Sends `request` on `connection` and reads the answer's head, waiting at
/// most `idle` for the server to take each write and, once the request is
/// out, for the whole head. The connection goes back to its pool once the
/// body has been read to its end (at once, for an answer without a body),
/// unless the server closes it.
pub(crate) fn round_trip(
    mut connection: Connection,
    request: &Request<RequestBody>,
    (user_agent, idle): (&http::HeaderValue, Duration),
    home: Home,
) -> Result<Response<Option<WireBody>>, Failure> {
    let buffer = std::mem::take(&mut connection.buffer);
    let mut sending = r2_http1::start(request, user_agent, buffer)?;
    connection.set_idle(idle).map_err(Failure::early)?;
    connection.write(sending.head(), None, idle)?;
    for piece in request.body().pieces() {
        // After an early answer the rest is counted, never sent: the
        // server has answered, and the connection is closed after.
        if !sending.answered_early() {
            connection.write(piece, Some(&mut sending), idle)?;
        }
        sending.sent(piece.len())?;
    }
    connection.write(&[], None, idle)?;
    let mut receiving = sending.finish()?;
    let deadline = Instant::now() + idle;
    // The first read waits the socket's idle time; later ones only what is
    // left of it, and the idle time is set back once the head is in.
    let (mut waited, mut shortened) = (false, false);
    let Answer { head, body, reuse } = loop {
        receiving = match receiving.parse()? {
            Ok(answer) => break answer,
            Err(more) => more,
        };
        if waited {
            let left = deadline.saturating_duration_since(Instant::now());
            connection.set_read_timeout(left).map_err(Failure::early)?;
            shortened = true;
        }
        waited = true;
        match connection.read(receiving.room()?) {
            Ok(n) => receiving.filled(n)?,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return Err(Failure::late(NetworkError::Timeout(idle))),
            Err(e) => return Err(receiving.failed(e)),
        }
    };
    if shortened {
        connection.set_read_timeout(idle).map_err(Failure::early)?;
    }
    if let Some(buffer) = reuse {
        home.keep(connection, buffer);
        return Ok(head.map(|()| None));
    }
    let body = body.map(|body| WireBody {
        connection: Some(connection),
        body: Some(body),
        home,
        idle,
    });
    Ok(head.map(|()| body))
}

/// An answer's body on its connection, read through [`io::Read`]; a
/// failure is an `io::Error` whose inner error is the [`NetworkError`].
pub(crate) struct WireBody {
    connection: Option<Connection>,
    body: Option<Body>,
    home: Home,
    idle: Duration,
}

impl std::fmt::Debug for WireBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireBody")
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

impl io::Read for WireBody {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let (Some(body), Some(connection)) = (self.body.as_mut(), self.connection.as_mut())
            else {
                return Ok(0);
            };
            let direct = body.direct(out.len());
            let step = if direct > 0 {
                let target = out.get_mut(..direct).unwrap_or_default();
                match receive(connection, target, self.idle) {
                    Ok(Some(n)) => body.took_direct(n).map(|()| BodyStep::Data(n)),
                    Ok(None) => Ok(BodyStep::Read),
                    Err(error) => Err(error),
                }
            } else {
                body.take_into(out)
            };
            match step {
                Ok(BodyStep::Data(n)) => return Ok(n),
                Ok(BodyStep::End { reusable }) => {
                    self.finish(reusable);
                    return Ok(0);
                }
                Ok(BodyStep::Read) if direct > 0 => {}
                Ok(BodyStep::Read) => match receive(connection, body.room(), self.idle) {
                    Ok(Some(n)) => match body.filled(n) {
                        Ok(()) => {}
                        Err(error) => return Err(self.close(error)),
                    },
                    Ok(None) => {}
                    Err(error) => return Err(self.close(error)),
                },
                Err(error) => return Err(self.close(error)),
            }
        }
    }
}

/// One read off the connection: how many bytes (`None` when interrupted
/// by a signal), or the core's error (a timeout after `idle`).
fn receive(
    connection: &mut Connection,
    buf: &mut [u8],
    idle: Duration,
) -> Result<Option<usize>, NetworkError> {
    match connection.read(buf) {
        Ok(n) => Ok(Some(n)),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
        Err(e) if is_timeout(&e) => Err(NetworkError::Timeout(idle)),
        Err(e) => Err(NetworkError::StreamInterrupted(e.to_string())),
    }
}

impl WireBody {
    /// The body broke: its connection is closed.
    fn close(&mut self, error: NetworkError) -> io::Error {
        self.connection = None;
        self.body = None;
        io::Error::other(error)
    }

    /// Ends the body: its connection goes back to the pool when reusable.
    fn finish(&mut self, reusable: bool) {
        self.home
            .finish(self.connection.take(), self.body.take(), reusable);
    }
}
