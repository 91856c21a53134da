//! The outbox as the relay sees it: published once, and published again on request when the
//! bus lost what it had taken.

use std::sync::Mutex;

use application::ports::{BusError, EventBus, EventEnvelope, OutboxEvent};
use async_trait::async_trait;
use chrono::Utc;
use uuid::Uuid;

use super::fixtures::{at, tenant};
use crate::persistence::Database;

/// Takes every batch and keeps the event ids.
#[derive(Default)]
struct Recording(Mutex<Vec<Uuid>>);

#[async_trait]
impl EventBus for Recording {
    async fn publish(&self, events: &[EventEnvelope]) -> Result<(), BusError> {
        self.0.lock().unwrap().extend(events.iter().map(|e| e.id));
        Ok(())
    }

    async fn ready(&self) -> Result<(), BusError> {
        Ok(())
    }
}

async fn append(db: &Database, n: i64) -> Uuid {
    let t = tenant("acme");
    let event = OutboxEvent {
        id: Uuid::now_v7(),
        tenant_id: t.clone(),
        event_type: "order.created".to_owned(),
        aggregate_id: format!("order-{n}"),
        aggregate_version: 1,
        occurred_at: at(n),
        payload: serde_json::json!({ "type": "order.created" }),
    };
    let mut tx = db.order_store().begin(&t).await.unwrap();
    tx.append_outbox(std::slice::from_ref(&event)).await.unwrap();
    tx.commit().await.unwrap();
    event.id
}

pub async fn events_published_since_a_moment_are_published_again_on_request(db: &Database) {
    let relay = db.outbox_relay();
    let bus = Recording::default();
    let early = append(db, 1).await;
    assert_eq!(relay.relay_batch(10, &bus).await.unwrap(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let since = Utc::now();
    let late = [append(db, 2).await, append(db, 3).await];
    assert_eq!(relay.relay_batch(10, &bus).await.unwrap(), 2);
    assert_eq!(relay.relay_batch(10, &bus).await.unwrap(), 0, "all published");

    assert_eq!(relay.republish_since(since).await.unwrap(), 2, "only what was published since");
    assert_eq!(relay.relay_batch(10, &bus).await.unwrap(), 2);
    let published = bus.0.lock().unwrap().clone();
    assert_eq!(published, [early, late[0], late[1], late[0], late[1]], "oldest first, each time");
    assert_eq!(relay.relay_batch(10, &bus).await.unwrap(), 0, "published again once");
}
