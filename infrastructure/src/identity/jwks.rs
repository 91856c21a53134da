//! Signing keys published by IdPs as JWK sets: fetched on first use, cached per URI, refetched
//! when a token names a key we have not seen (rotation) or the set is old, and never fetched
//! more than once per `min_refetch_interval` per URI, so forged `kid`s cannot make us flood the IdP.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use application::ports::AuthError;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::refusal::invalid;
use crate::config::is_https_or_loopback;

/// Tuning of the JWKS cache. The defaults suit production; tests shorten the intervals.
#[derive(Debug, Clone)]
pub struct JwksSettings {
    /// The whole request, connect to last byte: a slow IdP must not hold requests hostage.
    pub fetch_timeout: Duration,
    pub min_refetch_interval: Duration,
    /// After this a set is refetched on use, so a key the IdP withdrew stops working.
    pub max_age: Duration,
    pub max_document_bytes: usize,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            fetch_timeout: Duration::from_secs(3),
            min_refetch_interval: Duration::from_secs(5),
            max_age: Duration::from_secs(15 * 60),
            max_document_bytes: 256 * 1024,
        }
    }
}

pub(super) struct JwksCache {
    http: reqwest::Client,
    settings: JwksSettings,
    // Keys are jwks_uris from the config, so the map is bounded by the config's size.
    entries: Mutex<HashMap<String, Arc<Entry>>>,
}

#[derive(Default)]
struct Entry {
    keys: RwLock<Option<Arc<KeySet>>>,
    // Held across the fetch: concurrent misses wait for one fetch instead of each making one.
    fetches: tokio::sync::Mutex<FetchLog>,
}

#[derive(Default)]
struct FetchLog {
    last_attempt: Option<Instant>,
    last_failure: Option<String>,
}

struct KeySet {
    keys: Vec<PublishedKey>,
    fetched_at: Instant,
}

struct PublishedKey {
    kid: Option<String>,
    alg: Option<Algorithm>,
    key: Arc<DecodingKey>,
}

impl JwksCache {
    pub(super) fn new(http: reqwest::Client, settings: JwksSettings) -> Self {
        Self { http, settings, entries: Mutex::new(HashMap::new()) }
    }

    /// The key that must have signed a token with this `kid` and `alg`.
    pub(super) async fn key(
        &self,
        uri: &str,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<DecodingKey>, AuthError> {
        let entry = self.entry(uri);
        if let Some(key) = entry.snapshot().filter(|set| self.is_fresh(set)).and_then(|set| set.find(kid, alg)) {
            return Ok(key);
        }

        let mut log = entry.fetches.lock().await;
        let cached = entry.snapshot();
        // Whoever held the lock before us may just have fetched the key we need.
        if let Some(key) = cached.as_ref().filter(|set| self.is_fresh(set)).and_then(|set| set.find(kid, alg)) {
            return Ok(key);
        }
        let recently = log.last_attempt.is_some_and(|at| at.elapsed() < self.settings.min_refetch_interval);
        if recently {
            let found = cached.as_ref().and_then(|set| set.find(kid, alg));
            return match (found, &log.last_failure) {
                (Some(key), _) => Ok(key),
                (None, Some(failure)) => Err(AuthError::Unavailable(failure.clone())),
                (None, None) if cached.is_some() => Err(invalid("unknown signing key (kid)")),
                (None, None) => Err(AuthError::Unavailable("signing keys not fetched yet".to_owned())),
            };
        }

        log.last_attempt = Some(Instant::now());
        match self.fetch(uri).await {
            Ok(set) => {
                log.last_failure = None;
                let set = Arc::new(set);
                *entry.keys.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&set));
                set.find(kid, alg).ok_or_else(|| invalid("unknown signing key (kid)"))
            }
            Err(failure) => {
                tracing::warn!(jwks_uri = uri, reason = %failure, "fetching the IdP's signing keys failed");
                log.last_failure = Some(failure.clone());
                // Keep accepting the keys we already had while the IdP is down.
                cached.and_then(|set| set.find(kid, alg)).ok_or(AuthError::Unavailable(failure))
            }
        }
    }

    fn entry(&self, uri: &str) -> Arc<Entry> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get(uri) {
            return Arc::clone(entry);
        }
        Arc::clone(entries.entry(uri.to_owned()).or_default())
    }

    fn is_fresh(&self, set: &KeySet) -> bool {
        set.fetched_at.elapsed() < self.settings.max_age
    }

    async fn fetch(&self, uri: &str) -> Result<KeySet, String> {
        let url = reqwest::Url::parse(uri).map_err(|_| "jwks_uri is not a URL".to_owned())?;
        if !is_https_or_loopback(&url) {
            return Err("jwks_uri must be https".to_owned());
        }
        let mut response = self
            .http
            .get(url)
            .timeout(self.settings.fetch_timeout)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("JWKS request failed: {}", e.without_url()))?;
        if !response.status().is_success() {
            return Err(format!("JWKS request answered HTTP {}", response.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("JWKS read failed: {}", e.without_url()))? {
            if body.len() + chunk.len() > self.settings.max_document_bytes {
                return Err("JWKS document too large".to_owned());
            }
            body.extend_from_slice(&chunk);
        }
        let set: JwkSet = serde_json::from_slice(&body).map_err(|_| "JWKS document is not a JWK set".to_owned())?;
        Ok(KeySet { keys: set.keys.iter().filter_map(PublishedKey::from_jwk).collect(), fetched_at: Instant::now() })
    }
}

impl Entry {
    fn snapshot(&self) -> Option<Arc<KeySet>> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl KeySet {
    /// By `kid`; a token without one may use the set's only key of its algorithm's family.
    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<Arc<DecodingKey>> {
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
