//! The database's guards: the version check, and unique keys answered as `Duplicate`.

use chrono::Utc;
use domain::{
    ShipmentId,
    ledger::EntryMeta,
    order::{Dispatch, LinePick, NewShipment, ShipmentMode},
};
use futures::executor::block_on;

use super::{now, order, tenant};
use crate::{
    ports::{IdGenerator, IdempotencyRecord, OrderStore, StoreError, Taken},
    testing::{InMemoryOrderStore, SequentialIds},
};

#[test]
fn an_update_needs_the_stored_version_and_stores_the_new_state() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let placed = order(&ids, &t, 1, None);
        let mut tx = store.begin(&t).await.unwrap();
        tx.insert_order(&placed).await.unwrap();
        tx.commit().await.unwrap();

        let mut tx = store.begin(&t).await.unwrap();
        let mut confirmed = tx.lock_order(placed.id()).await.unwrap().unwrap();
        confirmed.confirm(now()).unwrap();
        let stale = tx.update_order(&confirmed, 7).await.unwrap_err();
        assert!(matches!(stale, StoreError::Conflict(_)), "{stale:?}");
        tx.update_order(&confirmed, 1).await.unwrap();
        let again = tx.update_order(&confirmed, 1).await.unwrap_err();
        assert!(matches!(again, StoreError::Conflict(_)), "the stored version is 2 now: {again:?}");
        tx.commit().await.unwrap();

        let stored = store.order(&t, placed.id()).await.unwrap().unwrap();
        assert_eq!((stored.version(), stored.status()), (2, confirmed.status()));
    });
}

#[test]
fn an_update_of_an_order_never_stored_is_a_conflict() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let mut tx = store.begin(&t).await.unwrap();
        let err = tx.update_order(&order(&ids, &t, 1, None), 1).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    });
}

#[test]
fn an_external_ref_or_number_is_unique_per_tenant() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let mut tx = store.begin(&t).await.unwrap();
        tx.insert_order(&order(&ids, &t, 1, Some("ext-1"))).await.unwrap();
        let taken = tx.insert_order(&order(&ids, &t, 2, Some("ext-1"))).await;
        assert_eq!(taken, Err(StoreError::Duplicate(Taken::ExternalRef)));
        let taken = tx.insert_order(&order(&ids, &t, 1, Some("ext-2"))).await;
        assert_eq!(taken, Err(StoreError::Duplicate(Taken::OrderNumber)));
        tx.commit().await.unwrap();
        assert_eq!(store.committed_orders(&t).len(), 1, "refused inserts wrote nothing");

        let other = tenant("t2");
        let mut tx = store.begin(&other).await.unwrap();
        tx.insert_order(&order(&ids, &other, 1, Some("ext-1"))).await.unwrap();
    });
}

#[test]
fn an_idempotency_key_is_stored_once() {
    block_on(async {
        let (store, t) = (InMemoryOrderStore::new(), tenant("t1"));
        let record = IdempotencyRecord {
            key: "k-1".to_owned(),
            operation: "createOrder".to_owned(),
            fingerprint: "f".to_owned(),
            resource_id: "o-1".to_owned(),
            created_at: Utc::now(),
        };
        let mut tx = store.begin(&t).await.unwrap();
        assert_eq!(tx.idempotency_record("k-1").await.unwrap(), None);
        tx.save_idempotency_record(&record).await.unwrap();
        assert_eq!(tx.idempotency_record("k-1").await.unwrap(), Some(record.clone()));
        tx.commit().await.unwrap();

        let mut tx = store.begin(&t).await.unwrap();
        let again = tx.save_idempotency_record(&record).await;
        assert_eq!(again, Err(StoreError::Duplicate(Taken::IdempotencyKey)));
    });
}

#[test]
fn a_journal_entry_key_is_unique_across_the_tenants_orders() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let paid = |number| {
            let mut o = order(&ids, &t, number, None);
            o.confirm(now()).unwrap();
            o.sync_receivable(ids.new_id(), now()).unwrap();
            let amount = o.total().unwrap();
            o.record_payment(EntryMeta::new(ids.new_id(), "payment-1", now()), amount, now()).unwrap();
            o
        };
        let mut tx = store.begin(&t).await.unwrap();
        tx.insert_order(&paid(1)).await.unwrap();
        let taken = tx.insert_order(&paid(2)).await;
        assert_eq!(taken, Err(StoreError::Duplicate(Taken::JournalEntryKey)));
    });
}

#[test]
fn a_tracking_reference_is_unique_per_tenant_and_carrier() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let dispatched = |number| {
            let mut o = order(&ids, &t, number, None);
            o.confirm(now()).unwrap();
            let shipment = NewShipment {
                id: ShipmentId::from_uuid(ids.new_id()),
                mode: ShipmentMode::Warehouse,
                provider: None,
                address: None,
                items: vec![LinePick::new("SKU-1", "vendor-1", 1)],
                package: None,
                pickup: None,
            };
            let id = o.create_shipment(shipment, now()).unwrap();
            o.confirm_shipment(id, now()).unwrap();
            let dispatch = Dispatch { tracking_reference: "TRK-1".to_owned(), label_url: None, cost: None };
            o.dispatch_shipment(id, dispatch, now()).unwrap();
            o
        };
        let mut tx = store.begin(&t).await.unwrap();
        tx.insert_order(&dispatched(1)).await.unwrap();
        let taken = tx.insert_order(&dispatched(2)).await;
        assert_eq!(taken, Err(StoreError::Duplicate(Taken::TrackingReference)));
    });
}
