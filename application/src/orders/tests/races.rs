//! Concurrency: a stale expectedVersion is the caller's conflict, a lost race is the runner's to
//! retry, and only exhausted retries reach the caller (issue 9, tests 4–7).

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use async_trait::async_trait;
use domain::{
    OrderId, ShipmentId, TenantId,
    ledger::EntryKind,
    order::{Order, OrderStatus},
};

use super::{World, assert_unchanged, block_on, confirm, every_permission, manual_confirmation, order_input};
use crate::{
    ErrorCode,
    orders::{EscalateOrderReview, runner::ATTEMPTS},
    ports::{
        CurrencyTotals, LedgerPage, LedgerQuery, OUTCOME_OK, OrderPage, OrderQuery, OrderStore, OrderTx, PlanLimits,
        StoreError, Taken,
    },
    testing::{FixedClock, InMemoryOrderStore},
};

fn lost_race() -> StoreError {
    StoreError::Conflict("the order changed since it was read".to_owned())
}

fn receivables(order: &Order) -> usize {
    order.journal().iter().filter(|e| e.kind() == EntryKind::OrderConfirmed).count()
}

#[test]
fn confirm_order_with_a_stale_expected_version_is_a_conflict_on_expected_version_and_changes_nothing() {
    let w = World::pending();
    let read = w.place_order();
    assert_eq!((read.status(), read.version()), (OrderStatus::Pending, 1));
    // Someone else changes the order after the caller read it at version 1.
    let escalate = EscalateOrderReview {
        id: read.id().to_string(),
        reviewer: "bob".to_owned(),
        comments: None,
        expected_version: None,
    };
    block_on(w.orders.escalate_order_review(&w.admin(), escalate)).unwrap();
    let before = w.committed_orders()[0].clone();
    assert_eq!(before.version(), 2);

    let call = w.observe(w.orders.confirm_order(&w.admin(), confirm(&read, Some(1))));

    let error = call.refused_with(ErrorCode::Conflict);
    assert_eq!(error.field, Some(vec!["expectedVersion".to_owned()]));
    let after = &w.committed_orders()[0];
    assert_eq!((after.status(), after.version()), (OrderStatus::Pending, 2));
    assert_unchanged(&before, after);
    assert!(call.events.is_empty());
    assert_eq!(call.transactions, 1, "a stale version is the caller's to resolve: no retry");
    let record = call.single_record("confirmOrder", "CONFLICT");
    assert_eq!(record.order_id, Some(read.id().to_string()));
    assert_eq!(call.committed_records, 0);
}

#[test]
fn confirm_order_that_loses_a_race_on_update_is_retried_and_succeeds_once() {
    let w = World::pending();
    let order = w.place_order();
    w.store.fail_next_update_with(lost_race());

    let call = w.observe(w.orders.confirm_order(&w.admin(), confirm(&order, Some(1))));

    let confirmed = call.result.as_ref().unwrap();
    assert_eq!((confirmed.status(), confirmed.version()), (OrderStatus::Confirmed, 2));
    assert_eq!(call.transactions, 2, "the lost race and its retry");
    assert_eq!(w.events_of("order.confirmed"), 1);
    let stored = &w.committed_orders()[0];
    assert_eq!((stored.status(), stored.version()), (OrderStatus::Confirmed, 2));
    assert_eq!(receivables(stored), 1, "the receivable is booked once, not once per attempt");
    call.single_record("confirmOrder", OUTCOME_OK);
    assert_eq!(call.committed_records, 1);
}

#[test]
fn confirm_order_whose_commit_loses_a_race_is_retried_and_audited_once() {
    let w = World::pending();
    let order = w.place_order();
    w.store.fail_next_commit_with(lost_race());

    let call = w.observe(w.orders.confirm_order(&w.admin(), confirm(&order, Some(1))));

    assert_eq!(call.result.as_ref().unwrap().status(), OrderStatus::Confirmed);
    assert_eq!(call.transactions, 2);
    assert_eq!(w.events_of("order.confirmed"), 1);
    assert_eq!(call.events.len(), 1, "{:#?}", call.events);
    assert_eq!(receivables(&w.committed_orders()[0]), 1);
    // The record staged in the refused commit went with it; the retry's is the only one.
    call.single_record("confirmOrder", OUTCOME_OK);
    assert_eq!(call.committed_records, 1);
}

