//! The event bus: how outbox events leave the database and reach their consumers.
//!
//! The relay claims unpublished outbox rows and hands them to [`EventBus::publish`]; the row is
//! marked published only once `publish` has returned `Ok`, so a crash in between publishes again
//! (at least once). Durable consumers ([`EventConsumer`]) must therefore be idempotent by event
//! id. Live listeners ([`LiveListener`], the GraphQL subscriptions) see events best effort.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::TenantId;
use uuid::Uuid;

/// One domain event as it travels: the normative envelope (`payload`, JSON text) plus the
/// fields consumers route on, so no consumer has to parse the payload to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventEnvelope {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub event_type: String,
    pub aggregate_id: String,
    pub aggregate_version: i64,
    pub occurred_at: DateTime<Utc>,
    /// `{id, type, tenantId, occurredAt, aggregateId, aggregateVersion, data}` as JSON text.
    pub payload: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The bus cannot be reached now (Redis down): the events stay in the outbox and are
    /// published again later. The text never holds a credential.
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
    /// A durable consumer refused the batch; it is offered again later.
    #[error("event consumer {consumer} failed: {reason}")]
    ConsumerFailed { consumer: &'static str, reason: String },
}

/// Where the relay publishes. In-process (the default) or Redis Streams (`--redis-url`).
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Accepts `events` in the given order. Returns `Ok` only when the bus holds them durably
    /// (Redis: `XADD` answered) or, in-process, when every durable consumer has taken them.
    async fn publish(&self, events: &[EventEnvelope]) -> Result<(), BusError>;

    /// For `/readyz`: whether the bus can take events now.
    async fn ready(&self) -> Result<(), BusError>;
}

/// A consumer that must see every event at least once, in order per aggregate. It must be
/// idempotent: the same event may arrive again after a crash or a Redis redelivery.
#[async_trait]
pub trait EventConsumer: Send + Sync {
    /// A stable name: the Redis consumer group, and the name in logs.
    fn name(&self) -> &'static str;

    /// Takes a batch; an error means none of it counts as taken and the batch comes again.
    async fn consume(&self, events: &[EventEnvelope]) -> Result<(), ConsumerError>;
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConsumerError(pub String);

/// Sees events as they pass (GraphQL subscriptions). Must not block: it is called on the
/// publishing path. Best effort: an instance that is down misses what passed meanwhile.
pub trait LiveListener: Send + Sync {
    fn observe(&self, event: &EventEnvelope);
}
