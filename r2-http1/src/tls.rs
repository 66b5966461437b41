//! The TLS settings every transport uses.

use std::sync::Arc;

use r2_proto::error::NetworkError;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// rustls with the ring provider, TLS 1.2 and 1.3, webpki's roots and the
/// certificates of the `extra_roots` PEM bundles, and certificates
/// validated: for every transport.
pub fn client_config(extra_roots: &[Vec<u8>]) -> Result<rustls::ClientConfig, NetworkError> {
    let mut roots =
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for (n, pem) in extra_roots.iter().enumerate() {
        let bad = |why: &dyn std::fmt::Display| {
            NetworkError::Tls(format!("root certificate bundle {}: {why}", n + 1))
        };
        let certificates = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(&e))?;
        if certificates.is_empty() {
            return Err(bad(&"no CERTIFICATE block in it"));
        }
        // A system bundle may hold a few roots rustls cannot use (old
        // formats); they are skipped, as long as some can be used.
        let (added, _skipped) = roots.add_parsable_certificates(certificates);
        if added == 0 {
            return Err(bad(&"no certificate in it can be used"));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetworkError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_without_certificates_is_refused_by_name() {
        assert!(client_config(&[]).is_ok());
        let error = client_config(&[b"not pem".to_vec()]).unwrap_err();
        assert_eq!(
            error,
            NetworkError::Tls("root certificate bundle 1: no CERTIFICATE block in it".into())
        );
        let system = std::path::Path::new("/etc/ssl/certs/ca-certificates.crt");
        if let Ok(bundle) = std::fs::read(system) {
            assert!(
                client_config(&[bundle]).is_ok(),
                "the system bundle is taken"
            );
        }
        let broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let error = client_config(&[broken.to_vec()]).unwrap_err();
        assert!(
            matches!(&error, NetworkError::Tls(m) if m.starts_with("root certificate bundle 1: ")),
            "{error:?}"
        );
    }
}
