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
}

#[async_trait]
impl EventConsumer for WebhookFanout {
    fn name(&self) -> &'static str {
        "tenant-oms-webhooks"
    }

    async fn consume(&self, events: &[EventEnvelope]) -> Result<(), ConsumerError> {
        let now = self.clock.now();
        let wanted: Vec<NewDelivery> = events
            .iter()
            .filter(|event| {
                self.endpoints
                    .endpoint(&event.tenant_id)
                    .is_some_and(|endpoint| matches_any(&endpoint.events, &event.event_type))
            })
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
