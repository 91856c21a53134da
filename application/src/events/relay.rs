//! One step of the outbox relay: a batch of unpublished events onto the bus.

use std::sync::Arc;

use crate::ports::{EventBus, OutboxRelayStore, RelayError};

/// Events per batch: large enough to keep up with thousands of orders a second, small enough
/// that a batch's transaction stays short.
pub const RELAY_BATCH: usize = 256;

pub struct OutboxRelay {
    store: Arc<dyn OutboxRelayStore>,
    bus: Arc<dyn EventBus>,
}

impl OutboxRelay {
    pub fn new(store: Arc<dyn OutboxRelayStore>, bus: Arc<dyn EventBus>) -> Self {
        Self { store, bus }
    }

    /// Publishes one batch; the number of events published (0: nothing to do now).
    pub async fn relay_once(&self) -> Result<usize, RelayError> {
        self.store.relay_batch(RELAY_BATCH, self.bus.as_ref()).await
    }

    pub fn bus(&self) -> &Arc<dyn EventBus> {
        &self.bus
    }
}
