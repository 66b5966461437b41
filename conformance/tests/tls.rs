//! Certificates are validated: an https endpoint whose certificate no
//! trusted root signed is refused with a TLS error, by every adapter,
//! without retrying and without sending the request. With that certificate
//! added as a root, the whole scenario suite passes over TLS on every
//! adapter (each one's own TLS code: hyper-rustls, futures-rustls, and
//! r2-blocking's rustls over std sockets).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use conformance::adapters::{BlockingScenarioClient, SmolScenarioClient, TokioScenarioClient};
use conformance::scenarios::{ScenarioClient, Target, run_suite};
use conformance::servers::{S3sFsServer, TlsProxy};
use r2_proto::error::{NetworkError, R2Error};
use r2_proto::ops::GetObject;
use r2_proto::{BucketName, Config, Credentials, ObjectKey};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A TLS server on loopback presenting a self-signed certificate for
/// `localhost`; counts the handshakes that reached it.
fn self_signed_server() -> (u16, Arc<AtomicUsize>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let chain = vec![CertificateDer::from(certified.cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&handshakes);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _refused = acceptor.accept(socket).await;
                });
            }
        });
    });
    (port, handshakes)
}

fn refuses_untrusted_certificates<C: ScenarioClient>() {
    let (port, handshakes) = self_signed_server();
    let credentials = Credentials::new("AKIDTLS", "tls-secret").unwrap();
    let config = Config::for_endpoint(format!("https://localhost:{port}"), credentials)
        .build()
        .unwrap();
    let client = C::connect(config).unwrap();
    let get = GetObject::new(
        BucketName::new("bkt").unwrap(),
        ObjectKey::new("k").unwrap(),
    );
    match client.get(get).as_ref().map_err(R2Error::network) {
        Err(Some(NetworkError::Tls(message))) => {
            assert!(
                message.to_lowercase().contains("certificate"),
                "{}: {message}",
                C::NAME
            );
        }
        other => panic!("{}: {other:?}", C::NAME),
    }
    assert_eq!(
        handshakes.load(Ordering::SeqCst),
        1,
        "{}: a TLS failure is not retried",
        C::NAME
    );
}

#[test]
fn r2_tokio_refuses_an_untrusted_certificate() {
    refuses_untrusted_certificates::<TokioScenarioClient>();
}

#[test]
fn r2_blocking_refuses_an_untrusted_certificate() {
    refuses_untrusted_certificates::<BlockingScenarioClient>();
}

#[test]
fn r2_smol_refuses_an_untrusted_certificate() {
    refuses_untrusted_certificates::<SmolScenarioClient>();
}

fn passes_the_suite_over_tls<C: ScenarioClient>() {
    let server = S3sFsServer::start().unwrap();
    let upstream = server.endpoint().trim_start_matches("http://").to_owned();
    let front = TlsProxy::start(upstream).unwrap();
    let failures = run_suite::<C>(&Target::s3s_fs(&server).over_tls(&front));
    assert!(
        failures.is_empty(),
        "{}: {} failures:\n{}",
        C::NAME,
        failures.len(),
        failures.join("\n")
    );
    assert!(front.handshakes() > 0, "the requests went over TLS");
}

#[test]
fn r2_tokio_passes_the_suite_over_tls() {
    passes_the_suite_over_tls::<TokioScenarioClient>();
}

#[test]
fn r2_blocking_passes_the_suite_over_tls() {
    passes_the_suite_over_tls::<BlockingScenarioClient>();
}

#[test]
fn r2_smol_passes_the_suite_over_tls() {
    passes_the_suite_over_tls::<SmolScenarioClient>();
}
