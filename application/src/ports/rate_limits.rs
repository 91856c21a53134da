//! Request rates per key (a tenant's `requests_per_minute`), counted where every instance that
//! serves the tenant counts them.

use async_trait::async_trait;

/// Refused: the key's minute is used up; retry after this many seconds (when the minute ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// Fixed windows of one UTC minute per key. In memory, each instance counts its own; on Redis,
/// the fleet shares one count.
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Counts `n` requests of `key` against `limit` per minute; all or none are admitted. Never
    /// fails: a store that cannot count decides by itself (see its adapter) rather than refuse.
    async fn admit(&self, key: &str, limit: u64, n: u64) -> Result<(), RetryAfter>;
}
