//! Hostile servers and bad answers, for every adapter: a scripted server on
//! loopback answers with bodies that never end, announce gigabytes, trickle
//! a byte at a time, carry a huge error text or echo the request's session
//! token. Each case asserts the typed error, that it came within a bound of
//! time, and that the client stopped reading (the server could write no
//! more than the limit plus what the sockets buffer).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use conformance::every_adapter;
use conformance::scenarios::ScenarioClient;
use conformance::servers::{Answer, HostileServer};
use r2_proto::error::{AuthError, NetworkError, R2Error, TransferError};
use r2_proto::model::Integrity;
use r2_proto::ops::{GetObject, HeadObject, ListObjectsV2, PutObject};
use r2_proto::resilience::RetryPolicy;
use r2_proto::{BucketName, Config, ConfigBuilder, Credentials, ObjectKey};

/// The most a loopback connection's socket buffers hold between a server
/// that writes and a client that stopped reading (send and receive
/// buffers grow to a few MiB each on Linux).
const SOCKET_BUFFERS: u64 = 16 << 20;

/// The session token the client signs with; no error may show it.
const TOKEN: &str = "FwoGZXIvYXdzEJr-session-token-that-must-never-be-printed";

fn bucket() -> BucketName {
    BucketName::new("hostile").unwrap()
}

fn config(server: &HostileServer) -> ConfigBuilder {
    let credentials = Credentials::new("AKIDHOSTILE", "secret-key-never-printed")
        .unwrap()
        .with_session_token(TOKEN)
        .unwrap();
    Config::for_endpoint(server.endpoint(), credentials)
        .allow_insecure_http()
        .timeout(Duration::from_secs(5))
}

fn client<C: ScenarioClient>(config: ConfigBuilder) -> C {
    C::connect(config.build().unwrap()).unwrap()
}

fn list<C: ScenarioClient>(client: &C) -> R2Error {
    client.list(ListObjectsV2::new(bucket())).unwrap_err()
}

fn listing_that_never_ends<C: ScenarioClient>() {
    let server = HostileServer::start(Answer::Endless {
        status: 200,
        chunk: b"<Contents><Key>k</Key></Contents>".repeat(500),
    })
    .unwrap();
    let limit = 256 << 10;
    let client: C = client(config(&server).max_response_body(limit));
    let started = Instant::now();
    let error = list(&client);
    assert_eq!(
        error.network(),
        Some(&NetworkError::BodyTooLarge { limit }),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests(), 1, "a body too large is not retried");
    std::thread::sleep(Duration::from_millis(300));
    let sent = server.sent();
    assert!(
        sent < limit + SOCKET_BUFFERS,
        "the server wrote {sent} bytes"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.sent() - sent < 1 << 20, "the connection was closed");
}

fn listing_that_announces_gigabytes<C: ScenarioClient>() {
    let server = HostileServer::start(Answer::Declared {
        status: 200,
        declared: 2 << 30,
        prefix: b"<ListBucketResult>".to_vec(),
    })
    .unwrap();
    let client: C = client(config(&server));
    let started = Instant::now();
    let error = list(&client);
    assert_eq!(
        error.network(),
        Some(&NetworkError::BodyTooLarge {
            limit: r2_proto::DEFAULT_MAX_BODY
        })
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.requests(), 1);
    assert!(server.sent() < SOCKET_BUFFERS, "{}", server.sent());
}

fn error_text_of_a_hundred_mib<C: ScenarioClient>() {
    let mut prefix = b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>".to_vec();
    prefix.extend_from_slice(&[b'A'; 10 << 10]);
    let server = HostileServer::start(Answer::Declared {
        status: 403,
        declared: 100 << 20,
        prefix,
    })
    .unwrap();
    let client: C = client(config(&server));
    let started = Instant::now();
    let error = list(&client);
    let R2Error::Auth(AuthError::AccessDenied(details)) = &error else {
        panic!("{error:?}");
    };
    assert!(details.message.len() < 5 << 10, "{}", details.message.len());
    assert!(details.message.starts_with("AAAA"));
    assert!(
        details
            .message
            .ends_with("(cut: the server sent more than r2 keeps)")
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.sent() < (64 << 10) + SOCKET_BUFFERS);
}

