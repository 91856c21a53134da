//! How many deliveries of a tenant the dispatcher claims ahead of its attempts: as many as its
//! slots can send well within the time a claimed delivery may wait (`start_within`), judged by
//! how long the tenant's endpoint has been taking. A fast endpoint gets deep claims, so one
//! claim (and one wait for SQLite's writer) carries many deliveries; a slow one gets few, so
//! its claimed deliveries do not sit out their lease.

use std::{collections::HashMap, time::Duration};

use domain::TenantId;

/// Weight of the newest attempt in the running average.
const NEWEST_WEIGHT: f64 = 0.2;
/// Only the deliveries the slots can send in this share of `start_within` are claimed ahead:
/// the rest of it absorbs a slower spell and the wait for the claim itself.
const SAFETY_SHARE: f64 = 0.25;

#[derive(Default)]
pub(super) struct Pace {
    /// Per tenant: its attempts' latency, in ms, as a running average.
    latency_ms: HashMap<TenantId, f64>,
}

impl Pace {
    pub(super) fn observe(&mut self, tenant: &TenantId, latency: Duration) {
        let ms = latency.as_secs_f64() * 1000.0;
        match self.latency_ms.get_mut(tenant) {
            Some(average) => *average += NEWEST_WEIGHT * (ms - *average),
            None => {
                self.latency_ms.insert(tenant.clone(), ms);
            }
        }
    }

    /// Deliveries of `tenant` to claim beyond its `per_tenant` slots: what its slots send in a
    /// safe share of `start_within`, between `per_tenant` and `max_ahead`; `per_tenant` while
    /// its pace is unknown. (A tenant's very first claim, before this process holds any of it,
    /// may take the whole depth; `start_within` keeps that within the lease.)
    pub(super) fn ahead(
        &self,
        tenant: &TenantId,
        per_tenant: usize,
        max_ahead: usize,
        start_within: Duration,
    ) -> usize {
        let least = per_tenant.min(max_ahead);
        let Some(ms) = self.latency_ms.get(tenant) else { return least };
        let window_ms = start_within.as_secs_f64() * 1000.0 * SAFETY_SHARE;
        let waves = window_ms / ms.max(1.0);
        let ahead = (per_tenant as f64 * waves).min(max_ahead as f64) as usize;
        ahead.clamp(least, max_ahead)
    }

    /// Tenants whose pace is known.
    pub(super) fn tenants(&self) -> impl Iterator<Item = &TenantId> {
        self.latency_ms.keys()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITHIN: Duration = Duration::from_secs(15);

    fn tenant(id: &str) -> TenantId {
        TenantId::new(id).unwrap()
    }

    #[test]
    fn fast_endpoints_are_claimed_deep_slow_ones_shallow_unknown_ones_one_slot_deep() {
        let mut pace = Pace::default();
        let (fast, slow, unknown) = (tenant("fast"), tenant("slow"), tenant("new"));
        pace.observe(&fast, Duration::from_millis(3));
        pace.observe(&slow, Duration::from_secs(10));
        assert_eq!(pace.ahead(&fast, 16, 112, WITHIN), 112);
        assert_eq!(pace.ahead(&slow, 16, 112, WITHIN), 16);
        assert_eq!(pace.ahead(&unknown, 16, 112, WITHIN), 16);
        // 16 slots at 2 s each send 16 × 1.875 = 30 in the safe share (3.75 s) of 15 s.
        let middling = tenant("middling");
        pace.observe(&middling, Duration::from_secs(2));
        assert_eq!(pace.ahead(&middling, 16, 112, WITHIN), 30);
    }

    #[test]
    fn the_average_follows_an_endpoint_that_slows_down() {
        let mut pace = Pace::default();
        let t = tenant("t");
        pace.observe(&t, Duration::from_millis(2));
        for _ in 0..30 {
            pace.observe(&t, Duration::from_secs(8));
        }
        assert_eq!(pace.ahead(&t, 16, 112, WITHIN), 16, "slow now: one slot's worth again");
    }
}
