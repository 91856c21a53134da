use application::ports::{IdempotencyRecord, OrderQuery, OutboxEvent, StoreError, Taken};
use domain::{OrderId, order::Order};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::fixtures::{Spec, assert_same, at, dispatch, order, ship, tenant, written};
use crate::persistence::{Database, database::Backend, entities::outbox_events};

async fn insert(db: &Database, order: &Order) {
    let store = db.order_store();
    let mut tx = store.begin(order.tenant_id()).await.unwrap();
    tx.insert_order(order).await.unwrap();
    tx.commit().await.unwrap();
}

fn duplicate(taken: Taken) -> StoreError {
    StoreError::Duplicate(taken)
}

pub async fn stale_version_is_a_conflict(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let o = order("acme", "ORD-000001");
    insert(db, &o).await;
    let mut first = store.order(&t, o.id()).await.unwrap().unwrap();
    let mut second = store.order(&t, o.id()).await.unwrap().unwrap();

    let mut tx = store.begin(&t).await.unwrap();
    ship(&mut first, 1, None, at(1));
    tx.update_order(&first, 1).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin(&t).await.unwrap();
    ship(&mut second, 2, None, at(2));
    let call = tx.update_order(&second, 1).await;
    assert!(matches!(written(tx, call).await, Err(StoreError::Conflict(_))));
    let mut tx = store.begin(&t).await.unwrap();
    let mut missing = order("acme", "ORD-000404");
    ship(&mut missing, 1, None, at(3));
    let call = tx.update_order(&missing, 1).await;
    assert!(matches!(written(tx, call).await, Err(StoreError::Conflict(_))));

    assert_same(&store.order(&t, o.id()).await.unwrap().unwrap(), &first);
}

pub async fn duplicate_external_ref_and_number(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let mut spec = Spec::new("acme", "ORD-000001");
    spec.external_ref = Some("ext-1");
    let first = spec.build();
    insert(db, &first).await;

    let insert = async |o: &Order| {
        let mut tx = store.begin(&t).await.unwrap();
        let call = tx.insert_order(o).await;
        written(tx, call).await
    };
    let mut spec = Spec::new("acme", "ORD-000002");
    spec.external_ref = Some("ext-1");
    assert_eq!(insert(&spec.build()).await, Err(duplicate(Taken::ExternalRef)));
    assert_eq!(insert(&order("acme", "ORD-000001")).await, Err(duplicate(Taken::OrderNumber)));
    let mut spec = Spec::new("acme", "ORD-000003");
    spec.external_ref = Some("ext-3");
    let third = spec.build();
    assert_eq!(insert(&third).await, Ok(()));
    let mut spec = Spec::new("acme", "ORD-000004");
    spec.external_ref = Some("ext-3");
    assert_eq!(insert(&spec.build()).await, Err(duplicate(Taken::ExternalRef)));
    // The first order is still found by its reference, the refused ones left nothing.
    assert_same(&store.order_by_external_ref(&t, "ext-1").await.unwrap().unwrap(), &first);

    assert_same(&store.order_by_external_ref(&t, "ext-3").await.unwrap().unwrap(), &third);
    let everything = OrderQuery { filter: Default::default(), first: 10, after: None };
    assert_eq!(store.orders(&t, &everything).await.unwrap().orders.len(), 2);
}

pub async fn duplicate_tracking_reference_per_carrier(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let mut orders = Vec::new();
    for (number, provider) in [("A", Some("dhl")), ("B", Some("dhl")), ("C", Some("aramex")), ("D", None), ("E", None)]
    {
        let mut o = order("acme", number);
        ship(&mut o, 1, provider, at(1));
        insert(db, &o).await;
        orders.push(o);
    }
    let dispatched = |o: &Order| {
        let mut o = o.clone();
        let id = o.shipments()[0].id;
        dispatch(&mut o, id, "TRK-9", at(2));
        o
    };

    for (o, expected) in orders.iter().zip([
        Ok(()),
        Err(duplicate(Taken::TrackingReference)),
        Ok(()),
        Ok(()),
        Err(duplicate(Taken::TrackingReference)),
    ]) {
        let mut tx = store.begin(&t).await.unwrap();
        let locked = tx.lock_order(o.id()).await.unwrap().unwrap();
        let changed = dispatched(&locked);
        let call = tx.update_order(&changed, locked.version()).await;
        // Refused as a whole: nothing of the change is stored.
        assert_eq!(written(tx, call).await, expected, "order {}", o.number());
        let stored = store.order(&t, o.id()).await.unwrap().unwrap();
        assert_same(&stored, if expected.is_ok() { &changed } else { o });
    }
}

pub async fn duplicate_idempotency_key(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let record = IdempotencyRecord {
        key: "idem-1".to_owned(),
        operation: "createOrder".to_owned(),
        fingerprint: "sha256:abc".to_owned(),
        resource_id: OrderId::from_uuid(Uuid::now_v7()).to_string(),
        created_at: at(0),
    };
    let mut tx = store.begin(&t).await.unwrap();
    assert_eq!(tx.idempotency_record("idem-1").await.unwrap(), None);
    tx.save_idempotency_record(&record).await.unwrap();
    assert_eq!(tx.idempotency_record("idem-1").await.unwrap().as_ref(), Some(&record));
    tx.commit().await.unwrap();

    let mut tx = store.begin(&t).await.unwrap();
    assert_eq!(tx.idempotency_record("idem-1").await.unwrap().as_ref(), Some(&record));
    let replay = IdempotencyRecord { fingerprint: "sha256:other".to_owned(), ..record.clone() };
    let o = order("acme", "ORD-000001");
    tx.insert_order(&o).await.unwrap();
    let call = tx.save_idempotency_record(&replay).await;
    assert_eq!(written(tx, call).await, Err(duplicate(Taken::IdempotencyKey)));
    // Refused as a whole: the order written before the key is not stored either.
    assert!(store.order(&t, o.id()).await.unwrap().is_none());
    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.order(&t, o.id()).await.unwrap().is_some());

    let mut tx = store.begin(&t).await.unwrap();
    assert_eq!(tx.idempotency_record("idem-1").await.unwrap().as_ref(), Some(&record));
}

