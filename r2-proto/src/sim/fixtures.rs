//! What the simulation tests share: a client and seeded bytes.

use std::sync::Arc;

use crate::error::ConfigError;
use crate::resilience::Jitter;
use crate::{ClientCore, Config, Credentials, ResilienceConfig};
use bytes::Bytes;

/// A configuration for a made-up account, with the AWS documentation's example keys.
pub fn config() -> Result<Config, ConfigError> {
    let credentials = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")?;
    Config::for_account("0123456789abcdef0123456789abcdef", credentials).build()
}

/// A client core for [`config`] with `resilience`.
pub fn client(resilience: ResilienceConfig) -> Result<Arc<ClientCore>, ConfigError> {
    Ok(Arc::new(ClientCore::with_resilience(config()?, resilience)))
}

/// `len` bytes of noise drawn from `seed`.
pub fn noise(len: usize, seed: u64) -> Bytes {
    let mut jitter = Jitter::new(seed);
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&jitter.next_u64().to_le_bytes());
    }
    out.truncate(len);
    Bytes::from(out)
}
