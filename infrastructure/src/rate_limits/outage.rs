//! While Redis does not answer: requests are admitted without counting (fail open) for at most
//! `fail_open_for`, then counted per instance until Redis answers again. Redis is asked again at
//! most once per `retry_every`, so an outage costs a request nothing but a clock read. Each
//! outage is logged once when it starts and once when it ends.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// Ask Redis.
    Redis,
    /// Admit without counting.
    FailOpen,
    /// Count in this process.
    Local,
}

#[derive(Debug, Default)]
pub(super) struct Outage {
    state: Mutex<Option<Down>>,
}

#[derive(Debug, Clone, Copy)]
struct Down {
    since: Instant,
    next_try: Instant,
}

impl Outage {
    /// How the next request is decided.
    pub(super) fn mode(&self, now: Instant, fail_open_for: Duration) -> Mode {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match *state {
            None => Mode::Redis,
            Some(down) if now >= down.next_try => Mode::Redis,
            Some(down) => degraded(down, now, fail_open_for),
        }
    }

    /// Redis did not answer: how this request is decided instead.
    pub(super) fn failed(
        &self,
        now: Instant,
        fail_open_for: Duration,
        retry_every: Duration,
        why: &dyn std::fmt::Display,
    ) -> Mode {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let down = match *state {
            Some(down) => Down { next_try: now + retry_every, ..down },
            None => {
                tracing::warn!(
                    error = %why,
                    fail_open_secs = fail_open_for.as_secs(),
                    "rate limits: Redis does not answer; admitting requests uncounted for up to the fail-open period, then counting per instance until it is back"
                );
                Down { since: now, next_try: now + retry_every }
            }
        };
        *state = Some(down);
        degraded(down, now, fail_open_for)
    }

    /// Redis answered.
    pub(super) fn answered(&self, now: Instant) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(down) = state.take() {
            tracing::info!(
                outage_secs = now.saturating_duration_since(down.since).as_secs(),
                "rate limits: Redis answers again; counting for the fleet"
            );
        }
    }
}

fn degraded(down: Down, now: Instant, fail_open_for: Duration) -> Mode {
    if now.saturating_duration_since(down.since) < fail_open_for { Mode::FailOpen } else { Mode::Local }
}
