use std::sync::Arc;

use application::{AppError, ErrorCode, ports::EventEnvelope};
use async_graphql::{ID, Json, Object};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::graphql::errors::top_level;

/// What one page of events read from the database adds to a query's complexity, beyond its
/// fields: a round trip, priced like 25 fields already in memory. `orders(first: 50)` with each
/// order's first 20 events costs about 3,300 of the 5,000 a query may cost, and no query can
/// make more than about 180 such reads.
pub const EVENT_PAGE_COST: usize = 25;

/// A domain event as it happened (`order.confirmed`, `shipment.created`, …).
pub struct OrderEvent(pub Arc<EventEnvelope>);

/// The one member of the envelope's JSON that is not also a routing field.
#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    data: serde_json::Value,
}

#[Object]
impl OrderEvent {
    /// Unique per event; the same id a webhook delivery of this event carries.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The event type, e.g. `shipment.created`.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
    /// The order the event is about.
    async fn aggregate_id(&self) -> ID {
        ID(self.0.aggregate_id.clone())
    }
    /// The order's version once this event had happened.
    async fn aggregate_version(&self) -> i64 {
        self.0.aggregate_version
    }
    /// What happened, as the event type defines it.
    async fn data(&self) -> async_graphql::Result<Json<serde_json::Value>> {
        // Parsed only here: events are routed on the envelope's fields, and a subscriber that
        // does not ask for `data` never pays for it.
        match serde_json::from_str::<Payload>(&self.0.payload) {
            Ok(payload) => Ok(Json(payload.data)),
            Err(e) => {
                tracing::error!(event = %self.0.id, error = %e, "an event's payload is not the JSON envelope");
                Err(top_level(AppError::new(ErrorCode::Internal, "the event's data could not be read")))
            }
        }
    }
}
