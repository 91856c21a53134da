//! Replays: the same call again answers the first result and writes nothing new (issue 9,
//! tests 1–3 and 10).

use domain::{
    ledger::EntryKind,
    order::{OrderStatus, ShipmentMode},
};

use super::{World, block_on, keyed, order_input};
use crate::{
    ErrorCode,
    orders::{CreateOrder, CreateShipment, MoneyInput, RecordPayment, ShipmentItemInput},
    ports::OUTCOME_OK,
};

#[test]
fn create_order_replayed_with_the_same_key_and_content_returns_the_first_order_and_audits_each_call() {
    let w = World::new();
    let first = w.observe(w.orders.create_order(&w.admin(), keyed("k-1", order_input())));
    let replay = w.observe(w.orders.create_order(&w.admin(), keyed("k-1", order_input())));

    let (first_value, replay_value) = (first.result.as_ref().unwrap(), replay.result.as_ref().unwrap());
    assert!(!first_value.replayed);
    assert!(replay_value.replayed);
    assert_eq!(replay_value.value.id(), first_value.value.id());
    assert_eq!(w.committed_orders().len(), 1);
    assert_eq!(w.events_of("order.created"), 1);
    assert!(replay.events.is_empty(), "a replay appends no event");
    assert_eq!(w.counter("orders:2026-01"), 1, "a replay is not counted against the quota");

    // The change commits its record with it; the replay, which commits nothing, is settled on
    // its own: two calls, two records, one on each path.
    let created = first.single_record("createOrder", OUTCOME_OK);
    assert_eq!(first.committed_records, 1);
    let replayed = replay.single_record("createOrder", OUTCOME_OK);
    assert_eq!(replay.committed_records, 0);
    assert_eq!(replay.transactions, 1, "the key is looked up inside one transaction");
    let order_id = first_value.value.id().to_string();
    assert_eq!(created.order_id.as_deref(), Some(order_id.as_str()));
    assert_eq!(replayed.order_id.as_deref(), Some(order_id.as_str()));
    assert_eq!((w.store.audit_records().len(), w.log.records().len()), (1, 1));
}

#[test]
fn create_order_with_a_used_key_and_other_content_is_an_idempotency_conflict_that_writes_nothing() {
    let w = World::new();
    block_on(w.orders.create_order(&w.admin(), keyed("k-1", order_input()))).unwrap();
    let (orders, outbox, numbers) = (w.committed_orders().len(), w.outbox().len(), w.counter("order_number"));

    let mut other = keyed("k-1", order_input());
    other.lines[0].quantity = 3;
    let call = w.observe(w.orders.create_order(&w.admin(), other));

    let error = call.refused_with(ErrorCode::IdempotencyConflict);
    assert_eq!(error.field, Some(vec!["idempotencyKey".to_owned()]));
    assert_eq!(w.committed_orders().len(), orders);
    assert_eq!(w.outbox().len(), outbox);
    assert_eq!(w.counter("order_number"), numbers, "no order number was drawn for it");
    assert_eq!(w.counter("orders:2026-01"), 1);
    call.single_record("createOrder", "IDEMPOTENCY_CONFLICT");
    assert_eq!(call.committed_records, 0);
}

#[test]
fn create_order_with_a_known_external_ref_and_no_key_returns_the_existing_order() {
    let w = World::new();
    let input = CreateOrder { external_ref: Some("shop-42".to_owned()), ..order_input() };
    let first = block_on(w.orders.create_order(&w.admin(), input.clone())).unwrap();
    let outbox = w.outbox().len();

    let again = w.observe(w.orders.create_order(&w.admin(), input));

    let again_value = again.result.as_ref().unwrap();
    assert!(again_value.replayed);
    assert_eq!(again_value.value.id(), first.value.id());
    assert_eq!(again.transactions, 2, "the first attempt's insert finds the taken externalRef, the second replays");
    assert_eq!(w.committed_orders().len(), 1);
    assert_eq!(w.outbox().len(), outbox);
    assert_eq!(w.counter("orders:2026-01"), 1);
    let record = again.single_record("createOrder", OUTCOME_OK);
    assert_eq!(record.order_id, Some(first.value.id().to_string()));
    assert_eq!(again.committed_records, 0);
}

