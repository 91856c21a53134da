//! The default event bus: every durable consumer takes the batch before `publish` returns, so
//! the relay marks events published only once they are in the consumers' own storage; then
//! the live listeners see them.

use std::sync::Arc;

use async_trait::async_trait;

use crate::ports::{BusError, EventBus, EventConsumer, EventEnvelope, LiveListener};

pub struct InProcessBus {
    consumers: Vec<Arc<dyn EventConsumer>>,
    listeners: Vec<Arc<dyn LiveListener>>,
}

impl InProcessBus {
    pub fn new(consumers: Vec<Arc<dyn EventConsumer>>, listeners: Vec<Arc<dyn LiveListener>>) -> Self {
        Self { consumers, listeners }
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, events: &[EventEnvelope]) -> Result<(), BusError> {
        for consumer in &self.consumers {
            consumer
                .consume(events)
                .await
                .map_err(|e| BusError::ConsumerFailed { consumer: consumer.name(), reason: e.0 })?;
        }
        for event in events {
            for listener in &self.listeners {
                listener.observe(event);
            }
        }
        Ok(())
    }

    async fn ready(&self) -> Result<(), BusError> {
        Ok(())
    }
}
