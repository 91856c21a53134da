//! Time and ids a test decides: a clock that moves only when told, and ids that are the same on
//! every run, so assertions can name them.

use std::sync::{
    Mutex,
    atomic::{AtomicU64, Ordering},
};

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use super::lock;
use crate::ports::{Clock, IdGenerator};

#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *lock(&self.0) = now;
    }

    pub fn advance(&self, by: Duration) {
        *lock(&self.0) += by;
    }
}

impl Default for FixedClock {
    /// 2026-01-01T00:00:00Z: whole seconds, so stored and fresh values compare equal.
    fn default() -> Self {
        Self::at(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("a valid date"))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// Ids 00000000-0000-0000-0000-000000000001, …02, …: distinct and increasing, so the stores'
/// newest-first order (by id) is creation order, as with the UUIDv7 ids of production.
#[derive(Debug)]
pub struct SequentialIds(AtomicU64);

impl SequentialIds {
    pub fn new() -> Self {
        Self(AtomicU64::new(1))
    }
}

impl Default for SequentialIds {
    fn default() -> Self {
        Self::new()
    }
}

impl IdGenerator for SequentialIds {
    fn new_id(&self) -> Uuid {
        Uuid::from_u128(u128::from(self.0.fetch_add(1, Ordering::SeqCst)))
    }
}
