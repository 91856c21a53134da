use chrono::{DateTime, Utc};
use uuid::Uuid;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        // Storage keeps microseconds; trimming here keeps loaded and fresh aggregates equal.
        let now = Utc::now();
        DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
    }
}

pub trait IdGenerator: Send + Sync {
    fn new_id(&self) -> Uuid;
}

/// Time-ordered ids: index-friendly inserts, and a stable newest-first order for cursors.
pub struct UuidV7Ids;

impl IdGenerator for UuidV7Ids {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}
