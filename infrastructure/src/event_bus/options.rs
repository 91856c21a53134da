use std::time::Duration;

use super::errors::RedisBusError;

/// How the bus uses Redis. `Default` is what a server runs with; tests shorten the times. The
/// reader of the inbound `add_order` streams runs with the same times and counts (its stream
/// names are the tenants', not `stream_key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisBusOptions {
    /// The one stream that holds every tenant's events. Default `oms:events`.
    pub stream_key: String,
    /// Approximate cap on the stream's length (`XADD … MAXLEN ~`), also applied to the
    /// dead-letter stream. Default 1,000,000. An event trimmed before a consumer group took it
    /// is lost to that group (a warning names it); size this above the longest backlog.
    pub max_len: usize,
    /// Where events go that a consumer refused `max_deliveries` times, and entries that do not
    /// parse. Default `oms:events:dead`.
    pub dead_letter_key: String,
    /// How often a consumer is offered one event before it is dead-lettered. Default 10.
    pub max_deliveries: usize,
    /// How long an event may stay taken but unacknowledged before it is offered again (to any
    /// instance: the one that took it may have died). Default 60 s. Must exceed the longest
    /// `consume` call, or a slow consumer's event is also offered elsewhere (harmless, since
    /// consumers are idempotent, but wasted work). Pending events are looked for every half
    /// of this.
    pub claim_idle: Duration,
    /// How long one `XREADGROUP` / `XREAD` waits for new events. Default 5 s. Bounds how late
    /// a retry pass runs; shutdown does not wait for it.
    pub block: Duration,
    /// At most this many events per read and per batch handed to a consumer. Default 100.
    pub read_batch: usize,
    /// Connect, command and response timeout of `publish` and `ready`; the loops' reads wait
    /// `block` plus this. Default 3 s, so a Redis outage never holds the relay (and whatever
    /// waits on it) for long.
    pub command_timeout: Duration,
    /// The longest wait between reconnect attempts of a consumer or live feed loop (the wait
    /// doubles from 100 ms up to this). Default 10 s.
    pub max_backoff: Duration,
}

impl Default for RedisBusOptions {
    fn default() -> Self {
        RedisBusOptions {
            stream_key: "oms:events".to_owned(),
            max_len: 1_000_000,
            dead_letter_key: "oms:events:dead".to_owned(),
            max_deliveries: 10,
            claim_idle: Duration::from_secs(60),
            block: Duration::from_secs(5),
            read_batch: 100,
            command_timeout: Duration::from_secs(3),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RedisBusOptions {
    pub(super) fn validate(&self) -> Result<(), RedisBusError> {
        let problem = if self.stream_key.is_empty() || self.dead_letter_key.is_empty() {
            Some("stream keys must not be empty")
        } else if self.stream_key == self.dead_letter_key {
            Some("the dead-letter stream must differ from the event stream")
        } else if self.max_len == 0 || self.max_deliveries == 0 || self.read_batch == 0 {
            Some("max_len, max_deliveries and read_batch must be at least 1")
        } else if [self.claim_idle, self.block, self.command_timeout, self.max_backoff].iter().any(|d| d.is_zero()) {
            // BLOCK 0 would mean "wait forever" to Redis.
            Some("claim_idle, block, command_timeout and max_backoff must be positive")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(RedisBusError::InvalidOptions(problem.to_owned())),
            None => Ok(()),
        }
    }

    /// How often a consumer loop looks for events left pending too long.
    pub(super) fn reclaim_every(&self) -> Duration {
        self.claim_idle / 2
    }

    /// A loop's reads block for `block`; the response may take that long plus the usual.
    pub(super) fn read_response_timeout(&self) -> Duration {
        self.block + self.command_timeout
    }
}

/// Redis takes milliseconds as integers; a sub-millisecond duration still means "some".
pub(super) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}