#[test]
fn an_external_ref_replay_with_a_new_key_remembers_the_key_for_the_existing_order() {
    let w = World::new();
    let input = CreateOrder { external_ref: Some("shop-42".to_owned()), ..order_input() };
    let first = block_on(w.orders.create_order(&w.admin(), input.clone())).unwrap();

    // The key is new: the externalRef answers, and the key is committed to answer alike.
    let by_ref = w.observe(w.orders.create_order(&w.admin(), keyed("k-9", input.clone())));
    let by_ref_value = by_ref.result.as_ref().unwrap();
    assert!(by_ref_value.replayed);
    assert_eq!(by_ref_value.value.id(), first.value.id());
    by_ref.single_record("createOrder", OUTCOME_OK);
    assert_eq!(by_ref.committed_records, 0, "a replay's record is written on its own, even when the key is committed");

    // Now the key alone replays, and with other content it is refused.
    let by_key = block_on(w.orders.create_order(&w.admin(), keyed("k-9", input.clone()))).unwrap();
    assert_eq!((by_key.value.id(), by_key.replayed), (first.value.id(), true));
    let other = CreateOrder { external_ref: Some("shop-43".to_owned()), ..keyed("k-9", input) };
    let refused = block_on(w.orders.create_order(&w.admin(), other)).unwrap_err();
    assert_eq!(refused.code, ErrorCode::IdempotencyConflict);
    assert_eq!(w.committed_orders().len(), 1);
}

fn shipment_input(order_id: &str, key: &str) -> CreateShipment {
    CreateShipment {
        order_id: order_id.to_owned(),
        mode: ShipmentMode::Dropoff,
        provider: None,
        address: None,
        items: vec![ShipmentItemInput { sku: "SKU-1".to_owned(), vendor_id: "vendor-1".to_owned(), quantity: 1 }],
        package: None,
        pickup: None,
        idempotency_key: Some(key.to_owned()),
    }
}

#[test]
fn create_shipment_replayed_with_the_same_key_returns_the_first_shipment() {
    let w = World::new();
    let order = w.place_order();
    assert_eq!(order.status(), OrderStatus::Confirmed);
    let id = order.id().to_string();

    let first = w.observe(w.orders.create_shipment(&w.admin(), shipment_input(&id, "ship-1")));
    let replay = w.observe(w.orders.create_shipment(&w.admin(), shipment_input(&id, "ship-1")));

    let (first_value, replay_value) = (first.result.as_ref().unwrap(), replay.result.as_ref().unwrap());
    assert!(!first_value.replayed);
    assert!(replay_value.replayed);
    assert_eq!(replay_value.value.shipment_id, first_value.value.shipment_id);
    let stored = &w.committed_orders()[0];
    assert_eq!(stored.shipments().len(), 1);
    assert_eq!(stored.shipments()[0].id, first_value.value.shipment_id);
    assert_eq!(w.events_of("shipment.created"), 1);
    assert!(replay.events.is_empty());
    first.single_record("createShipment", OUTCOME_OK);
    assert_eq!(first.committed_records, 1);
    let replayed = replay.single_record("createShipment", OUTCOME_OK);
    assert_eq!(replay.committed_records, 0);
    assert!(replayed.target_ids.contains(&first_value.value.shipment_id.to_string()), "{replayed:#?}");
}

fn payment(order_id: &str, key: &str) -> RecordPayment {
    RecordPayment {
        order_id: order_id.to_owned(),
        amount: MoneyInput { amount: "5.00".to_owned(), currency: "EUR".to_owned() },
        reference: Some("ch_1".to_owned()),
        method: Some("card".to_owned()),
        idempotency_key: Some(key.to_owned()),
    }
}

