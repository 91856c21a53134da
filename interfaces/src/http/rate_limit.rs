//! Fixed windows of one UTC minute, per key: the plan's `limits.requests_per_minute` per tenant,
//! and the budget of requests without a valid token per client address.
//!
//! Counted per instance: N instances behind a load balancer admit up to N times the limit. With
//! `--redis-url` the tenants' rates and the webhook routes' are counted in Redis instead
//! (`Services::rate_limits`), shared by the fleet; this counter stays for the budget of calls
//! without a valid token and for a single instance.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{SystemTime, UNIX_EPOCH},
};

use application::ports::RateLimitStore;
pub(crate) use application::ports::RetryAfter;
use async_trait::async_trait;

#[derive(Default)]
pub(crate) struct RateLimiter {
    /// key → (minute since the epoch, requests counted in it).
    windows: Mutex<HashMap<String, (u64, u64)>>,
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl RateLimiter {
    /// Counts `n` requests of `key` against `limit` per minute; all or none are admitted.
    pub(crate) fn admit(&self, key: &str, limit: u64, n: u64) -> Result<(), RetryAfter> {
        self.admit_at(key, limit, n, now_secs())
    }

    /// Whether `key` has used up its minute, without counting anything.
    pub(crate) fn exhausted(&self, key: &str, limit: u64) -> Option<RetryAfter> {
        self.exhausted_at(key, limit, now_secs())
    }

    fn exhausted_at(&self, key: &str, limit: u64, now_secs: u64) -> Option<RetryAfter> {
        let windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        match windows.get(key) {
            Some(&(minute, used)) if minute == now_secs / 60 && used >= limit => Some(RetryAfter(60 - now_secs % 60)),
            _ => None,
        }
    }

    fn admit_at(&self, key: &str, limit: u64, n: u64, now_secs: u64) -> Result<(), RetryAfter> {
        let minute = now_secs / 60;
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        // Windows of past minutes are dead weight; sweeping when the map grows keeps it at
        // about one entry per active key.
        if windows.len() > 1024 {
            windows.retain(|_, (m, _)| *m == minute);
        }
        let window = match windows.get_mut(key) {
            Some(window) => window,
            None => windows.entry(key.to_owned()).or_insert((minute, 0)),
        };
        if window.0 != minute {
            *window = (minute, 0);
        }
        if window.1.saturating_add(n) > limit {
            return Err(RetryAfter(60 - now_secs % 60));
        }
        window.1 += n;
        Ok(())
    }
}

#[async_trait]
impl RateLimitStore for RateLimiter {
    async fn admit(&self, key: &str, limit: u64, n: u64) -> Result<(), RetryAfter> {
        RateLimiter::admit(self, key, limit, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_key_per_minute() {
        let limiter = RateLimiter::default();
        let t = 120 * 60 + 15;
        assert_eq!(limiter.admit_at("a", 2, 1, t), Ok(()));
        assert_eq!(limiter.exhausted_at("a", 2, t), None);
        assert_eq!(limiter.admit_at("a", 2, 1, t + 1), Ok(()));
        assert_eq!(limiter.exhausted_at("a", 2, t + 1), Some(RetryAfter(44)));
        assert_eq!(limiter.admit_at("a", 2, 1, t + 2), Err(RetryAfter(43)));
        assert_eq!(limiter.admit_at("b", 2, 1, t + 2), Ok(()), "keys are counted apart");
        assert_eq!(limiter.admit_at("a", 2, 1, t + 45), Ok(()), "the next minute starts afresh");
    }

    #[test]
    fn several_requests_at_once_are_admitted_whole_or_not_at_all() {
        let limiter = RateLimiter::default();
        let t = 60 * 60;
        assert_eq!(limiter.admit_at("a", 10, 8, t), Ok(()));
        assert_eq!(limiter.admit_at("a", 10, 3, t), Err(RetryAfter(60)));
        assert_eq!(limiter.admit_at("a", 10, 2, t), Ok(()), "the refused three were not counted");
    }
}