pub async fn order_numbers_count_per_tenant(db: &Database) {
    let store = db.order_store();
    let acme = tenant("acme");
    let mut tx = store.begin(&acme).await.unwrap();
    assert_eq!(tx.next_order_number().await.unwrap(), 1);
    assert_eq!(tx.next_order_number().await.unwrap(), 2);
    tx.commit().await.unwrap();

    let mut tx = store.begin(&acme).await.unwrap();
    assert_eq!(tx.next_order_number().await.unwrap(), 3);
    drop(tx);

    let mut tx = store.begin(&acme).await.unwrap();
    assert_eq!(tx.next_order_number().await.unwrap(), 3, "a rolled back number is handed out again");
    tx.commit().await.unwrap();

    let mut tx = store.begin(&tenant("globex")).await.unwrap();
    assert_eq!(tx.next_order_number().await.unwrap(), 1);
    tx.commit().await.unwrap();

    // A new order's two counters at once: its number follows the ones above, and the month's
    // count starts at one. A rollback gives the month's count back; SQLite also hands the
    // number out again, PostgreSQL, which numbers outside the transaction, skips it.
    let mut tx = store.begin(&acme).await.unwrap();
    assert_eq!(tx.count_new_order("orders:2026-12", None).await.unwrap(), (4, 1));
    drop(tx);
    let skipped = i64::from(db.backend == Backend::Postgres);
    let mut tx = store.begin(&acme).await.unwrap();
    assert_eq!(tx.count_new_order("orders:2026-12", None).await.unwrap(), (4 + skipped, 1));
    assert_eq!(tx.count_new_order("orders:2026-12", None).await.unwrap(), (5 + skipped, 2));
    assert_eq!(tx.count_new_order("orders:2027-01", None).await.unwrap(), (6 + skipped, 1));
    tx.commit().await.unwrap();
    let mut tx = store.begin(&acme).await.unwrap();
    assert_eq!(tx.increment_counter("orders:2026-12").await.unwrap(), 3);
}

/// PostgreSQL: a new order's counters are taken outside its transaction, so a second create of
/// the same tenant counts while the first is still open (it would wait for the first's commit
/// otherwise, and fail at the connections' lock timeout). The month's limit is applied by the
/// count itself: over it, nothing is counted and no number is taken.
pub async fn order_counters_are_not_held_by_the_order_transaction(db: &Database) {
    let store = db.order_store();
    let acme = tenant("acme");
    let mut first = store.begin(&acme).await.unwrap();
    assert_eq!(first.count_new_order("orders:2026-12", Some(2)).await.unwrap(), (1, 1));

    let mut second = store.begin(&acme).await.unwrap();
    assert_eq!(second.count_new_order("orders:2026-12", Some(2)).await.unwrap(), (2, 2));
    let (_, used) = second.count_new_order("orders:2026-12", Some(2)).await.unwrap();
    assert_eq!(used, 3, "over the limit: answered as over it");
    second.commit().await.unwrap();

    // The first ends without a commit: its month's count comes back, its number does not.
    drop(first);
    let mut third = store.begin(&acme).await.unwrap();
    assert_eq!(third.count_new_order("orders:2026-12", Some(2)).await.unwrap(), (3, 2));
    third.commit().await.unwrap();
    let mut fourth = store.begin(&acme).await.unwrap();
    assert_eq!(fourth.count_new_order("orders:2026-12", Some(2)).await.unwrap().1, 3, "the quota is full");
    assert_eq!(fourth.increment_counter("order_number").await.unwrap(), 4, "no number taken over the limit");
}

pub async fn outbox_events_are_appended_with_the_transaction(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let event = |n: i64| OutboxEvent {
        id: Uuid::now_v7(),
        tenant_id: t.clone(),
        event_type: "order.created".to_owned(),
        aggregate_id: "order-1".to_owned(),
        aggregate_version: n,
        occurred_at: at(n),
        payload: serde_json::json!({ "type": "order.created", "data": { "n": n, "amount": "12.500", "tags": ["a", "b"] } }),
    };
    let committed = [event(1), event(2)];
    let mut tx = store.begin(&t).await.unwrap();
    tx.append_outbox(&committed).await.unwrap();
    tx.append_outbox(&[]).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin(&t).await.unwrap();
    tx.append_outbox(&[event(3)]).await.unwrap();
    drop(tx);

    let rows = outbox_events::Entity::find()
        .filter(outbox_events::Column::TenantId.eq("acme"))
        .order_by_asc(outbox_events::Column::Id)
        .all(&db.owner_connection().await)
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    for (row, event) in rows.iter().zip(&committed) {
        assert_eq!(row.id, event.id.to_string());
        assert_eq!(row.event_type, event.event_type);
        assert_eq!(row.aggregate_id, event.aggregate_id);
        assert_eq!(row.aggregate_version, event.aggregate_version);
        assert_eq!(row.occurred_at, event.occurred_at);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&row.payload).unwrap(), event.payload);
        assert_eq!(row.published_at, None);
    }
}
