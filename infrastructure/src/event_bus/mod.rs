//! The event bus on Redis Streams: the outbox relay publishes here, durable consumers and the
//! live feeds of every instance read from here.
//!
//! One global stream (`oms:events`) holds every tenant's events in publish order, trimmed with
//! an approximate `MAXLEN`. Each [`EventConsumer`](application::ports::EventConsumer) is a Redis
//! consumer group named after it, so every server instance shares its work and each event is
//! taken once per group (at least once: consumers are idempotent). Each live feed follows the
//! stream without a group, so every instance sees every instance's events.
//!
//! Layout: `bus` (the public handle, connecting, spawning loops), `publish` (`EventBus`),
//! `options`, `errors`, `entry_fields` (envelope <-> stream fields), `consumer_loop` (a durable
//! consumer's loop), `group_member` (read new entries, hand them over, acknowledge), `reclaim`
//! (retries through `XAUTOCLAIM`), `dead_letter`, `group` (creating the consumer group, and where
//! it starts), `live_feed`, `dedicated_connection` (a loop's own connection with reconnect and
//! backoff), `recovery` (publishing again from the outbox what a Redis restarted empty lost),
//! `backoff`, `shutdown`, `member_name`, `redact` (no password in errors or logs), `tls` (the
//! rustls crypto provider for `rediss://`), `stream_group` (a member's stream, group and dead
//! letters, which `reclaim` and `dead_letter` work on).
//!
//! The inbound `add_order` streams (SPEC.md section 6, "Inbound") reuse the same parts on
//! streams of the tenants' own: `inbound_loop` (one reader over every tenant's stream),
//! `inbound_member` (one message run, acknowledged, retried or dead-lettered) and
//! `inbound_fields` (stream names, entry fields).

mod backoff;
mod bus;
mod consumer_loop;
mod dead_letter;
mod dedicated_connection;
mod entry_fields;
mod errors;
mod group;
mod group_member;
mod inbound_fields;
mod inbound_loop;
mod inbound_member;
mod live_feed;
mod member_name;
mod options;
mod publish;
mod reclaim;
mod recovery;
mod redact;
mod shutdown;
mod stream_group;
#[cfg(test)]
mod tests;
mod tls;

pub use bus::RedisEventBus;
pub use errors::RedisBusError;
pub use options::RedisBusOptions;