#[test]
fn record_payment_replayed_with_the_same_key_books_one_journal_entry() {
    let w = World::new();
    let id = w.place_order().id().to_string();

    let first = w.observe(w.orders.record_payment(&w.admin(), payment(&id, "pay-1")));
    // The same content written differently (`5.0` is `5.00`) is the same payment.
    let same = RecordPayment {
        amount: MoneyInput { amount: "5.0".to_owned(), currency: "EUR".to_owned() },
        ..payment(&id, "pay-1")
    };
    let replay = w.observe(w.orders.record_payment(&w.admin(), same));

    assert!(!first.result.as_ref().unwrap().replayed);
    assert!(replay.result.as_ref().unwrap().replayed);
    let stored = &w.committed_orders()[0];
    let payments: Vec<_> = stored.journal().iter().filter(|e| e.kind() == EntryKind::PaymentRecorded).collect();
    assert_eq!(payments.len(), 1, "{:#?}", stored.journal());
    assert_eq!(payments[0].idempotency_key(), "pay-1");
    assert_eq!(w.events_of("payment.recorded"), 1);
    first.single_record("recordPayment", OUTCOME_OK);
    replay.single_record("recordPayment", OUTCOME_OK);
    assert_eq!((first.committed_records, replay.committed_records), (1, 0));

    // Another amount under the same key is refused, and books nothing.
    let other = RecordPayment {
        amount: MoneyInput { amount: "6.00".to_owned(), currency: "EUR".to_owned() },
        ..payment(&id, "pay-1")
    };
    let conflict = w.observe(w.orders.record_payment(&w.admin(), other));
    conflict.refused_with(ErrorCode::IdempotencyConflict);
    conflict.single_record("recordPayment", "IDEMPOTENCY_CONFLICT");
    assert_eq!(w.committed_orders()[0].journal().len(), stored.journal().len());
}

#[test]
fn record_payment_under_a_key_another_orders_journal_holds_is_an_idempotency_conflict() {
    let w = World::new();
    let first = w.place_order();
    let second = w.place_order();
    // A system entry's key: it was never a caller's key, so no stored key replays it; the
    // journal's unique key is what refuses a second entry under it.
    let taken = first.journal()[0].idempotency_key().to_owned();
    let journal = w.committed_orders().iter().map(|o| o.journal().len()).sum::<usize>();

    let call = w.observe(w.orders.record_payment(&w.admin(), payment(&second.id().to_string(), &taken)));

    let error = call.refused_with(ErrorCode::IdempotencyConflict);
    assert_eq!(error.field, Some(vec!["idempotencyKey".to_owned()]));
    assert_eq!(w.committed_orders().iter().map(|o| o.journal().len()).sum::<usize>(), journal);
    assert!(call.events.is_empty());
    assert_eq!(call.transactions, 1, "a taken journal key is not a lost race");
    call.single_record("recordPayment", "IDEMPOTENCY_CONFLICT");
    assert_eq!(call.committed_records, 0);
}

/// Numbers are drawn last in the creating transaction; the order, its stored row and its
/// `order.created` event all carry the drawn number, never the placeholder it was written with.
#[test]
fn a_created_order_and_its_event_carry_the_number_drawn_last() {
    let w = World::new();
    let created = block_on(w.orders.create_order(&w.admin(), order_input())).unwrap().value;
    let again = block_on(w.orders.create_order(&w.admin(), keyed("k-2", order_input()))).unwrap().value;
    assert_eq!((created.number(), again.number()), ("ORD-000001", "ORD-000002"));
    let stored: Vec<String> = w.committed_orders().iter().map(|o| o.number().to_owned()).collect();
    assert_eq!(stored, ["ORD-000001", "ORD-000002"]);
    let numbers: Vec<String> = w
        .outbox()
        .iter()
        .filter(|e| e.event_type == "order.created")
        .map(|e| e.payload["data"]["orderNumber"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(numbers, ["ORD-000001", "ORD-000002"]);
}
