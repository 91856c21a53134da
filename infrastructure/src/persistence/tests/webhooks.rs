//! Claiming due webhook deliveries: a tenant's attempts already under way count against its
//! cap, so a slow endpoint never has more than `per_tenant` calls at once.

use std::time::Duration;

use application::ports::{DueDelivery, NewDelivery, OutboxEvent};
use uuid::Uuid;

use super::fixtures::{at, tenant};
use crate::persistence::Database;

const LEASE: Duration = Duration::from_secs(30);

/// `count` stored events of `tenant_name`, each with a delivery due at minute 0.
async fn due_deliveries(db: &Database, tenant_name: &str, count: i64) {
    let t = tenant(tenant_name);
    let events: Vec<OutboxEvent> = (1..=count)
        .map(|n| OutboxEvent {
            id: Uuid::now_v7(),
            tenant_id: t.clone(),
            event_type: "order.created".to_owned(),
            aggregate_id: format!("order-{n}"),
            aggregate_version: n,
            occurred_at: at(0),
            payload: serde_json::json!({ "type": "order.created" }),
        })
        .collect();
    let mut tx = db.order_store().begin(&t).await.unwrap();
    tx.append_outbox(&events).await.unwrap();
    tx.commit().await.unwrap();
    let deliveries: Vec<NewDelivery> = events
        .iter()
        .map(|e| NewDelivery {
            id: Uuid::now_v7(),
            tenant_id: t.clone(),
            event_id: e.id,
            event_type: e.event_type.clone(),
            created_at: at(0),
        })
        .collect();
    db.webhook_deliveries().schedule(&deliveries).await.unwrap();
}

pub async fn claims_leave_room_only_for_what_is_not_under_way(db: &Database) {
    due_deliveries(db, "acme", 12).await;
    due_deliveries(db, "globex", 2).await;
    let store = db.webhook_deliveries();
    let acme = |claimed: &[DueDelivery]| claimed.iter().filter(|d| d.tenant_id == tenant("acme")).count();

    let first = store.claim_due(at(1), LEASE, 64, 4, &[]).await.unwrap();
    assert_eq!((acme(&first), first.len()), (4, 6), "at most 4 of a tenant, all of the other's");
    // The caller's count of attempts under way: claimed rows are leased, so the claim itself
    // cannot see them.
    let at_cap = store.claim_due(at(1), LEASE, 64, 4, &[(tenant("acme"), 4)]).await.unwrap();
    assert_eq!(at_cap.len(), 0, "a tenant at its cap gets nothing");
    let three = store.claim_due(at(1), LEASE, 64, 4, &[(tenant("acme"), 3)]).await.unwrap();
    assert_eq!(acme(&three), 1, "a tenant with 3 under way gets 1, not 4");
    let others = [(tenant("acme"), 1), (tenant("globex"), 2)];
    let one = store.claim_due(at(1), LEASE, 64, 4, &others).await.unwrap();
    assert_eq!(acme(&one), 3, "a tenant with 1 under way gets 3; another tenant's count is not its");
}