fn echoed_session_token<C: ScenarioClient>() {
    let body = format!(
        "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>\
         <Message>The request signature we calculated does not match</Message>\
         <StringToSign>AWS4-HMAC-SHA256\n20240501T120000Z\n20240501/auto/s3/aws4_request\nabc</StringToSign>\
         <SignatureProvided>0123456789abcdef</SignatureProvided>\
         <CanonicalRequest>GET\n/hostile\nlist-type=2&amp;X-Amz-Security-Token={TOKEN}\nhost:127.0.0.1\nx-amz-security-token:{TOKEN}\n\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD</CanonicalRequest>\
         <RequestId>req-1</RequestId></Error>"
    );
    let server = HostileServer::start(Answer::Whole {
        status: 403,
        headers: Vec::new(),
        body: body.into_bytes(),
    })
    .unwrap();
    let client: C = client(config(&server));
    for error in [
        list(&client),
        client
            .get(GetObject::new(bucket(), ObjectKey::new("k").unwrap()))
            .unwrap_err(),
    ] {
        let R2Error::Auth(AuthError::SignatureDoesNotMatch(details)) = &error else {
            panic!("{error:?}");
        };
        for shown in [
            format!("{error:?}"),
            error.to_string(),
            format!("{details:?}"),
        ] {
            assert!(!shown.contains("session-token-that"), "{shown}");
            assert!(!shown.contains("never-printed"), "{shown}");
            assert!(!shown.contains("0123456789abcdef"), "{shown}");
        }
        let canonical = details.server_canonical_request.as_deref().unwrap();
        assert!(
            canonical.contains("x-amz-security-token:***"),
            "{canonical}"
        );
        assert_eq!(details.request_id.as_deref(), Some("req-1"));
    }
}

fn body_that_trickles<C: ScenarioClient>() {
    let window = Duration::from_secs(1);
    for streamed in [false, true] {
        let server = HostileServer::start(Answer::Trickle {
            len: 1000,
            every: Duration::from_millis(150),
        })
        .unwrap();
        let client: C = client(config(&server).low_speed_limit(1 << 10, window));
        let started = Instant::now();
        let get = GetObject::new(bucket(), ObjectKey::new("k").unwrap());
        let error = if streamed {
            client.get_stream(get).unwrap_err()
        } else {
            client.get(get).unwrap_err()
        };
        assert_eq!(
            error.network(),
            Some(&NetworkError::Timeout(window)),
            "{error}"
        );
        // Each attempt ends at its first byte past the window; the backoffs
        // between them are well under a second each. A stream's body is
        // not retried once it started.
        let attempts = if streamed {
            1
        } else {
            RetryPolicy::default().transient.max_attempts
        };
        assert_eq!(server.requests(), attempts, "streamed {streamed}");
        let bound = (window + Duration::from_millis(400)) * attempts + Duration::from_secs(3);
        assert!(started.elapsed() < bound, "{:?}", started.elapsed());
    }
}

every_adapter!(
    listing_that_never_ends,
    listing_that_announces_gigabytes,
    error_text_of_a_hundred_mib,
    echoed_session_token,
    body_that_trickles,
    interim_answers_are_skipped_within_a_bound,
);

fn interim_answers_are_skipped_within_a_bound<C: ScenarioClient>() {
    let head = || HeadObject::new(bucket(), ObjectKey::new("k").unwrap());
    let few = HostileServer::start(Answer::Interim { count: 20 }).unwrap();
    let polite: C = client(config(&few));
    polite.head(head()).unwrap();

    let endless = HostileServer::start(Answer::Interim { count: 100_000 }).unwrap();
    let client: C = client(config(&endless));
    let started = Instant::now();
    let error = client.head(head()).unwrap_err();
    assert_eq!(
        error.network(),
        Some(&NetworkError::HeadTooLarge {
            limit: r2_proto::MAX_RESPONSE_HEAD
        })
    );
    assert_eq!(endless.requests(), 1, "not retried");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

fn upload_answered_with_other_bytes<C: ScenarioClient>() {
    let server = HostileServer::start(Answer::Whole {
        status: 200,
        headers: vec![
            ("etag".into(), "\"0123456789abcdef0123456789abcdef\"".into()),
            ("x-amz-checksum-crc32".into(), "AAAAAA==".into()),
        ],
        body: Vec::new(),
    })
    .unwrap();
    let client: C = client(config(&server));
    let key = ObjectKey::new("k").unwrap();
    let policy = RetryPolicy::default();
    let error = client
        .put(PutObject::new(bucket(), key.clone(), "hello"))
        .unwrap_err();
    let R2Error::Transfer(TransferError::ChecksumMismatch { algorithm, .. }) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*algorithm, "CRC32");
    assert_eq!(server.requests(), policy.stream_interrupted.max_attempts);

    let md5 = PutObject::new(bucket(), key, "hello").integrity(Integrity::content_md5_of(b"hello"));
    let error = client.put(md5).unwrap_err();
    let R2Error::Transfer(TransferError::ChecksumMismatch { algorithm, .. }) = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*algorithm, "MD5");
}

every_adapter!(upload_answered_with_other_bytes);

