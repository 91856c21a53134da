//! Transaction semantics: one writer at a time, own writes visible, commit all, drop nothing.

use std::pin::pin;

use futures::{executor::block_on, poll};

use super::{audit_record, event, order, tenant};
use crate::{
    ports::OrderStore,
    testing::{InMemoryAuditLog, InMemoryOrderStore, SequentialIds},
};

#[test]
fn a_transaction_sees_its_own_writes_and_others_see_them_only_after_commit() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let placed = order(&ids, &t, 1, Some("ext-1"));
        let mut tx = store.begin(&t).await.unwrap();
        tx.insert_order(&placed).await.unwrap();

        assert!(tx.lock_order(placed.id()).await.unwrap().is_some());
        assert!(tx.order_by_external_ref("ext-1").await.unwrap().is_some());
        assert!(store.order(&t, placed.id()).await.unwrap().is_none(), "not committed yet");

        tx.commit().await.unwrap();
        let stored = store.order(&t, placed.id()).await.unwrap().expect("committed");
        assert_eq!(stored.version(), 1);
        assert!(stored.pending_events().is_empty(), "a loaded order carries no pending events");
        assert_eq!(store.committed_orders(&t).len(), 1);
        assert!(store.order(&tenant("t2"), placed.id()).await.unwrap().is_none(), "tenant-scoped");
    });
}

#[test]
fn dropping_a_transaction_rolls_every_write_back() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let placed = order(&ids, &t, 1, None);
        let mut tx = store.begin(&t).await.unwrap();
        tx.insert_order(&placed).await.unwrap();
        tx.append_outbox(&[event(&ids, &t)]).await.unwrap();
        tx.append_audit(&audit_record(&ids, &t, "createOrder")).await.unwrap();
        drop(tx);

        assert!(store.committed_orders(&t).is_empty());
        assert!(store.outbox(&t).is_empty());
        assert!(store.audit_records().is_empty());
    });
}

#[test]
fn counters_count_per_tenant_and_roll_back_with_the_transaction() {
    block_on(async {
        let store = InMemoryOrderStore::new();
        let (t1, t2) = (tenant("t1"), tenant("t2"));
        let mut tx = store.begin(&t1).await.unwrap();
        assert_eq!(tx.next_order_number().await.unwrap(), 1);
        assert_eq!(tx.next_order_number().await.unwrap(), 2);
        assert_eq!(tx.increment_counter("orders:2026-01").await.unwrap(), 1);
        tx.commit().await.unwrap();

        let mut tx = store.begin(&t1).await.unwrap();
        assert_eq!(tx.next_order_number().await.unwrap(), 3);
        assert_eq!(tx.increment_counter("orders:2026-01").await.unwrap(), 2);
        drop(tx);

        assert_eq!(store.counter(&t1, "order_number"), 2, "the dropped increment is undone");
        assert_eq!(store.counter(&t1, "orders:2026-01"), 1);
        assert_eq!(store.counter(&t2, "order_number"), 0);
        let mut tx = store.begin(&t2).await.unwrap();
        assert_eq!(tx.next_order_number().await.unwrap(), 1, "another tenant counts on its own");
    });
}

#[test]
fn a_second_transaction_waits_until_the_first_ends() {
    block_on(async {
        let (store, t) = (InMemoryOrderStore::new(), tenant("t1"));
        let mut first = store.begin(&t).await.unwrap();
        first.increment_counter("c").await.unwrap();

        let mut second = pin!(store.begin(&t));
        assert!(poll!(second.as_mut()).is_pending(), "one writer at a time");
        first.commit().await.unwrap();
        let mut second = second.await.unwrap();
        assert_eq!(second.increment_counter("c").await.unwrap(), 2, "begins on the committed state");
        assert_eq!(store.transactions_begun(), 2);
    });
}

#[test]
fn outbox_and_audit_records_are_committed_with_the_transaction() {
    block_on(async {
        let (log, ids, t) = (InMemoryAuditLog::new(), SequentialIds::new(), tenant("t1"));
        let store = InMemoryOrderStore::with_audit_log(log.clone());
        let mut tx = store.begin(&t).await.unwrap();
        tx.append_outbox(&[event(&ids, &t)]).await.unwrap();
        tx.append_audit(&audit_record(&ids, &t, "confirmOrder")).await.unwrap();
        tx.commit().await.unwrap();

        assert_eq!(store.outbox(&t).len(), 1);
        assert_eq!(store.audit_records().len(), 1);
        assert_eq!(log.records().len(), 1, "the shared trail sees committed records");
    });
}

#[test]
fn another_tenants_rows_are_refused_in_a_tenants_transaction() {
    block_on(async {
        let (store, ids) = (InMemoryOrderStore::new(), SequentialIds::new());
        let mut tx = store.begin(&tenant("t1")).await.unwrap();
        let foreign = order(&ids, &tenant("t2"), 1, None);
        assert!(tx.insert_order(&foreign).await.is_err());
        assert!(tx.append_outbox(&[event(&ids, &tenant("t2"))]).await.is_err());
        let mut platform = audit_record(&ids, &tenant("t1"), "upsertPlan");
        platform.tenant_id = None;
        assert!(tx.append_audit(&platform).await.is_err());
    });
}
