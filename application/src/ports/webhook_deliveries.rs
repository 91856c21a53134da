//! Where outbound webhook deliveries live between attempts: scheduled by the fan-out, claimed
//! by the dispatcher when due, listed to the tenant with every attempt.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::TenantId;
use uuid::Uuid;

use super::{AttemptOutcome, StoreError};

/// A tenant's outbound webhook as configured (TenantConfig `outbound_webhook`).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub url: String,
    /// `whsec_…`; never logged (Debug leaves it out).
    pub secret: String,
    /// Event-type patterns (`order.*`, `shipment.delivered`, `*`); empty means every event.
    pub events: Vec<String>,
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint").field("url", &self.url).field("events", &self.events).finish_non_exhaustive()
    }
}

/// The configured endpoints, read from the served config (in memory, no I/O).
#[async_trait]
pub trait WebhookEndpoints: Send + Sync {
    fn endpoint(&self, tenant: &TenantId) -> Option<WebhookEndpoint>;

    /// Makes `endpoint` answer from a config that holds every change committed before `at`. A
    /// change made through another instance reaches this one only on its next poll; an event
    /// that occurred after the change must not be judged by the config before it. Only worth
    /// its I/O when `endpoint` said no: a missing endpoint is the answer a stale config gets wrong
    /// for good (the event is skipped, the delivery given up).
    async fn catch_up(&self, at: DateTime<Utc>) -> Result<(), StoreError>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    Succeeded,
    /// Given up: the schedule ran out, or the endpoint answered 410 Gone.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "PENDING" => Some(Self::Pending),
            "SUCCEEDED" => Some(Self::Succeeded),
            "FAILED" => Some(Self::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub event_id: Uuid,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
}

/// A delivery claimed for one attempt: nobody else attempts it until the lease runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub event_id: Uuid,
    pub event_type: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// The event envelope, JSON text: the body of every attempt.
    pub payload: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub tenant_id: TenantId,
    pub attempted_at: DateTime<Utc>,
    pub outcome: AttemptOutcome,
}

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryNext {
    Succeeded,
    RetryAt(DateTime<Utc>),
    Failed,
}

/// The endpoint's health, as the dispatcher keeps it and the tenant sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    /// The first failure since the last success.
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    pub event_type: Option<String>,
    pub status: Option<DeliveryStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryQuery {
    pub first: u64,
    /// Keyset cursor: the id of the last delivery of the previous page (newest first).
    pub after: Option<Uuid>,
    pub filter: DeliveryFilter,
}

/// One delivery with its attempts, oldest attempt first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub created_at: DateTime<Utc>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub attempts: Vec<AttemptRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub latency: Duration,
    pub response_excerpt: String,
    /// Why the attempt failed (`timeout`, `connect: …`, `address refused: …`, `status 500`).
    pub failure: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryRecord>,
    pub has_next_page: bool,
}

#[async_trait]
pub trait WebhookDeliveries: Send + Sync {
    /// Stores new deliveries due now. A delivery of an event already scheduled for that tenant
    /// is ignored: the bus delivers at least once, the tenant receives each event once.
    async fn schedule(&self, deliveries: &[NewDelivery]) -> Result<(), StoreError>;

    /// Claims up to `limit` pending deliveries due at `now`, none of a disabled endpoint,
    /// oldest due first, and of each tenant at most `per_tenant` less its attempts already
    /// under way (`in_flight`, as the caller counts them). Each is leased until `now + lease`;
    /// a lease that runs out (a crashed instance) frees it.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
        per_tenant: usize,
        in_flight: &[(TenantId, usize)],
    ) -> Result<Vec<DueDelivery>, StoreError>;

    /// Stores a batch of attempts, each with its delivery's next state, in one transaction, and
    /// keeps each endpoint's health (a success clears `failing_since`, a failure after the
    /// tenant's last success sets it if unset). An attempt whose delivery is no longer leased
    /// (a redelivery asked for meanwhile) is kept without overwriting the delivery. Answers the
    /// health of every tenant with a failed attempt in the batch, the only ones whose endpoint
    /// may now be due for disabling.
    async fn record_attempts(
        &self,
        attempts: &[(DeliveryAttempt, DeliveryNext)],
    ) -> Result<Vec<(TenantId, EndpointHealth)>, StoreError>;

    async fn health(&self, tenant: &TenantId) -> Result<EndpointHealth, StoreError>;

    async fn disable_endpoint(&self, tenant: &TenantId, at: DateTime<Utc>, reason: &str) -> Result<(), StoreError>;

    /// Re-enables the endpoint and clears its failure streak; pending deliveries resume.
    async fn enable_endpoint(&self, tenant: &TenantId) -> Result<(), StoreError>;

    /// Makes a delivery pending again, due at `now`, keeping its attempts. False when the
    /// tenant has no such delivery.
    async fn redeliver(&self, tenant: &TenantId, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Makes every delivery of the tenant created at or after `since` pending again, due at
    /// `now`, keeping their attempts; answers how many. One statement, whatever the count.
    async fn redeliver_since(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError>;

    /// One delivery of the tenant, with its attempts.
    async fn find(&self, tenant: &TenantId, id: Uuid) -> Result<Option<DeliveryRecord>, StoreError>;

    /// Newest first, with every attempt.
    async fn list(&self, tenant: &TenantId, query: &DeliveryQuery) -> Result<DeliveryPage, StoreError>;
}

/// The outbox as the relay sees it.
#[async_trait]
pub trait OutboxRelayStore: Send + Sync {
    /// Takes up to `limit` unpublished events, oldest first, publishes them on `bus`, and marks
    /// them published when that returns `Ok`; on `Err` they stay unpublished. On PostgreSQL one
    /// relay of the fleet works at a time (the rows are locked, `SKIP LOCKED`, and a
    /// transaction-scoped advisory lock keeps batches in order); others find nothing and wait.
    async fn relay_batch(&self, limit: usize, bus: &dyn super::EventBus) -> Result<usize, RelayError>;

    /// Marks every event published at or after `since` unpublished again, so the relay
    /// publishes it once more; returns how many. For a bus that lost events it had accepted
    /// (a Redis restarted without persistence): consumers are idempotent, so an event that had
    /// reached them is only seen twice. Rare, so it may scan the outbox.
    async fn republish_since(&self, since: DateTime<Utc>) -> Result<u64, StoreError>;
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Bus(#[from] super::BusError),
}