#[test]
fn create_order_whose_commit_loses_a_race_is_retried_without_a_gap_in_numbers_or_quota() {
    let w = World::new();
    w.store.fail_next_commit_with(StoreError::Duplicate(Taken::OrderNumber));

    let call = w.observe(w.orders.create_order(&w.admin(), order_input()));

    let created = call.result.as_ref().unwrap();
    assert_eq!(created.value.number(), "ORD-000001", "the refused attempt's number was rolled back");
    assert_eq!(call.transactions, 2);
    assert_eq!(w.committed_orders().len(), 1);
    assert_eq!(w.committed_orders()[0].id(), created.value.id());
    assert_eq!(w.events_of("order.created"), 1);
    assert_eq!(w.counter("orders:2026-01"), 1);
    assert_eq!(w.counter("order_number"), 1);
    call.single_record("createOrder", OUTCOME_OK);
    assert_eq!(call.committed_records, 1);
}

/// The use cases' view of a store in which the order they read has always just been changed by
/// someone else: each of the next `races` transactions loses its update. The store's own fault
/// fires once, so this re-arms it at every `begin`.
struct Contended {
    store: InMemoryOrderStore,
    races: AtomicUsize,
}

#[async_trait]
impl OrderStore for Contended {
    async fn begin(&self, tenant: &TenantId) -> Result<Box<dyn OrderTx>, StoreError> {
        if self.races.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            self.store.fail_next_update_with(lost_race());
        }
        self.store.begin(tenant).await
    }

    async fn order(&self, tenant: &TenantId, id: OrderId) -> Result<Option<Order>, StoreError> {
        self.store.order(tenant, id).await
    }

    async fn order_by_external_ref(&self, tenant: &TenantId, external_ref: &str) -> Result<Option<Order>, StoreError> {
        self.store.order_by_external_ref(tenant, external_ref).await
    }

    async fn order_of_shipment(&self, tenant: &TenantId, id: ShipmentId) -> Result<Option<Order>, StoreError> {
        self.store.order_of_shipment(tenant, id).await
    }

    async fn orders(&self, tenant: &TenantId, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        self.store.orders(tenant, query).await
    }

    async fn ledger_entries(&self, tenant: &TenantId, query: &LedgerQuery) -> Result<LedgerPage, StoreError> {
        self.store.ledger_entries(tenant, query).await
    }

    async fn trial_balance(&self, tenant: &TenantId) -> Result<Vec<CurrencyTotals>, StoreError> {
        self.store.trial_balance(tenant).await
    }

    async fn find_tracked_shipment(
        &self,
        scope: crate::ports::TrackingScope<'_>,
        lookup: &crate::ports::TrackingLookup,
    ) -> Result<crate::ports::TrackedShipment, StoreError> {
        self.store.find_tracked_shipment(scope, lookup).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }
}

/// A tenant without auto-confirmation whose next `races` transactions (after the order is placed)
/// lose their update.
fn contended(races: usize) -> (World, Arc<Contended>) {
    let mut handle = None;
    let w = World::build(
        FixedClock::default(),
        every_permission(),
        PlanLimits::default(),
        manual_confirmation(),
        |store| {
            let port = Arc::new(Contended { store: store.clone(), races: AtomicUsize::new(0) });
            handle = Some(port.clone());
            port
        },
    );
    let port = handle.unwrap();
    // Placing the order updates nothing; the races start with the call under test.
    w.place_order();
    port.races.store(races, Ordering::SeqCst);
    (w, port)
}

#[test]
fn confirm_order_that_loses_every_attempt_answers_conflict_and_writes_nothing() {
    let (w, port) = contended(ATTEMPTS);
    let before = w.committed_orders()[0].clone();
    let outbox = w.outbox().len();

    let call = w.observe(w.orders.confirm_order(&w.admin(), confirm(&before, Some(1))));

    let error = call.refused_with(ErrorCode::Conflict);
    assert_eq!(error.field, None, "no input of the caller's was wrong: retrying is all they can do");
    assert_eq!(call.transactions, ATTEMPTS);
    assert_eq!(port.races.load(Ordering::SeqCst), 0, "every armed race was lost");
    let after = &w.committed_orders()[0];
    assert_unchanged(&before, after);
    assert_eq!(receivables(after), 0);
    assert_eq!(w.outbox().len(), outbox);
    assert_eq!(w.events_of("order.confirmed"), 0);
    let record = call.single_record("confirmOrder", "CONFLICT");
    assert_eq!(record.order_id, Some(before.id().to_string()));
    assert_eq!(call.committed_records, 0, "the refusal is recorded on its own");
}

