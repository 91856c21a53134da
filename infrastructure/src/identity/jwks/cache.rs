//! The per-URI cache: which set a request is served from, and when the IdP is asked again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use application::ports::AuthError;
use jsonwebtoken::{Algorithm, DecodingKey};

use super::fetch::Fetcher;
use super::key_set::KeySet;
use super::settings::JwksSettings;
use crate::identity::refusal::invalid;

/// The monotonic clock ages are measured on; tests pass one they can move forward.
pub(in crate::identity) type Now = Arc<dyn Fn() -> Instant + Send + Sync>;

pub(in crate::identity) struct JwksCache {
    fetcher: Fetcher,
    settings: JwksSettings,
    now: Now,
    // Keys are jwks_uris from the config, so the map is bounded by the config's size.
    entries: Mutex<HashMap<String, Arc<Entry>>>,
}

#[derive(Default)]
struct Entry {
    keys: RwLock<Option<Arc<KeySet>>>,
    // Held across every fetch: concurrent misses wait for one fetch instead of each making one,
    // and a background refresh and a forced refetch never run side by side.
    fetches: tokio::sync::Mutex<FetchLog>,
    /// A background refresh is under way (set before it is spawned, so stale hits spawn one).
    refreshing: AtomicBool,
}

#[derive(Default)]
struct FetchLog {
    last_attempt: Option<Instant>,
    last_failure: Option<String>,
}

impl FetchLog {
    fn attempted_within(&self, interval: Duration, now: Instant) -> bool {
        self.last_attempt.is_some_and(|at| now.saturating_duration_since(at) < interval)
    }
}

impl JwksCache {
    pub(in crate::identity) fn new(http: reqwest::Client, settings: JwksSettings) -> Self {
        Self::with_clock(http, settings, Arc::new(Instant::now))
    }

    pub(in crate::identity) fn with_clock(http: reqwest::Client, settings: JwksSettings, now: Now) -> Self {
        let fetcher =
            Fetcher { http, timeout: settings.fetch_timeout, max_document_bytes: settings.max_document_bytes };
        Self { fetcher, settings, now, entries: Mutex::new(HashMap::new()) }
    }

    /// The key that must have signed a token with this `kid` and `alg`.
    pub(in crate::identity) async fn key(
        &self,
        uri: &str,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<DecodingKey>, AuthError> {
        let entry = self.entry(uri);
        let now = (self.now)();
        if let Some(set) = self.trusted(&entry, now)
            && let Some(key) = set.find(kid, alg)
        {
            if set.age(now) >= self.settings.refresh_after {
                self.refresh_in_background(uri, &entry, now);
            }
            return Ok(key);
        }
        self.fetch_for(uri, &entry, kid, alg).await
    }

    /// A miss: no trusted set, or one without the token's key. Fetches in the foreground unless
    /// the URI was fetched within `min_refetch_interval`.
    async fn fetch_for(
        &self,
        uri: &str,
        entry: &Entry,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Arc<DecodingKey>, AuthError> {
        let mut log = entry.fetches.lock().await;
        let now = (self.now)();
        let trusted = self.trusted(entry, now);
        // Whoever held the lock before us may just have fetched the key we need.
        if let Some(key) = trusted.as_ref().and_then(|set| set.find(kid, alg)) {
            return Ok(key);
        }
        if log.attempted_within(self.settings.min_refetch_interval, now) {
            return Err(match (&log.last_failure, &trusted) {
                (Some(failure), _) => AuthError::Unavailable(failure.clone()),
                (None, Some(_)) => invalid("unknown signing key (kid)"),
                (None, None) if entry.snapshot().is_some() => {
                    AuthError::Unavailable("the IdP's signing keys are too old to trust".to_owned())
                }
                (None, None) => AuthError::Unavailable("signing keys not fetched yet".to_owned()),
            });
        }
        log.last_attempt = Some(now);
        match self.fetcher.fetch(uri).await {
            Ok(document) => {
                log.last_failure = None;
                let set = Arc::new(KeySet::new(&document, now));
                entry.store(Arc::clone(&set));
                set.find(kid, alg).ok_or_else(|| invalid("unknown signing key (kid)"))
            }
            Err(failure) => {
                tracing::warn!(jwks_uri = uri, reason = %failure, "fetching the IdP's signing keys failed");
                log.last_failure = Some(failure.clone());
                Err(AuthError::Unavailable(failure))
            }
        }
    }

    /// Starts one refresh of `uri` unless one is under way; the caller goes on with the set it has.
    fn refresh_in_background(&self, uri: &str, entry: &Arc<Entry>, now: Instant) {
        // A fetch under way, or one within the interval (the IdP just failed): nothing to start.
        match entry.fetches.try_lock() {
            Ok(log) if !log.attempted_within(self.settings.min_refetch_interval, now) => {}
            _ => return,
        }
        if entry.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let refresh = Refresh {
            entry: Arc::clone(entry),
            uri: uri.to_owned(),
            fetcher: self.fetcher.clone(),
            now: Arc::clone(&self.now),
            refresh_after: self.settings.refresh_after,
            min_refetch_interval: self.settings.min_refetch_interval,
        };
        tokio::spawn(refresh.run());
    }

    /// The cached set, unless it is past `max_staleness`.
    fn trusted(&self, entry: &Entry, now: Instant) -> Option<Arc<KeySet>> {
        entry.snapshot().filter(|set| set.age(now) < self.settings.max_staleness)
    }

    fn entry(&self, uri: &str) -> Arc<Entry> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get(uri) {
            return Arc::clone(entry);
        }
        Arc::clone(entries.entry(uri.to_owned()).or_default())
    }
}

impl Entry {
    fn snapshot(&self) -> Option<Arc<KeySet>> {
        self.keys.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn store(&self, set: Arc<KeySet>) {
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = Some(set);
    }
}

/// A background refresh: owns what it needs, since the request that started it has moved on.
struct Refresh {
    entry: Arc<Entry>,
    uri: String,
    fetcher: Fetcher,
    now: Now,
    refresh_after: Duration,
    min_refetch_interval: Duration,
}

impl Refresh {
    async fn run(self) {
        let _done = RefreshingFlag(Arc::clone(&self.entry));
        let mut log = self.entry.fetches.lock().await;
        let now = (self.now)();
        // A forced refetch may have renewed the set while we waited for the lock.
        if self.entry.snapshot().is_some_and(|set| set.age(now) < self.refresh_after) {
            return;
        }
        // An IdP that just failed is not asked again on every request that finds the set stale.
        if log.attempted_within(self.min_refetch_interval, now) {
            return;
        }
        log.last_attempt = Some(now);
        match self.fetcher.fetch(&self.uri).await {
            Ok(document) => {
                log.last_failure = None;
                self.entry.store(Arc::new(KeySet::new(&document, now)));
            }
            Err(failure) => {
                tracing::warn!(
                    jwks_uri = self.uri,
                    reason = %failure,
                    "refreshing the IdP's signing keys failed; serving the cached ones"
                );
                log.last_failure = Some(failure);
            }
        }
    }
}

/// Clears `refreshing` however the refresh ends (also when its task is cancelled), so a later
/// stale hit can start the next one.
struct RefreshingFlag(Arc<Entry>);

impl Drop for RefreshingFlag {
    fn drop(&mut self) {
        self.0.refreshing.store(false, Ordering::Release);
    }
}
