//! The outbound-webhook consumer of the bus: turns each event a tenant's endpoint wants into a
//! stored delivery, due now. Idempotent: an event seen again schedules nothing new.

use std::sync::Arc;

use async_trait::async_trait;

use super::event_patterns::matches_any;
use crate::ports::{
    Clock, ConsumerError, EventConsumer, EventEnvelope, IdGenerator, NewDelivery, WebhookDeliveries, WebhookEndpoints,
};

pub struct WebhookFanout {
    endpoints: Arc<dyn WebhookEndpoints>,
    deliveries: Arc<dyn WebhookDeliveries>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl WebhookFanout {
    pub fn new(
        endpoints: Arc<dyn WebhookEndpoints>,
        deliveries: Arc<dyn WebhookDeliveries>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self { endpoints, deliveries, clock, ids }
    }

    /// The tenant's endpoint, as served now, asks for this event.
    fn wanted(&self, event: &EventEnvelope) -> bool {
        self.endpoints
            .endpoint(&event.tenant_id)
            .is_some_and(|endpoint| matches_any(&endpoint.events, &event.event_type))
    }
}

#[async_trait]
impl EventConsumer for WebhookFanout {
    fn name(&self) -> &'static str {
        "tenant-oms-webhooks"
    }

    async fn consume(&self, events: &[EventEnvelope]) -> Result<(), ConsumerError> {
        // An event nobody wants may only look so to this instance: its config can be a poll
        // behind a webhook change made through another instance before the event occurred.
        if let Some(newest) = events.iter().filter(|event| !self.wanted(event)).map(|event| event.occurred_at).max() {
            self.endpoints.catch_up(newest).await.map_err(|e| ConsumerError(e.to_string()))?;
        }
        let now = self.clock.now();
        let wanted: Vec<NewDelivery> = events
            .iter()
            .filter(|event| self.wanted(event))
            .map(|event| NewDelivery {
                id: self.ids.new_id(),
                tenant_id: event.tenant_id.clone(),
                event_id: event.id,
                event_type: event.event_type.clone(),
                created_at: now,
            })
            .collect();
        self.deliveries.schedule(&wanted).await.map_err(|e| ConsumerError(e.to_string()))
    }
}