fn refused_before_the_body_is_read<C: ScenarioClient>() {
    let body =
        b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>";
    // The connection held open (the server reads nothing more), or closed
    // at once with the body unread (the client then sees a reset).
    for hold in [Duration::from_secs(20), Duration::ZERO] {
        let server = HostileServer::start(Answer::RefuseEarly {
            status: 403,
            body: body.to_vec(),
            hold,
        })
        .unwrap();
        let client: C = client(config(&server).timeout(Duration::from_secs(3)));
        let started = Instant::now();
        let put = PutObject::new(bucket(), ObjectKey::new("k").unwrap(), vec![7u8; 64 << 20]);
        let error = client.put(put).unwrap_err();
        println!(
            "held {hold:?}: {error:?} after {:?}, {} requests",
            started.elapsed(),
            server.requests()
        );
        assert!(
            matches!(error, R2Error::Auth(AuthError::AccessDenied(_))),
            "held {hold:?}: {error:?}"
        );
        assert_eq!(server.requests(), 1, "the body is not sent again");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{:?}",
            started.elapsed()
        );
    }
}

every_adapter!(refused_before_the_body_is_read);

fn head_of_seventy_kib<C: ScenarioClient>() {
    let server = HostileServer::start(Answer::Whole {
        status: 200,
        headers: vec![("x-amz-meta-big".into(), "v".repeat(70 << 10))],
        body: Vec::new(),
    })
    .unwrap();
    let client: C = client(config(&server));
    let error = client
        .head(HeadObject::new(bucket(), ObjectKey::new("k").unwrap()))
        .unwrap_err();
    assert_eq!(
        error.network(),
        Some(&NetworkError::HeadTooLarge {
            limit: r2_proto::MAX_RESPONSE_HEAD
        })
    );
    assert_eq!(server.requests(), 1, "not retried");
}

every_adapter!(head_of_seventy_kib);

fn malformed_answers_are_typed_the_same_way<C: ScenarioClient>() {
    let policy = RetryPolicy::default();
    let heads: [&[u8]; 4] = [
        b"HTTP/1.1 2x0 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 7\r\n\r\nabcde",
        b"garbage\r\n\r\n",
    ];
    for raw in heads {
        let server = HostileServer::start(Answer::Raw(raw.to_vec())).unwrap();
        let client: C = client(config(&server));
        let error = client.list(ListObjectsV2::new(bucket())).unwrap_err();
        let shown = String::from_utf8_lossy(raw);
        assert!(
            matches!(error.network(), Some(NetworkError::ConnectionFailed(_))),
            "{shown:?}: {error:?}"
        );
        assert_eq!(
            server.requests(),
            policy.transient.max_attempts,
            "{shown:?}"
        );
    }
    let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n";
    let server = HostileServer::start(Answer::Raw(chunked.to_vec())).unwrap();
    let client: C = client(config(&server));
    let error = client.list(ListObjectsV2::new(bucket())).unwrap_err();
    assert!(
        matches!(error.network(), Some(NetworkError::StreamInterrupted(_))),
        "{error:?}"
    );
    assert_eq!(server.requests(), policy.stream_interrupted.max_attempts);
}

every_adapter!(malformed_answers_are_typed_the_same_way);

fn error_body_that_never_ends<C: ScenarioClient>() {
    let server = HostileServer::start(Answer::Endless {
        status: 403,
        chunk: b"<Error><Code>AccessDenied</Code><Message>".repeat(100),
    })
    .unwrap();
    let client: C = client(config(&server));
    let started = Instant::now();
    let error = list(&client);
    assert!(
        matches!(error, R2Error::Auth(AuthError::AccessDenied(_))),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests(), 1);
    std::thread::sleep(Duration::from_millis(300));
    let sent = server.sent();
    assert!(
        sent < (64 << 10) + SOCKET_BUFFERS,
        "the server wrote {sent} bytes"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.sent() - sent < 1 << 20, "the connection was closed");
}

every_adapter!(error_body_that_never_ends);

fn download_that_trickles<C: ScenarioClient>() {
    let server = HostileServer::start(Answer::Trickle {
        len: 1000,
        every: Duration::from_millis(150),
    })
    .unwrap();
    let window = Duration::from_secs(1);
    let client: C = client(config(&server).low_speed_limit(1 << 10, window));
    let started = Instant::now();
    let tuning = conformance::scenarios::Tuning {
        part_size: 5 << 20,
        concurrency: 2,
    };
    let error = client
        .download_ordered(bucket(), ObjectKey::new("k").unwrap(), tuning)
        .unwrap_err();
    assert_eq!(
        error.network(),
        Some(&NetworkError::Timeout(window)),
        "{error}"
    );
    let attempts = RetryPolicy::default().transient.max_attempts;
    assert_eq!(
        server.requests(),
        attempts,
        "the range is retried as the policy says"
    );
    let bound = (window + Duration::from_millis(400)) * attempts + Duration::from_secs(3);
    assert!(started.elapsed() < bound, "{:?}", started.elapsed());
}

every_adapter!(download_that_trickles);

