//! When a failed delivery is tried again, and when we stop.
//!
//! Ten attempts over about 75 hours: quick retries ride out a blip or a deploy, and the long
//! ones a receiver that is down over a weekend. The n-th retry waits 20 s × 5ⁿ⁻¹, capped at 18 h,
//! then moved by up to ±20 % at random so that deliveries failing together do not retry together.
//!
//! | after attempt | delay before the next (before jitter) | next attempt, after the first |
//! |--------------:|---------------------------------------|------------------------------:|
//! |             1 | 20 s                                  |                          20 s |
//! |             2 | 1 min 40 s                            |                         2 min |
//! |             3 | 8 min 20 s                            |                   10 min 20 s |
//! |             4 | 41 min 40 s                           |                        52 min |
//! |             5 | 3 h 28 min 20 s                       |               4 h 20 min 20 s |
//! |             6 | 17 h 21 min 40 s                      |                   21 h 42 min |
//! |             7 | 18 h (cap)                            |                   39 h 42 min |
//! |             8 | 18 h (cap)                            |                   57 h 42 min |
//! |             9 | 18 h (cap)                            |                   75 h 42 min |
//! |            10 | none: the delivery has failed         |                               |
//!
//! A receiver's `Retry-After` is honoured when it asks for longer than the schedule would wait,
//! up to 24 h; it never adds attempts. An endpoint that has failed for `DISABLE_AFTER` is
//! disabled by the caller, and one answering 410 Gone right away.

use std::time::Duration;

use rand::Rng;

/// Attempts of one delivery, the first included.
pub const MAX_ATTEMPTS: u32 = 10;
/// An endpoint whose deliveries have all failed for this long is disabled.
pub const DISABLE_AFTER: Duration = Duration::from_secs(5 * 24 * 60 * 60);
/// The longest wait a `Retry-After` can impose.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

const FIRST_DELAY: Duration = Duration::from_secs(20);
const GROWTH: u32 = 5;
const MAX_DELAY: Duration = Duration::from_secs(18 * 60 * 60);
/// Delays move by up to this fraction either way.
const JITTER: f64 = 0.2;

/// Where the randomness of the jitter comes from; tests pin it.
pub trait JitterSource {
    /// A number in `[0, 1]`: 0 shortens a delay by the full 20 %, 0.5 leaves it, 1 lengthens it
    /// by 20 %. Values outside are clamped.
    fn unit(&mut self) -> f64;
}

/// The thread-local random generator: what production uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomJitter;

impl JitterSource for RandomJitter {
    fn unit(&mut self) -> f64 {
        rand::rng().random::<f64>()
    }
}

/// Always the same point of the jitter range.
#[derive(Debug, Clone, Copy)]
pub struct FixedJitter(pub f64);

impl FixedJitter {
    /// The scheduled delay exactly.
    pub fn none() -> Self {
        Self(0.5)
    }
}

impl JitterSource for FixedJitter {
    fn unit(&mut self) -> f64 {
        self.0
    }
}

/// How long to wait before the next attempt, once `attempts_made` attempts have failed; `None`
/// when the delivery should be given up. With no attempt made yet the first one is due now.
pub fn next_retry_delay(
    attempts_made: u32,
    retry_after: Option<Duration>,
    jitter: &mut impl JitterSource,
) -> Option<Duration> {
    if attempts_made >= MAX_ATTEMPTS {
        return None;
    }
    let Some(retries_made) = attempts_made.checked_sub(1) else {
        return Some(Duration::ZERO);
    };
    let scheduled = scheduled_delay(retries_made);
    let spread = 1.0 + JITTER * (2.0 * jitter.unit().clamp(0.0, 1.0) - 1.0);
    let jittered = scheduled.mul_f64(spread);
    let asked = retry_after.unwrap_or_default().min(MAX_RETRY_AFTER);
    Some(jittered.max(asked))
}

