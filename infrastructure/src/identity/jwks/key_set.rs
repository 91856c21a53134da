//! One fetched JWK set: the signature keys it publishes, and when we fetched it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

pub(super) struct KeySet {
    keys: Vec<PublishedKey>,
    fetched_at: Instant,
}

struct PublishedKey {
    kid: Option<String>,
    alg: Option<Algorithm>,
    key: Arc<DecodingKey>,
}

impl KeySet {
    /// The usable signature keys of `set`; the others are dropped without a word, as an IdP may
    /// publish encryption keys in the same document.
    pub(super) fn new(set: &JwkSet, fetched_at: Instant) -> Self {
        Self { keys: set.keys.iter().filter_map(PublishedKey::from_jwk).collect(), fetched_at }
    }

    pub(super) fn age(&self, now: Instant) -> Duration {
        now.saturating_duration_since(self.fetched_at)
    }

    /// By `kid`; a token without one may use the set's only key of its algorithm's family.
    pub(super) fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<DecodingKey>> {
        let fits = |k: &&PublishedKey| k.key.family() == alg.family() && k.alg.is_none_or(|a| a == alg);
        let found = match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)).filter(fits)?,
            None => {
                let mut fitting = self.keys.iter().filter(fits);
                let only = fitting.next()?;
                if fitting.next().is_some() {
                    return None;
                }
                only
            }
        };
        Some(Arc::clone(&found.key))
    }
}

impl PublishedKey {
    /// Signature keys with a public half only: an `oct` key in a public document would let
    /// anyone who reads it mint tokens.
    fn from_jwk(jwk: &Jwk) -> Option<Self> {
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            return None;
        }
        let public = matches!(
            jwk.algorithm,
            AlgorithmParameters::RSA(_) | AlgorithmParameters::EllipticCurve(_) | AlgorithmParameters::OctetKeyPair(_)
        );
        if !public {
            return None;
        }
        let alg = match jwk.common.key_algorithm {
            // An `alg` that is no signature algorithm (RSA-OAEP, ...) marks an encryption key.
            Some(key_alg) => Some(Algorithm::try_from(key_alg).ok()?),
            None => None,
        };
        let key = DecodingKey::from_jwk(jwk).ok()?;
        Some(Self { kid: jwk.common.key_id.clone(), alg, key: Arc::new(key) })
    }
}
