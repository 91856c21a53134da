//! Events a Redis without persistence lost: when a consumer loop finds its group gone (Redis
//! restarted empty), the entries no member had read yet went with the stream. The relay had
//! marked them published when Redis took them, so nothing would publish them again: the loop
//! asks the outbox to, from just before the last entry it read. Consumers are idempotent (the
//! webhook fan-out stores one delivery per event), so what had arrived is only seen twice; live
//! subscribers may see those events twice too.
//!
//! Not recovered: entries some member had read and refused, pending for a retry, that were
//! older than the margin; and anything lost while no instance was running (a loop that starts
//! on an empty Redis cannot tell it from a new one). Redis with AOF persistence loses neither.

use std::sync::Arc;

use application::ports::OutboxRelayStore;
use chrono::{DateTime, TimeDelta, Utc};

/// Taken off the last read entry's time: the entry ids are Redis's clock, `published_at` is the
/// instances' clocks, and a few seconds of difference between hosts must not lose an event.
const CLOCK_MARGIN: TimeDelta = TimeDelta::seconds(10);

pub(super) struct LostEvents {
    /// Where they are published again from; `None` (a bus without an outbox, as in the bus's
    /// own tests): the loss is only logged.
    outbox: Option<Arc<dyn OutboxRelayStore>>,
    /// Publish again everything published since then; kept until the outbox took the request.
    pending: Option<DateTime<Utc>>,
}

impl LostEvents {
    pub(super) fn new(outbox: Option<Arc<dyn OutboxRelayStore>>) -> LostEvents {
        LostEvents { outbox, pending: None }
    }

    /// The group was lost: whatever was published after `last_read_id` (this loop's last
    /// entry), or after `started` when it read none, may have been lost with it.
    pub(super) fn lost_after(&mut self, last_read_id: Option<&str>, started: DateTime<Utc>) {
        let after = last_read_id.and_then(entry_time).unwrap_or(started) - CLOCK_MARGIN;
        self.pending = Some(self.pending.map_or(after, |pending| pending.min(after)));
    }

    /// Asks the outbox to publish the lost events again. While the database fails the request
    /// is kept, and made again on the next call.
    pub(super) async fn recover(&mut self, group: &str) {
        let Some(since) = self.pending else { return };
        let Some(outbox) = &self.outbox else {
            tracing::error!(consumer = group, %since, "event bus: events published since then may be lost");
            self.pending = None;
            return;
        };
        match outbox.republish_since(since).await {
            Ok(events) => {
                tracing::warn!(consumer = group, %since, events, "event bus: Redis lost the stream; the events published since then are published again");
                self.pending = None;
            }
            Err(error) => {
                tracing::warn!(consumer = group, %since, %error, "event bus: cannot publish the lost events again yet; retrying");
            }
        }
    }
}

/// The time in a stream entry id (`<milliseconds>-<sequence>`).
fn entry_time(id: &str) -> Option<DateTime<Utc>> {
    let millis = id.split_once('-').map_or(id, |(millis, _)| millis).parse::<i64>().ok()?;
    DateTime::from_timestamp_millis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_id_is_a_time_in_milliseconds() {
        let at = entry_time("1700000000123-4").unwrap();
        assert_eq!(at.timestamp_millis(), 1_700_000_000_123);
        assert!(entry_time("not-an-id").is_none());
    }

    #[test]
    fn a_loss_reaches_back_from_the_earliest_point_named() {
        let started = DateTime::from_timestamp_millis(1_700_000_100_000).unwrap();
        let mut lost = LostEvents::new(None);
        lost.lost_after(Some("1700000050000-0"), started);
        lost.lost_after(None, started);
        assert_eq!(lost.pending.unwrap().timestamp_millis(), 1_700_000_050_000 - 10_000);
    }
}