/// `FIRST_DELAY × GROWTH^retries_made`, capped at `MAX_DELAY`.
fn scheduled_delay(retries_made: u32) -> Duration {
    GROWTH
        .checked_pow(retries_made)
        .and_then(|factor| FIRST_DELAY.checked_mul(factor))
        .map_or(MAX_DELAY, |delay| delay.min(MAX_DELAY))
}

/// The schedule above with random jitter, as the dispatcher uses it.
pub struct StandardRetrySchedule;

impl application::ports::RetrySchedule for StandardRetrySchedule {
    fn next_retry_delay(&self, attempts_made: u32, retry_after: Option<Duration>) -> Option<Duration> {
        next_retry_delay(attempts_made, retry_after, &mut RandomJitter)
    }

    fn disable_after(&self) -> Duration {
        DISABLE_AFTER
    }
}

/// 410 Gone: the receiver says the endpoint no longer exists, so it should be disabled now
/// rather than retried for days.
pub fn status_means_gone(status: u16) -> bool {
    status == 410
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    fn delays(jitter: FixedJitter) -> Vec<Duration> {
        (1..MAX_ATTEMPTS).map(|made| next_retry_delay(made, None, &mut { jitter }).expect("retry due")).collect()
    }

    #[test]
    fn the_schedule_is_the_documented_table() {
        let expected = [20, 100, 500, 2_500, 12_500, 62_500, 64_800, 64_800, 64_800].map(secs);
        assert_eq!(delays(FixedJitter::none()), expected);
    }

    #[test]
    fn ten_attempts_span_about_75_hours_and_then_the_delivery_is_given_up() {
        let total: Duration = delays(FixedJitter::none()).iter().sum();
        assert!((secs(74 * 3600)..=secs(77 * 3600)).contains(&total), "{total:?}");
        assert_eq!(next_retry_delay(MAX_ATTEMPTS, None, &mut FixedJitter::none()), None);
        assert_eq!(next_retry_delay(u32::MAX, Some(secs(5)), &mut FixedJitter::none()), None);
    }

    #[test]
    fn the_first_attempt_is_due_now_and_the_first_retry_within_30_seconds() {
        assert_eq!(next_retry_delay(0, None, &mut FixedJitter::none()), Some(Duration::ZERO));
        for unit in [0.0, 0.5, 1.0] {
            let first_retry = next_retry_delay(1, None, &mut FixedJitter(unit)).expect("retry due");
            assert!(first_retry <= secs(30), "{first_retry:?}");
        }
    }

    #[test]
    fn jitter_moves_a_delay_by_at_most_20_percent() {
        assert_eq!(next_retry_delay(2, None, &mut FixedJitter(0.0)), Some(secs(80)));
        assert_eq!(next_retry_delay(2, None, &mut FixedJitter(1.0)), Some(secs(120)));
        // Out-of-range samples are clamped rather than trusted.
        assert_eq!(next_retry_delay(2, None, &mut FixedJitter(7.0)), Some(secs(120)));
        for _ in 0..100 {
            let delay = next_retry_delay(2, None, &mut RandomJitter).expect("retry due");
            assert!((secs(80)..=secs(120)).contains(&delay), "{delay:?}");
        }
    }

    #[test]
    fn retry_after_wins_only_when_longer_and_is_capped_at_a_day() {
        assert_eq!(next_retry_delay(1, Some(secs(5)), &mut FixedJitter::none()), Some(secs(20)));
        assert_eq!(next_retry_delay(1, Some(secs(600)), &mut FixedJitter::none()), Some(secs(600)));
        assert_eq!(next_retry_delay(1, Some(secs(7 * 24 * 3600)), &mut FixedJitter::none()), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn only_410_means_gone() {
        assert!(status_means_gone(410));
        for status in [200, 404, 429, 500, 503] {
            assert!(!status_means_gone(status), "{status}");
        }
        assert_eq!(DISABLE_AFTER, secs(5 * 24 * 3600));
    }
}
