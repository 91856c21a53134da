//! Tokens already verified, so a client reusing its bearer token pays for the RSA/ECDSA check
//! once instead of on every request.
//!
//! An entry is the `Caller` a token resolved to, under a SHA-256 of the token and the tenant hint
//! (the raw token is never kept, and one token may resolve differently under another
//! `X-Tenant-Id`). It is served only while the token has not expired, no longer than `max_age`
//! after it was verified, and only under the config generation it was verified against. Only
//! successes are stored: refused tokens cannot fill the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use application::Caller;
use sha2::{Digest, Sha256};

/// Independent locks, so concurrent requests rarely wait on one another.
const SHARDS: usize = 16;

/// Enough for the active tokens of a busy instance; each entry is a few hundred bytes.
pub(super) const DEFAULT_CAPACITY: usize = 10_000;

/// Seconds since the Unix epoch, the unit of `exp`; tests pass one they can move forward.
pub(super) type UnixNow = Arc<dyn Fn() -> u64 + Send + Sync>;

/// What an entry is found by: the token and the tenant hint it came with, hashed together.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct TokenKey([u8; 32]);

impl TokenKey {
    pub(super) fn new(token: &str, hint: Option<&str>) -> Self {
        let mut sha = Sha256::new();
        // The token's length first, so no (token, hint) pair hashes like another one cut elsewhere.
        sha.update((token.len() as u64).to_be_bytes());
        sha.update(token.as_bytes());
        match hint {
            None => sha.update([0]),
            Some(hint) => {
                sha.update([1]);
                sha.update(hint.as_bytes());
            }
        }
        Self(sha.finalize().into())
    }

    fn shard(&self) -> usize {
        usize::from(self.0[0]) % SHARDS
    }
}

struct Entry {
    // Shared, so a hit clones a pointer under the lock and the strings outside it.
    caller: Arc<Caller>,
    /// Unix second from which the entry is dead.
    expires_at: u64,
    /// `PreparedConfig::generation` the token was verified against.
    config: u64,
}

impl Entry {
    fn serves(&self, now: u64, config: u64) -> bool {
        now < self.expires_at && self.config == config
    }
}

pub(super) struct VerifiedTokens {
    shards: Vec<Mutex<HashMap<TokenKey, Entry>>>,
    per_shard: usize,
    max_age: u64,
    now: UnixNow,
}

impl VerifiedTokens {
    /// `max_age` bounds how long a verification is trusted whatever the token's `exp`: a key the
    /// IdP withdraws stops working once the JWKS cache has refreshed, and cached tokens it signed
    /// must not outlive that by much more.
    pub(super) fn new(capacity: usize, max_age: Duration) -> Self {
        Self::with_clock(capacity, max_age, Arc::new(jsonwebtoken::get_current_timestamp))
    }

    pub(super) fn with_clock(capacity: usize, max_age: Duration, now: UnixNow) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            per_shard: (capacity / SHARDS).max(1),
            max_age: max_age.as_secs(),
            now,
        }
    }

    /// The caller `key`'s token was verified as, if that still holds under config `config`.
    pub(super) fn get(&self, key: &TokenKey, config: u64) -> Option<Caller> {
        let now = (self.now)();
        let caller = {
            let mut shard = self.shard(key);
            match shard.get(key) {
                Some(entry) if entry.serves(now, config) => Arc::clone(&entry.caller),
                Some(_) => {
                    shard.remove(key);
                    return None;
                }
                None => return None,
            }
        };
        Some(Caller::clone(&caller))
    }

    /// Remembers a verified token until its `exp` (no leeway: the cache never stretches a
    /// token's life) or `max_age` from now, whichever comes first.
    pub(super) fn insert(&self, key: TokenKey, caller: &Caller, exp: u64, config: u64) {
        let now = (self.now)();
        let expires_at = exp.min(now.saturating_add(self.max_age));
        if expires_at <= now {
            return;
        }
        let entry = Entry { caller: Arc::new(caller.clone()), expires_at, config };
        let mut shard = self.shard(&key);
        if shard.len() >= self.per_shard && !shard.contains_key(&key) {
            // A sweep of one shard (a few hundred entries), once per that many inserts at most.
            shard.retain(|_, entry| entry.serves(now, config));
            if shard.len() >= self.per_shard {
                drop_half(&mut shard);
            }
        }
        shard.insert(key, entry);
    }

    /// The most entries it ever holds.
    #[cfg(test)]
    pub(super) fn capacity(&self) -> usize {
        self.per_shard * SHARDS
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        (0..SHARDS).map(|i| self.shards[i].lock().unwrap_or_else(|p| p.into_inner()).len()).sum()
    }

    fn shard(&self, key: &TokenKey) -> MutexGuard<'_, HashMap<TokenKey, Entry>> {
        // A poisoned shard still holds whole entries (each change is one map operation).
        self.shards[key.shard()].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Evicts the first half in iteration order, which follows the map's randomly seeded hasher: an
/// arbitrary half, at no cost of tracking age.
fn drop_half(shard: &mut HashMap<TokenKey, Entry>) {
    let evict = shard.len().div_ceil(2);
    let mut seen = 0;
    shard.retain(|_, _| {
        seen += 1;
        seen > evict
    });
}

/// A Unix clock that moves with the monotonic `now`, so a test aging key sets by hand ages the
/// verified tokens alike.
#[cfg(test)]
pub(super) fn following(now: super::jwks::Now) -> UnixNow {
    let (start, unix_start) = (now(), jsonwebtoken::get_current_timestamp());
    Arc::new(move || unix_start + now().saturating_duration_since(start).as_secs())
}
