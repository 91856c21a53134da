//! The plan's `limits.requests_per_minute`, per tenant, in fixed windows of one UTC minute.
//!
//! Counted per instance: N instances behind a load balancer admit up to N times the limit. That
//! is the honest reading of a limit meant to protect each process; a shared count would need the
//! event bus's Redis, which is optional.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

/// Refused: retry after this many seconds (when the current minute ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryAfter(pub u64);

#[derive(Default)]
pub(crate) struct RateLimiter {
    /// tenant → (minute since the epoch, requests counted in it).
    windows: Mutex<HashMap<String, (u64, u64)>>,
}

impl RateLimiter {
    /// Counts one request of `tenant` against `limit` per minute.
    pub(crate) fn admit(&self, tenant: &str, limit: u64) -> Result<(), RetryAfter> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.admit_at(tenant, limit, now)
    }

    fn admit_at(&self, tenant: &str, limit: u64, now_secs: u64) -> Result<(), RetryAfter> {
        let minute = now_secs / 60;
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        // Windows of past minutes are dead weight; sweeping when the map grows keeps it at
        // about one entry per active tenant.
        if windows.len() > 1024 {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let window = match windows.get_mut(tenant) {
            Some(window) => window,
            None => windows.entry(tenant.to_owned()).or_insert((minute, 0)),
        };
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1 >= limit {
            return Err(RetryAfter(60 - now_secs % 60));
        }
        window.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_tenant_per_minute() {
        let limiter = RateLimiter::default();
        let t = 120 * 60 + 15;
        assert_eq!(limiter.admit_at("a", 2, t), Ok(()));
        assert_eq!(limiter.admit_at("a", 2, t + 1), Ok(()));
        assert_eq!(limiter.admit_at("a", 2, t + 2), Err(RetryAfter(43)));
        assert_eq!(limiter.admit_at("b", 2, t + 2), Ok(()), "tenants are counted apart");
        assert_eq!(limiter.admit_at("a", 2, t + 45), Ok(()), "the next minute starts afresh");
    }
}
