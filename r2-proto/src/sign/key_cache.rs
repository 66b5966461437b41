//! SigV4 signing-key derivation and its per-day cache.
//!
//! The key is `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
//! "aws4_request")`. A [`Signer`](super::Signer) binds one secret, region and
//! service, so within a signer the cache is keyed by the date alone, which
//! makes it a cache per (date, region, service, secret). It holds the HMAC
//! state already keyed with the signing key, so steady-state signing costs one
//! HMAC of the string to sign plus one SHA-256 of the canonical request.

use std::fmt;
use std::sync::{Mutex, PoisonError};

use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// HMAC-SHA256, the SigV4 MAC.
pub(crate) type HmacSha256 = Hmac<Sha256>;

/// An HMAC state keyed with `key`. Keys longer than the SHA-256 block are
/// hashed first and shorter ones zero-padded, as HMAC defines.
pub(crate) fn mac_with_key(key: &[u8]) -> HmacSha256 {
    let hashed;
    let key = if key.len() > 64 {
        hashed = Sha256::digest(key);
        hashed.as_slice()
    } else {
        key
    };
    let mut block = Key::<HmacSha256>::default();
    for (dst, src) in block.iter_mut().zip(key) {
        *dst = *src;
    }
    let mac = HmacSha256::new(&block);
    block.as_mut_slice().zeroize();
    mac
}

fn hmac(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut mac = mac_with_key(key);
    mac.update(data);
    Zeroizing::new(mac.finalize().into_bytes().into())
}

/// Derives the signing key for one day, region and service.
pub(crate) fn derive_signing_key(
    secret: &str,
    date: &[u8; 8],
    region: &str,
    service: &str,
) -> Zeroizing<[u8; 32]> {
    let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret.len()));
    seed.extend_from_slice(b"AWS4");
    seed.extend_from_slice(secret.as_bytes());
    let k_date = hmac(&seed, date);
    let k_region = hmac(&*k_date, region.as_bytes());
    let k_service = hmac(&*k_region, service.as_bytes());
    hmac(&*k_service, b"aws4_request")
}

struct CachedKey {
    date: [u8; 8],
    mac: HmacSha256,
}

/// The keyed HMAC state of the most recent signing day.
pub(crate) struct SigningKeyCache {
    slot: Mutex<Option<CachedKey>>,
}

impl SigningKeyCache {
    /// An empty cache.
    pub(crate) fn new() -> Self {
        Self {
            slot: Mutex::new(None),
        }
    }

    /// An HMAC state keyed with the signing key of `date`, ready for the string to sign.
    pub(crate) fn signing_mac(
        &self,
        date: &[u8; 8],
        secret: &str,
        region: &str,
        service: &str,
    ) -> HmacSha256 {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cached) = slot.as_ref().filter(|c| &c.date == date) {
            return cached.mac.clone();
        }
        let key = derive_signing_key(secret, date, region, service);
        let mac = mac_with_key(&*key);
        *slot = Some(CachedKey {
            date: *date,
            mac: mac.clone(),
        });
        mac
    }

    /// The day currently cached, if any (for tests and diagnostics).
    pub(crate) fn cached_date(&self) -> Option<[u8; 8]> {
        let slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref().map(|c| c.date)
    }
}

impl fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let date = self.cached_date();
        f.debug_struct("SigningKeyCache")
            .field(
                "cached_date",
                &date
                    .as_ref()
                    .map(|d| String::from_utf8_lossy(d).into_owned()),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::hex::hex32;

    // From the AWS SigV4 documentation's worked example (iam, us-east-1, 20150830).
    #[test]
    fn derives_the_documented_key() {
        let key = derive_signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            b"20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            std::str::from_utf8(&hex32(&key)).unwrap(),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn long_keys_are_hashed_as_hmac_requires() {
        let long = [7u8; 100];
        let mut ours = mac_with_key(&long);
        ours.update(b"data");
        let mut reference = <HmacSha256 as KeyInit>::new_from_slice(&long).unwrap();
        reference.update(b"data");
        assert_eq!(
            ours.finalize().into_bytes(),
            reference.finalize().into_bytes()
        );
    }

    #[test]
    fn cache_keeps_one_day_and_rederives_on_change() {
        let cache = SigningKeyCache::new();
        assert_eq!(cache.cached_date(), None);
        let first = cache.signing_mac(b"20240501", "s", "auto", "s3");
        assert_eq!(cache.cached_date(), Some(*b"20240501"));
        let again = cache.signing_mac(b"20240501", "s", "auto", "s3");
        assert_eq!(first.finalize().into_bytes(), again.finalize().into_bytes());
        let next = cache.signing_mac(b"20240502", "s", "auto", "s3");
        assert_eq!(cache.cached_date(), Some(*b"20240502"));
        let expected = mac_with_key(&*derive_signing_key("s", b"20240502", "auto", "s3"));
        assert_eq!(
            next.finalize().into_bytes(),
            expected.finalize().into_bytes()
        );
        assert!(!format!("{cache:?}").contains("mac"));
    }
}
