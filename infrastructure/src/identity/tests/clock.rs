//! A monotonic clock the test moves by hand, so a key set can age by hours in no time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::identity::jwks::Now;

#[derive(Clone)]
pub struct FakeClock {
    start: Instant,
    elapsed: Arc<Mutex<Duration>>,
}

impl FakeClock {
    pub fn new() -> Self {
        Self { start: Instant::now(), elapsed: Arc::new(Mutex::new(Duration::ZERO)) }
    }

    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock().expect("lock") += by;
    }

    pub fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().expect("lock")
    }

    /// The form the JWKS cache takes.
    pub fn as_now(&self) -> Now {
        let clock = self.clone();
        Arc::new(move || clock.now())
    }
}
