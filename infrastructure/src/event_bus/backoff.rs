use std::time::Duration;

use rand::Rng;

const FIRST_WAIT: Duration = Duration::from_millis(100);

/// Waits between reconnect attempts: doubling from 100 ms up to a cap, with a little jitter so
/// that instances that lost Redis together do not all come back in the same instant.
pub(super) struct Backoff {
    next: Duration,
    cap: Duration,
}

impl Backoff {
    pub(super) fn new(cap: Duration) -> Backoff {
        Backoff { next: FIRST_WAIT.min(cap), cap }
    }

    pub(super) fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = (self.next * 2).min(self.cap);
        let jitter_ms = u64::try_from(wait.as_millis() / 4).unwrap_or(0);
        wait + Duration::from_millis(rand::rng().random_range(0..=jitter_ms))
    }

    pub(super) fn reset(&mut self) {
        self.next = FIRST_WAIT.min(self.cap);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_the_cap_and_start_over_after_a_reset() {
        let mut backoff = Backoff::new(Duration::from_millis(500));
        let waits: Vec<Duration> = (0..5).map(|_| backoff.next_wait()).collect();
        let floors = [100, 200, 400, 500, 500].map(Duration::from_millis);
        for (wait, floor) in waits.iter().zip(floors) {
            assert!(*wait >= floor && *wait <= floor + floor / 4, "{wait:?} vs {floor:?}");
        }
        backoff.reset();
        assert!(backoff.next_wait() < Duration::from_millis(200));
    }
}
