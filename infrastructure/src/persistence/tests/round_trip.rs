use domain::{
    OrderId,
    order::{Order, OrderParts, ShipmentStatus},
};
use uuid::Uuid;

use super::fixtures::{Spec, assert_same, at, dispatch, order, ship, tenant};
use crate::persistence::Database;

pub async fn created_order_loads_equal_by_every_read(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let mut spec = Spec::new("acme", "ORD-000001");
    spec.external_ref = Some("ext-1");
    spec.lines = vec![("SKU-1", 10, 12_500), ("SKU-2", 3, 990), ("SKU-3", 1, 0)];
    let mut order = spec.build();
    order.escalate_review("rev@acme", Some("check the address"), "ops@acme", at(1)).unwrap();
    order.decide_review("rev@acme", true, Some("fine"), at(2)).unwrap();
    let shipped = ship(&mut order, 4, Some("dhl"), at(3));
    dispatch(&mut order, shipped, "TRK-1", at(4));
    let pending = ship(&mut order, 2, None, at(5));

    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&order).await.unwrap();
    tx.commit().await.unwrap();

    assert_same(&store.order(&t, order.id()).await.unwrap().unwrap(), &order);
    assert_same(&store.order_by_external_ref(&t, "ext-1").await.unwrap().unwrap(), &order);
    assert_same(&store.order_of_shipment(&t, pending).await.unwrap().unwrap(), &order);
    let mut tx = store.begin(&t).await.unwrap();
    assert_same(&tx.lock_order(order.id()).await.unwrap().unwrap(), &order);
    assert_same(&tx.lock_order_of_shipment(shipped).await.unwrap().unwrap(), &order);
    assert_same(&tx.order_by_external_ref("ext-1").await.unwrap().unwrap(), &order);
    drop(tx);

    assert!(store.order(&t, OrderId::from_uuid(Uuid::now_v7())).await.unwrap().is_none());
    assert!(store.order_by_external_ref(&t, "ext-2").await.unwrap().is_none());
}

pub async fn updated_order_loads_equal(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let original = order("acme", "ORD-000001");
    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&original).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin(&t).await.unwrap();
    let mut o = tx.lock_order(original.id()).await.unwrap().unwrap();
    let v = o.version();
    let first = ship(&mut o, 3, Some("aramex"), at(10));
    tx.update_order(&o, v).await.unwrap();
    tx.commit().await.unwrap();
    assert_same(&store.order(&t, o.id()).await.unwrap().unwrap(), &o);

    // Several commands in one transaction: each update diffs against the previous one.
    let mut tx = store.begin(&t).await.unwrap();
    let mut o = tx.lock_order(o.id()).await.unwrap().unwrap();
    let v = o.version();
    dispatch(&mut o, first, "ARX-77", at(11));
    tx.update_order(&o, v).await.unwrap();
    let v = o.version();
    let second = ship(&mut o, 2, None, at(12));
    o.cancel_shipment(second, at(13)).unwrap();
    tx.update_order(&o, v).await.unwrap();
    tx.commit().await.unwrap();

    let loaded = store.order(&t, o.id()).await.unwrap().unwrap();
    assert_same(&loaded, &o);
    assert_eq!(loaded.shipment(second).unwrap().status, ShipmentStatus::Cancelled);
    assert_eq!(loaded.version(), 6);
}

pub async fn shipments_removed_from_the_aggregate_are_deleted(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let mut o = order("acme", "ORD-000001");
    let a = ship(&mut o, 1, None, at(1));
    let b = ship(&mut o, 1, None, at(2));
    let c = ship(&mut o, 1, None, at(3));
    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.commit().await.unwrap();

    // Without reading first: the transaction has to find out what is stored.
    let without_b = next_version(&o, |p| p.shipments.retain(|s| s.id != b));
    let mut tx = store.begin(&t).await.unwrap();
    tx.update_order(&without_b, o.version()).await.unwrap();
    tx.commit().await.unwrap();
    assert_same(&store.order(&t, o.id()).await.unwrap().unwrap(), &without_b);
    assert!(store.order_of_shipment(&t, b).await.unwrap().is_none());

    // After a locked read, and with the survivor changed too.
    let mut tx = store.begin(&t).await.unwrap();
    let locked = tx.lock_order(o.id()).await.unwrap().unwrap();
    let mut only_c = next_version(&locked, |p| p.shipments.retain(|s| s.id != a));
    only_c.confirm_shipment(c, at(4)).unwrap();
    tx.update_order(&only_c, locked.version()).await.unwrap();
    tx.commit().await.unwrap();
    let loaded = store.order(&t, o.id()).await.unwrap().unwrap();
    assert_same(&loaded, &only_c);
    assert_eq!(loaded.shipments().len(), 1);
}

pub async fn dropped_transaction_rolls_back(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let o = order("acme", "ORD-000001");
    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    drop(tx);
    assert!(store.order(&t, o.id()).await.unwrap().is_none());

    // The connection went back to the pool clean: the next transaction works.
    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.commit().await.unwrap();
    assert_same(&store.order(&t, o.id()).await.unwrap().unwrap(), &o);
}

pub async fn migrate_is_idempotent_and_ping_works(db: &Database) {
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();
    db.order_store().ping().await.unwrap();
}

fn next_version(order: &Order, change: impl FnOnce(&mut OrderParts)) -> Order {
    let mut parts = order.parts().clone();
    change(&mut parts);
    parts.version += 1;
    parts.updated_at = at(30);
    Order::restore(parts)
}
