use std::{sync::Arc, time::Duration};

use application::ports::StoreError;
use domain::{
    ShipmentId, Sku, VendorId,
    order::{LinePick, NewShipment, ShipmentMode},
};
use uuid::Uuid;

use super::fixtures::{at, order, tenant};
use crate::persistence::Database;

const TASKS: usize = 50;

/// 50 commands race to ship one unit each of a 10-unit line: the lock must let exactly 10 win,
/// and none may fail for any other reason than the domain's allocation rule.
pub async fn locked_commands_on_one_order_never_over_allocate(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let o = order("acme", "ORD-000001");
    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.commit().await.unwrap();

    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for _ in 0..TASKS {
        let (store, t, barrier) = (store.clone(), t.clone(), barrier.clone());
        let id = o.id();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut tx = store.begin(&t).await?;
            let mut order = tx.lock_order(id).await?.expect("the order exists");
            let version = order.version();
            let shipment = NewShipment {
                id: ShipmentId::from_uuid(Uuid::now_v7()),
                mode: ShipmentMode::Warehouse,
                provider: None,
                address: None,
                items: vec![LinePick::new("SKU-1", "vendor-1", 1)],
                package: None,
                pickup: None,
            };
            if order.create_shipment(shipment, at(1)).is_err() {
                return Ok::<bool, StoreError>(false);
            }
            tx.update_order(&order, version).await?;
            tx.commit().await?;
            Ok(true)
        }));
    }
    let mut shipped = 0;
    for task in tasks {
        if task.await.unwrap().expect("no storage error under contention") {
            shipped += 1;
        }
    }
    assert_eq!(shipped, 10);

    let stored = store.order(&t, o.id()).await.unwrap().unwrap();
    let allocated = stored.allocated(&Sku::new("SKU-1").unwrap(), &VendorId::new("vendor-1").unwrap());
    assert_eq!(allocated, 10);
    assert_eq!(stored.shipments().len(), 10);
    assert_eq!(stored.version(), 11);
}

/// A transaction holding the order (and on SQLite the write lock) must not stall readers.
pub async fn reads_are_not_blocked_by_an_open_write(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let o = order("acme", "ORD-000001");
    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.commit().await.unwrap();

    let mut writer = store.begin(&t).await.unwrap();
    writer.lock_order(o.id()).await.unwrap().unwrap();
    writer.next_order_number().await.unwrap();
    let read = tokio::time::timeout(Duration::from_secs(5), store.order(&t, o.id())).await;
    assert!(read.expect("read finished while a write was open").unwrap().is_some());
    writer.commit().await.unwrap();
}

/// Many writers at once (on SQLite they share group commits): each gets its own answer. Those
/// that commit are stored, one that reuses an externalRef is told `Duplicate` without failing
/// the others, and one that gives up (drops its transaction) leaves nothing behind.
pub async fn concurrent_writers_each_get_their_own_answer(db: &Database) {
    use application::ports::Taken;

    use super::fixtures::Spec;

    let store = db.order_store();
    let t = tenant("acme");
    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&Spec { external_ref: Some("taken"), ..Spec::new("acme", "ORD-000000") }.build()).await.unwrap();
    tx.commit().await.unwrap();

    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for i in 0..TASKS {
        let (store, t, barrier) = (store.clone(), t.clone(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let number = format!("ORD-{:06}", i + 1);
            // Every tenth reuses the taken reference; every seventh other gives up before
            // committing (a refusal may come at the commit, which a writer that gives up never sees).
            let external_ref = if i % 10 == 3 { "taken".to_owned() } else { format!("ref-{i}") };
            let order = Spec { external_ref: Some(&external_ref), ..Spec::new("acme", &number) }.build();
            let mut tx = store.begin(&t).await?;
            tx.insert_order(&order).await?;
            if i % 7 == 5 && i % 10 != 3 {
                drop(tx);
                return Ok::<_, StoreError>(None);
            }
            tx.commit().await?;
            Ok(Some(order.id()))
        }));
    }
    let (mut committed, mut duplicates, mut abandoned) = (Vec::new(), 0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(Some(id)) => committed.push(id),
            Ok(None) => abandoned += 1,
            Err(StoreError::Duplicate(Taken::ExternalRef)) => duplicates += 1,
            Err(e) => panic!("unexpected storage error: {e}"),
        }
    }
    assert_eq!(duplicates, (0..TASKS).filter(|i| i % 10 == 3).count());
    assert_eq!(abandoned, (0..TASKS).filter(|i| i % 10 != 3 && i % 7 == 5).count());
    assert_eq!(committed.len() + duplicates + abandoned, TASKS);
    for id in &committed {
        assert!(store.order(&t, *id).await.unwrap().is_some(), "committed order {id} is not stored");
    }
    let page = store
        .orders(&t, &application::ports::OrderQuery { filter: Default::default(), first: 500, after: None })
        .await
        .unwrap();
    assert_eq!(page.orders.len(), committed.len() + 1, "only committed orders are stored");
}
