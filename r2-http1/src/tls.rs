//! The TLS settings every transport uses.

use std::sync::Arc;

use r2_proto::error::NetworkError;

/// rustls with the ring provider, TLS 1.2 and 1.3, webpki's roots, and
/// certificates validated: for every transport.
pub fn client_config() -> Result<rustls::ClientConfig, NetworkError> {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| NetworkError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
