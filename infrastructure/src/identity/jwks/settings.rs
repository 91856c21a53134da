//! Tuning of the JWKS cache. The defaults suit production; tests shorten the intervals.

use std::time::Duration;

/// How long a published key set may be trusted, and how hard we may press the IdP.
#[derive(Debug, Clone)]
pub struct JwksSettings {
    /// The whole request, connect to last byte: a slow IdP must not hold requests hostage.
    pub fetch_timeout: Duration,
    /// Fetches of one URI are at least this far apart, whatever triggers them (a token naming an
    /// unknown `kid`, a refresh, a retry after a failure): random `kid`s cannot make us hammer the IdP.
    pub min_refetch_interval: Duration,
    /// A set older than this is still served, and refreshed in the background, so a rotation or a
    /// withdrawn key is picked up without any request waiting for the IdP.
    pub refresh_after: Duration,
    /// A set older than this is no longer trusted: when the IdP has been unreachable for that long,
    /// a key it withdrew in the meantime must stop working, so tokens are refused as unavailable.
    pub max_staleness: Duration,
    pub max_document_bytes: usize,
}

impl JwksSettings {
    pub const DEFAULT_REFRESH_AFTER: Duration = Duration::from_secs(5 * 60);
    pub const DEFAULT_MAX_STALENESS: Duration = Duration::from_secs(24 * 60 * 60);
    pub const DEFAULT_MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(10);
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            fetch_timeout: Duration::from_secs(3),
            min_refetch_interval: Self::DEFAULT_MIN_REFETCH_INTERVAL,
            refresh_after: Self::DEFAULT_REFRESH_AFTER,
            max_staleness: Self::DEFAULT_MAX_STALENESS,
            max_document_bytes: 256 * 1024,
        }
    }
}
