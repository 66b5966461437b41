//! The replayer: answers requests from a cassette, never from a server.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};

use super::cassette::{Cassette, CassetteError};
use super::interaction::{Interaction, RecordedOutcome, RecordedRequest, summary, target_of};
use super::matching::MatchOn;
use crate::error::NetworkError;
use crate::ops::RequestBody;
use crate::replay_miss::{NearestExchange, ReplayMiss};

/// Answers requests from a cassette. Shared (`Arc`) by every client that
/// replays it; each recorded interaction answers at most once, in the
/// order recorded among those that match.
#[derive(Debug)]
pub struct Replayer {
    recorded: Vec<(Interaction, Answer)>,
    played: Mutex<Vec<bool>>,
    match_on: MatchOn,
    recorded_delays: bool,
}

#[derive(Debug)]
enum Answer {
    Response {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
    },
    Failure(NetworkError),
}

/// What the replayer answered.
#[derive(Debug)]
pub struct Replayed {
    /// The recorded response, or the recorded transport failure.
    pub outcome: Result<Response<Bytes>, NetworkError>,
    /// How long the adapter should wait before answering: the recorded
    /// duration when replaying delays, else `None`.
    pub delay: Option<Duration>,
    /// The `seq` of the interaction that answered.
    pub seq: u64,
}

impl Replayer {
    /// A replayer over `cassette`, matching with [`MatchOn::default`] and
    /// answering at once. Every recorded response is checked here, so a
    /// bad cassette fails now rather than in the middle of a test.
    pub fn new(cassette: Cassette) -> Result<Self, CassetteError> {
        let mut recorded = Vec::with_capacity(cassette.interactions.len());
        for interaction in cassette.interactions {
            let answer = answer_of(&interaction)?;
            recorded.push((interaction, answer));
        }
        Ok(Self {
            played: Mutex::new(vec![false; recorded.len()]),
            recorded,
            match_on: MatchOn::default(),
            recorded_delays: false,
        })
    }

    /// A replayer over the cassette at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CassetteError> {
        Self::new(Cassette::load(path)?)
    }

    /// Match with `rule` instead of [`MatchOn::default`].
    pub fn match_on(mut self, rule: MatchOn) -> Self {
        self.match_on = rule;
        self
    }

    /// Wait as long as each recorded exchange took before answering.
    pub fn with_recorded_delays(mut self) -> Self {
        self.recorded_delays = true;
        self
    }

    /// The recorded answer to `request`, or [`NetworkError::NotRecorded`]
    /// naming the nearest recorded interaction and how it differs.
    pub fn answer(&self, request: &Request<RequestBody>) -> Result<Replayed, NetworkError> {
        let (operation, bucket, key) = target_of(request);
        let target = (operation.as_str(), bucket.as_deref(), key.as_deref());
        let sent = RecordedRequest::of(request);
        let mut played = self.played.lock().unwrap_or_else(PoisonError::into_inner);
        let mut nearest: Option<(usize, Vec<String>, bool)> = None;
        for (index, (interaction, answer)) in self.recorded.iter().enumerate() {
            let differences = self.match_on.differences(interaction, target, &sent);
            let done = played.get(index).copied().unwrap_or(true);
            if differences.is_empty() && !done {
                if let Some(flag) = played.get_mut(index) {
                    *flag = true;
                }
                return Ok(Replayed {
                    outcome: answer.outcome(),
                    delay: self.recorded_delays.then(|| interaction.duration()),
                    seq: interaction.seq,
                });
            }
            let closer = match &nearest {
                None => true,
                Some((_, best, best_done)) => {
                    differences.len() < best.len()
                        || (differences.len() == best.len() && *best_done && !done)
                }
            };
            if closer {
                nearest = Some((index, differences, done));
            }
        }
        let nearest = nearest.and_then(|(index, differences, _)| {
            self.recorded
                .get(index)
                .map(|(interaction, _)| NearestExchange {
                    seq: interaction.seq,
                    summary: interaction.summary(),
                    differences,
                })
        });
        Err(NetworkError::NotRecorded(Box::new(ReplayMiss {
            request: summary(&operation, bucket.as_deref(), key.as_deref(), &sent),
            nearest,
        })))
    }

    /// The summaries of recorded interactions that have not answered yet:
    /// a replay that leaves some means the client sent fewer requests.
    pub fn unplayed(&self) -> Vec<String> {
        let played = self.played.lock().unwrap_or_else(PoisonError::into_inner);
        self.recorded
            .iter()
            .zip(played.iter())
            .filter(|(_, done)| !**done)
            .map(|((interaction, _), _)| format!("#{} {}", interaction.seq, interaction.summary()))
            .collect()
    }
}

impl Answer {
    /// A fresh copy of the recorded response, or the recorded failure.
    fn outcome(&self) -> Result<Response<Bytes>, NetworkError> {
        match self {
            Self::Response {
                status,
                headers,
                body,
            } => {
                let mut response = Response::new(body.clone());
                *response.status_mut() = *status;
                *response.headers_mut() = headers.clone();
                Ok(response)
            }
            Self::Failure(error) => Err(error.clone()),
        }
    }
}

/// The answer an interaction gives, checked.
fn answer_of(interaction: &Interaction) -> Result<Answer, CassetteError> {
    let invalid = |message: String| CassetteError::Invalid {
        seq: interaction.seq,
        message,
    };
    let response = match &interaction.outcome {
        RecordedOutcome::Error(error) => return Ok(Answer::Failure(error.to_network_error())),
        RecordedOutcome::Response(response) => response,
    };
    let status = StatusCode::from_u16(response.status)
        .map_err(|_| invalid(format!("status {} is not an HTTP status", response.status)))?;
    let mut headers = HeaderMap::new();
    for (name, values) in &response.headers {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("{name:?} is not a header name")))?;
        for value in values.values() {
            let value = HeaderValue::from_str(value)
                .map_err(|_| invalid(format!("header {name} has value {value:?}")))?;
            headers.append(header.clone(), value);
        }
    }
    let body = response
        .body
        .bytes()
        .ok_or_else(|| invalid("the response body is not stored (bad base64?)".into()))?;
    if body.len() as u64 != response.body.len {
        return Err(invalid(format!(
            "the body holds {} bytes, its len says {}",
            body.len(),
            response.body.len
        )));
    }
    Ok(Answer::Response {
        status,
        headers,
        body,
    })
}
