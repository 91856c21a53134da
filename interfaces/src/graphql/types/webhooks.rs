//! Outbound webhook deliveries as the tenant sees them.

use application::ports::{AttemptRecord, DeliveryRecord, EndpointHealth};
use async_graphql::{Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "application::ports::DeliveryStatus", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum WebhookDeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    Succeeded,
    /// Given up: the retry schedule ran out, or the endpoint answered 410 Gone.
    Failed,
}

/// One event on its way to the tenant's outbound webhook, with every attempt made.
pub struct WebhookDelivery(pub DeliveryRecord);

#[Object]
impl WebhookDelivery {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The event's id: the `webhook-id` header of every attempt, retries and redeliveries too.
    async fn event_id(&self) -> ID {
        ID(self.0.event_id.to_string())
    }
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When the next attempt is due (pending deliveries only).
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt_at
    }
    /// Oldest first.
    async fn attempts(&self) -> Vec<WebhookAttempt> {
        self.0.attempts.iter().cloned().map(WebhookAttempt).collect()
    }
}

pub struct WebhookAttempt(pub AttemptRecord);

#[Object]
impl WebhookAttempt {
    async fn attempted_at(&self) -> DateTime<Utc> {
        self.0.attempted_at
    }
    /// The HTTP status of the answer, when one came.
    async fn status_code(&self) -> Option<i32> {
        self.0.status_code.map(i32::from)
    }
    async fn latency_ms(&self) -> i64 {
        i64::try_from(self.0.latency.as_millis()).unwrap_or(i64::MAX)
    }
    /// The first 1 KiB of the answer's body.
    async fn response_excerpt(&self) -> &str {
        &self.0.response_excerpt
    }
    /// Why the attempt failed: `timeout`, `connect: …`, `address refused: …`, `status 500`.
    async fn failure(&self) -> Option<&str> {
        self.0.failure.as_deref()
    }
}

/// The health of the tenant's outbound webhook endpoint.
#[derive(SimpleObject)]
pub struct WebhookEndpointStatus {
    /// The first failed attempt since the last success; after 5 days the endpoint is disabled.
    pub failing_since: Option<DateTime<Utc>>,
    /// Set while disabled: deliveries wait (nothing is dropped) until `enableWebhookEndpoint`.
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
}

impl From<EndpointHealth> for WebhookEndpointStatus {
    fn from(h: EndpointHealth) -> Self {
        Self { failing_since: h.failing_since, disabled_at: h.disabled_at, disabled_reason: h.disabled_reason }
    }
}
