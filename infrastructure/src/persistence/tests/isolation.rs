use application::ports::{IdempotencyRecord, OrderFilter, OrderQuery, OutboxEvent, StoreError, Taken};
use domain::{TenantId, order::Order};
use uuid::Uuid;

use super::fixtures::{Spec, assert_same, at, dispatch, order, ship, tenant, written};
use crate::persistence::Database;

async fn stored_order_of_acme(db: &Database) -> Order {
    let mut spec = Spec::new("acme", "ORD-000001");
    spec.external_ref = Some("shared-ref");
    let mut o = spec.build();
    ship(&mut o, 2, Some("dhl"), at(1));
    let store = db.order_store();
    let mut tx = store.begin(&tenant("acme")).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.save_idempotency_record(&record("key-1")).await.unwrap();
    tx.commit().await.unwrap();
    o
}

fn record(key: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.to_owned(),
        operation: "createOrder".to_owned(),
        fingerprint: "f1".to_owned(),
        resource_id: "r1".to_owned(),
        created_at: at(0),
    }
}

fn everything() -> OrderQuery {
    OrderQuery { filter: OrderFilter::default(), first: 50, after: None }
}

pub async fn other_tenants_see_nothing(db: &Database) {
    let acme_order = stored_order_of_acme(db).await;
    let shipment = acme_order.shipments()[0].id;
    let store = db.order_store();
    let globex = tenant("globex");

    assert!(store.order(&globex, acme_order.id()).await.unwrap().is_none());
    assert!(store.order_by_external_ref(&globex, "shared-ref").await.unwrap().is_none());
    assert!(store.order_of_shipment(&globex, shipment).await.unwrap().is_none());
    let page = store.orders(&globex, &everything()).await.unwrap();
    assert!(page.orders.is_empty() && !page.has_next_page);

    let mut tx = store.begin(&globex).await.unwrap();
    assert!(tx.lock_order(acme_order.id()).await.unwrap().is_none());
    assert!(tx.lock_order_of_shipment(shipment).await.unwrap().is_none());
    assert!(tx.order_by_external_ref("shared-ref").await.unwrap().is_none());
    assert!(tx.idempotency_record("key-1").await.unwrap().is_none());
    drop(tx);

    // The owner still sees everything.
    let acme = tenant("acme");
    assert_same(&store.order(&acme, acme_order.id()).await.unwrap().unwrap(), &acme_order);
    assert_eq!(store.orders(&acme, &everything()).await.unwrap().orders.len(), 1);
}

pub async fn other_tenants_cannot_write(db: &Database) {
    let acme_order = stored_order_of_acme(db).await;
    let store = db.order_store();
    let globex = tenant("globex");

    let mut tx = store.begin(&globex).await.unwrap();
    assert!(matches!(tx.insert_order(&order("acme", "ORD-000002")).await, Err(StoreError::Internal(_))));
    assert!(matches!(tx.update_order(&acme_order, 1).await, Err(StoreError::Internal(_))));
    let event = OutboxEvent {
        id: Uuid::now_v7(),
        tenant_id: tenant("acme"),
        event_type: "order.created".to_owned(),
        aggregate_id: acme_order.id().to_string(),
        aggregate_version: 1,
        occurred_at: at(0),
        payload: serde_json::json!({}),
    };
    assert!(matches!(tx.append_outbox(&[event]).await, Err(StoreError::Internal(_))));

    // Disguised as globex's own order, the row is still out of reach: nothing matches.
    let mut parts = acme_order.parts().clone();
    parts.tenant_id = TenantId::new("globex").unwrap();
    parts.status = domain::order::OrderStatus::Cancelled;
    parts.version += 1;
    let disguised = Order::restore(parts);
    assert!(matches!(tx.update_order(&disguised, acme_order.version()).await, Err(StoreError::Conflict(_))));
    tx.commit().await.unwrap();

    assert_same(&store.order(&tenant("acme"), acme_order.id()).await.unwrap().unwrap(), &acme_order);
}

pub async fn keys_are_unique_per_tenant_only(db: &Database) {
    stored_order_of_acme(db).await;
    let store = db.order_store();
    let globex = tenant("globex");
    let mut spec = Spec::new("globex", "ORD-000001");
    spec.external_ref = Some("shared-ref");
    let theirs = spec.build();

    let mut tx = store.begin(&globex).await.unwrap();
    tx.insert_order(&theirs).await.unwrap();
    tx.save_idempotency_record(&record("key-1")).await.unwrap();
    assert_eq!(tx.next_order_number().await.unwrap(), 1);
    tx.commit().await.unwrap();

    assert_same(&store.order_by_external_ref(&globex, "shared-ref").await.unwrap().unwrap(), &theirs);
}

/// Another tenant may hold the same carrier's reference (learning nothing of the first); within
/// one tenant a reference is taken, however the carrier's name is spelled.
pub async fn tracking_references_are_unique_per_tenant(db: &Database) {
    let store = db.order_store();
    let dispatched = async |tenant_id: &str, number: &str, provider: &str| {
        let mut o = order(tenant_id, number);
        let id = ship(&mut o, 1, Some(provider), at(1));
        dispatch(&mut o, id, "TRK-SHARED", at(2));
        let mut tx = store.begin(o.tenant_id()).await.unwrap();
        let call = tx.insert_order(&o).await;
        written(tx, call).await
    };
    assert_eq!(dispatched("acme", "ORD-000001", "DHL").await, Ok(()));
    assert_eq!(dispatched("globex", "ORD-000001", "DHL").await, Ok(()));
    assert_eq!(dispatched("initech", "ORD-000001", "dhl").await, Ok(()));
    let taken = Err(StoreError::Duplicate(Taken::TrackingReference));
    assert_eq!(dispatched("acme", "ORD-000002", "DHL").await, taken);
    assert_eq!(dispatched("acme", "ORD-000003", "dhl").await, taken);
    assert_eq!(dispatched("globex", "ORD-000002", "Dhl").await, taken);
    assert_eq!(dispatched("acme", "ORD-000004", "aramex").await, Ok(()), "another carrier's reference");

    for (tenant_id, numbers) in [("acme", 2), ("globex", 1), ("initech", 1)] {
        assert_eq!(store.orders(&tenant(tenant_id), &everything()).await.unwrap().orders.len(), numbers);
    }
}