#[test]
fn confirm_order_that_wins_its_last_attempt_succeeds() {
    let (w, _port) = contended(ATTEMPTS - 1);
    let order = w.committed_orders()[0].clone();

    let call = w.observe(w.orders.confirm_order(&w.admin(), confirm(&order, Some(1))));

    assert_eq!(call.result.as_ref().unwrap().status(), OrderStatus::Confirmed);
    assert_eq!(call.transactions, ATTEMPTS);
    assert_eq!(w.events_of("order.confirmed"), 1);
    call.single_record("confirmOrder", OUTCOME_OK);
    assert_eq!(call.committed_records, 1);
}

#[test]
fn create_order_that_loses_its_number_to_a_concurrent_insert_is_retried() {
    let w = World::new();
    w.store.fail_next_insert_with(StoreError::Duplicate(Taken::OrderNumber));

    let call = w.observe(w.orders.create_order(&w.admin(), order_input()));

    assert_eq!(call.result.as_ref().unwrap().value.number(), "ORD-000001");
    assert_eq!(call.transactions, 2);
    assert_eq!(w.committed_orders().len(), 1);
    assert_eq!(w.events_of("order.created"), 1);
    call.single_record("createOrder", OUTCOME_OK);
}

#[test]
fn a_storage_failure_is_not_a_race_and_ends_the_call_without_a_retry() {
    let w = World::pending();
    let order = w.place_order();
    w.store.fail_next_update_with(StoreError::Unavailable("connection reset".to_owned()));

    let call = w.observe(w.orders.confirm_order(&w.admin(), confirm(&order, Some(1))));

    let error = call.refused_with(ErrorCode::Internal);
    assert!(!error.message.contains("connection reset"), "the cause stays in the logs: {error:?}");
    assert_eq!(call.transactions, 1);
    assert_unchanged(&order, &w.committed_orders()[0]);
    assert!(call.events.is_empty());
    call.single_record("confirmOrder", "INTERNAL");
    assert_eq!(call.committed_records, 0);
}

#[test]
fn a_retried_create_order_audits_only_the_order_it_stored() {
    let w = World::new();
    w.store.fail_next_commit_with(lost_race());

    let call = w.observe(w.orders.create_order(&w.admin(), order_input()));

    let created = call.result.as_ref().unwrap().value.id().to_string();
    let record = call.single_record("createOrder", OUTCOME_OK);
    assert_eq!(record.order_id.as_ref(), Some(&created));
    // The first attempt drew its own order id, rolled back with the refused commit.
    assert_eq!(record.target_ids, vec![created]);
}

// A store may send a write with a later call or the commit (SQLite does), so a write's refusal
// can come from the commit: the runner reads it there as it would from the write.

#[test]
fn a_number_taken_by_a_concurrent_insert_and_reported_at_commit_is_retried() {
    let w = World::new();
    w.store.fail_next_commit_with(StoreError::Duplicate(Taken::OrderNumber));

    let call = w.observe(w.orders.create_order(&w.admin(), order_input()));

    assert_eq!(call.result.as_ref().unwrap().value.number(), "ORD-000001");
    assert_eq!(call.transactions, 2);
    assert_eq!(w.committed_orders().len(), 1);
    call.single_record("createOrder", OUTCOME_OK);
}

#[test]
fn a_journal_key_refused_at_commit_is_an_idempotency_conflict_not_a_retry() {
    let w = World::pending();
    let order = w.place_order();
    w.store.fail_next_commit_with(StoreError::Duplicate(Taken::JournalEntryKey));

    let call = w.observe(w.orders.confirm_order(&w.admin(), confirm(&order, Some(1))));

    let error = call.refused_with(ErrorCode::IdempotencyConflict);
    assert_eq!(error.field.as_deref(), Some(&["idempotencyKey".to_owned()][..]));
    assert_eq!(call.transactions, 1);
    assert_unchanged(&order, &w.committed_orders()[0]);
    call.single_record("confirmOrder", "IDEMPOTENCY_CONFLICT");
}

#[test]
fn a_tracking_reference_refused_at_commit_names_its_field_and_is_not_retried() {
    let w = World::pending();
    let order = w.place_order();
    w.store.fail_next_commit_with(StoreError::Duplicate(Taken::TrackingReference));

    let call = w.observe(w.orders.confirm_order(&w.admin(), confirm(&order, Some(1))));

    let error = call.refused_with(ErrorCode::Conflict);
    assert_eq!(error.field.as_deref(), Some(&["trackingReference".to_owned()][..]));
    assert_eq!(call.transactions, 1);
    assert_unchanged(&order, &w.committed_orders()[0]);
}
