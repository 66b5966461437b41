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
        let mut found = 0;
        for certificate in CertificateDer::pem_slice_iter(pem) {
            let certificate = certificate.map_err(|e| bad(&e))?;
            roots.add(certificate).map_err(|e| bad(&e))?;
            found += 1;
        }
        if found == 0 {
            return Err(bad(&"no CERTIFICATE block in it"));
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
        let broken = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let error = client_config(&[broken.to_vec()]).unwrap_err();
        assert!(
            matches!(&error, NetworkError::Tls(m) if m.starts_with("root certificate bundle 1: ")),
            "{error:?}"
        );
    }
}