fn a_continue_before_the_body_is_skipped<C: ScenarioClient>() {
    let server = HostileServer::start(Answer::EarlyContinue).unwrap();
    let client: C = client(config(&server));
    let put =
        PutObject::new(bucket(), ObjectKey::new("k").unwrap(), vec![7u8; 32 << 20]).no_integrity();
    let output = client.put(put).unwrap();
    assert_eq!(output.etag.as_str(), "\"e\"");
    assert_eq!(server.requests(), 1);
}

every_adapter!(a_continue_before_the_body_is_skipped);

/// A refused connection, retried as the policy says, then reported with
/// what was being done: the operation, bucket and key, the host, the
/// attempts; its source is the transport's error. The download helper's
/// ranges say the same.
fn a_refused_connection_names_what_was_tried<C: ScenarioClient>() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let host = closed.local_addr().unwrap().to_string();
    drop(closed);
    let connect = || -> C {
        let credentials = Credentials::new("AKIDHOSTILE", "secret-key-never-printed").unwrap();
        let config = Config::for_endpoint(format!("http://{host}"), credentials)
            .allow_insecure_http()
            .timeout(Duration::from_secs(5));
        client(config)
    };
    let client = connect();
    let attempts = RetryPolicy::default().transient.max_attempts;
    let key = ObjectKey::new("photos/cat.jpg").unwrap();
    let error = client
        .get(GetObject::new(bucket(), key.clone()))
        .unwrap_err();
    let shown = error.to_string();
    let expected = format!(
        "GetObject of hostile/photos/cat.jpg at {host} failed after {attempts} attempts in "
    );
    assert!(shown.starts_with(&expected), "{shown}");
    assert!(shown.contains("connection failed"), "{shown}");
    let source = std::error::Error::source(&error).expect("the transport's error");
    assert!(source.is::<NetworkError>(), "{source:?}");
    let R2Error::Network(failure) = &error else {
        panic!("{error:?}")
    };
    let attempted = failure.attempted.as_deref().unwrap();
    assert_eq!(attempted.attempts, attempts);
    assert_eq!(attempted.key.as_ref(), Some(&key));

    let tuning = conformance::scenarios::Tuning {
        part_size: 1 << 20,
        concurrency: 2,
    };
    // A new client: the first one's breaker is open after those failures.
    let error = connect()
        .download_ordered(bucket(), key, tuning)
        .unwrap_err();
    assert!(error.to_string().starts_with(&expected), "{error}");
}

every_adapter!(a_refused_connection_names_what_was_tried);

fn a_call_takes_its_own_timeout<C: ScenarioClient>() {
    let get = || GetObject::new(bucket(), ObjectKey::new("k").unwrap());
    let short = Duration::from_millis(200);
    let attempts = RetryPolicy::default().transient.max_attempts;
    let tuning = conformance::scenarios::Tuning {
        part_size: 5 << 20,
        concurrency: 2,
    };

    // A head that comes after 800 ms: within the client's 5 s, past a
    // view's 200 ms, for a single call and for a transfer.
    let slow = HostileServer::start(Answer::Slow {
        after: Duration::from_millis(800),
    })
    .unwrap();
    let patient: C = client(config(&slow));
    let hasty = patient.with_timeout(short).unwrap();
    patient.get(get()).unwrap();
    let started = Instant::now();
    let error = hasty.get(get()).unwrap_err();
    assert_eq!(
        error.network(),
        Some(&NetworkError::Timeout(short)),
        "{error}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(slow.requests(), 1 + attempts);
    // The view leaves the client as it was.
    patient.get(get()).unwrap();
    let error = hasty.download_ordered(bucket(), ObjectKey::new("k").unwrap(), tuning);
    let error = error.unwrap_err();
    assert_eq!(
        error.network(),
        Some(&NetworkError::Timeout(short)),
        "{error}"
    );

    // A body with 500 ms between bytes: past the client's 200 ms, within
    // a view's 3 s.
    let trickle = HostileServer::start(Answer::Trickle {
        len: 3,
        every: Duration::from_millis(500),
    })
    .unwrap();
    let strict: C = client(config(&trickle).timeout(short).low_speed_limit(0, short));
    let error = strict.get(get()).unwrap_err();
    assert_eq!(
        error.network(),
        Some(&NetworkError::Timeout(short)),
        "{error}"
    );
    let lenient = strict.with_timeout(Duration::from_secs(3)).unwrap();
    assert_eq!(&lenient.get(get()).unwrap().body[..], b"xxx");
    assert_eq!(&lenient.get_stream(get()).unwrap().1[..], b"xxx");

    let refused = strict.with_timeout(Duration::ZERO).err();
    assert!(matches!(refused, Some(R2Error::Config(_))), "{refused:?}");
}

every_adapter!(a_call_takes_its_own_timeout);
