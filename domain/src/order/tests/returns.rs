//! Returns, payments and refunds on the Order aggregate (SPEC §2 "Returns and refunds", "Ledger").

use proptest::prelude::*;
use uuid::Uuid;

use super::*;
use crate::{
    ReturnId,
    ledger::{CapApplied, EntryKind, EntryMeta, FeeRate, LedgerError, PaymentStatus, Posted, RefundPolicy},
    order::{MAX_RETURNS_PER_ORDER, NewReturn, ReturnStatus},
};

fn rid(n: u128) -> ReturnId {
    ReturnId::from_uuid(Uuid::from_u128(0x7000 + n))
}

fn entry(n: u128, key: &str) -> EntryMeta {
    EntryMeta::new(Uuid::from_u128(0x9000 + n), key, later())
}

fn new_return(n: u128, lines: &[(&str, i64)]) -> NewReturn {
    NewReturn {
        id: rid(n),
        lines: lines.iter().map(|(sku, q)| LinePick::new(*sku, V, *q)).collect(),
        reason: Some("too small".to_owned()),
    }
}

/// 3 units of A at 100.00 USD, all delivered, the receivable booked and fully paid.
fn delivered_and_paid() -> Order {
    let mut o = OrderBuilder::new().with(line_of("A", V, 3, usd(10_000))).build();
    o.sync_receivable(Uuid::from_u128(1), now()).expect("book");
    add_shipment(&mut o, 1, &[("A", 3)], ShipmentStatus::Delivered);
    o.record_payment(entry(1, "pay-1"), usd(30_000), now()).expect("pay");
    o.take_events();
    o
}

fn policy(percent: u32, max: Option<i64>) -> RefundPolicy {
    RefundPolicy { restocking_fee: FeeRate::from_percent(percent).expect("rate"), max_refund_amount: max.map(usd) }
}

fn approved_return_of_two(o: &mut Order) -> ReturnId {
    let id = o.request_return(new_return(1, &[("A", 2)]), now()).expect("request");
    o.approve_return(id, now()).expect("approve");
    o.take_events();
    id
}

#[test]
fn only_delivered_units_may_be_returned() {
    let mut o = order_in(OrderStatus::PartiallyDelivered); // A: 2 of 3 delivered, B: none
    let msg =
        refused_field(&mut o, &["lines", "0", "quantity"], |o| o.request_return(new_return(1, &[("A", 3)]), later()));
    assert!(msg.contains("only 2"), "{msg}");
    refused_field(&mut o, &["lines", "0", "quantity"], |o| o.request_return(new_return(1, &[("B", 1)]), later()));
    refused_field(&mut o, &["lines", "0", "quantity"], |o| o.request_return(new_return(1, &[("A", 0)]), later()));
    refused_field(&mut o, &["lines", "0"], |o| o.request_return(new_return(1, &[("Z", 1)]), later()));
    refused_field(&mut o, &["lines", "1"], |o| o.request_return(new_return(1, &[("A", 1), ("A", 1)]), later()));
    refused_field(&mut o, &["lines"], |o| o.request_return(new_return(1, &[]), later()));

    let id = accepted(&mut o, &["return.requested"], |o| o.request_return(new_return(1, &[("A", 2)]), later()));
    assert_eq!(o.return_by_id(id).unwrap().status, ReturnStatus::Requested);
    assert_eq!(o.pending_events()[0].data.return_id, Some(id.to_string()));
}

#[test]
fn never_more_than_delivered_minus_already_returned_and_declined_units_come_back() {
    let mut o = order_in(OrderStatus::Delivered); // A: 3 delivered, B: 1 delivered
    o.request_return(new_return(1, &[("A", 2)]), now()).unwrap();
    refused_field(&mut o, &["lines", "0", "quantity"], |o| o.request_return(new_return(2, &[("A", 2)]), later()));
    o.request_return(new_return(2, &[("A", 1), ("B", 1)]), now()).unwrap();
    refused_field(&mut o, &["lines", "0", "quantity"], |o| o.request_return(new_return(3, &[("A", 1)]), later()));
    accepted(&mut o, &["return.declined"], |o| o.decline_return(rid(1), Some("worn"), later()));
    assert_eq!(o.return_by_id(rid(1)).unwrap().decline_reason.as_deref(), Some("worn"));
    // The declined return's units may be asked back again.
    o.request_return(new_return(3, &[("A", 2)]), now()).unwrap();
    assert_eq!(o.returned(&crate::Sku::new("A").unwrap(), &crate::VendorId::new(V).unwrap()), 3);
}

#[test]
fn return_status_machine() {
    let mut o = order_in(OrderStatus::Delivered);
    let id = o.request_return(new_return(1, &[("A", 1)]), now()).unwrap();
    accepted(&mut o, &["return.approved"], |o| o.approve_return(id, later()));
    refused_state(&mut o, |o| o.approve_return(id, later()));
    refused_state(&mut o, |o| o.decline_return(id, None, later()));
    let other = o.request_return(new_return(2, &[("A", 1)]), now()).unwrap();
    o.decline_return(other, None, now()).unwrap();
    refused_state(&mut o, |o| o.approve_return(other, later()));
    refused_field(&mut o, &["id"], |o| o.approve_return(rid(99), later()));
}

#[test]
fn confirmation_books_the_total_and_cancellation_reverses_it() {
    let mut o = OrderBuilder::standard().build(); // 3 × 10.00 + 1 × 10.00
    o.sync_receivable(Uuid::from_u128(1), now()).unwrap();
    o.sync_receivable(Uuid::from_u128(2), now()).unwrap();
    assert_eq!(o.journal().len(), 1, "booking is once per order");
    assert_eq!(o.balance().due(), usd(4_000));
    assert_eq!(o.journal()[0].idempotency_key(), o.system_key("confirmed"));
    o.cancel(None, now()).unwrap();
    o.sync_receivable(Uuid::from_u128(3), now()).unwrap();
    let kinds: Vec<EntryKind> = o.journal().iter().map(|e| e.kind()).collect();
    assert_eq!(kinds, [EntryKind::OrderConfirmed, EntryKind::OrderCancelled]);
    assert_eq!(o.balance().due(), usd(0));
    assert!(crate::ledger::trial_balance(o.journal()).values().all(|v| *v == 0));

    let mut pending = OrderBuilder::standard().pending().build();
    pending.sync_receivable(Uuid::from_u128(4), now()).unwrap();
    assert!(pending.journal().is_empty(), "a PENDING order owes nothing yet");
}

#[test]
fn payments_need_a_receivable_and_never_exceed_what_is_due() {
    let mut pending = OrderBuilder::standard().pending().build();
    let err = pending.record_payment(entry(1, "p"), usd(100), later()).unwrap_err();
    assert!(matches!(err, LedgerError::Domain(DomainError::InvalidState(_))), "{err:?}");

    let mut o = OrderBuilder::standard().build();
    o.sync_receivable(Uuid::from_u128(1), now()).unwrap();
    o.take_events();
    let over = o.record_payment(entry(2, "p"), usd(4_001), later()).unwrap_err();
    assert!(matches!(over, LedgerError::Domain(DomainError::Validation { .. })), "{over:?}");
    let eur = Money::from_minor(100, cur("EUR"));
    assert!(o.record_payment(entry(2, "p"), eur, later()).is_err());
    assert_eq!(o.version(), 1, "refused payments change nothing");

    let posted = o.record_payment(entry(2, "p"), usd(1_000), later()).unwrap();
    assert!(matches!(posted, Posted::Recorded(_)));
    assert_eq!(o.payment_status(), PaymentStatus::PartiallyPaid);
    assert_eq!(o.pending_events()[0].event_type.as_str(), "payment.recorded");
    assert_eq!(o.pending_events()[0].data.amount.as_deref(), Some("10.00"));
    let replay = o.record_payment(entry(3, "p"), usd(1_000), later()).unwrap();
    assert!(matches!(replay, Posted::Replayed(_)));
    assert_eq!(o.version(), 2, "a replay is no new version");
    let conflict = o.record_payment(entry(4, "p"), usd(999), later()).unwrap_err();
    assert!(matches!(conflict, LedgerError::IdempotencyConflict { .. }));

    // Paid money stays: the order cannot be cancelled until it is refunded.
    refused_state(&mut o, |o| o.cancel(None, later()));
}

#[test]
fn completion_needs_the_balance_settled() {
    let mut o = OrderBuilder::standard().build();
    o.sync_receivable(Uuid::from_u128(1), now()).unwrap();
    add_shipment(&mut o, 1, &[("A", 3), ("B", 1)], ShipmentStatus::Delivered);
    refused_state(&mut o, |o| o.complete(later()));
    o.record_payment(entry(2, "p"), usd(4_000), now()).unwrap();
    accepted(&mut o, &["order.completed"], |o| o.complete(later()));
    assert_eq!(o.payment_status(), PaymentStatus::Paid);
}

#[test]
fn refund_two_of_three_units_capped_by_the_tenant_maximum() {
    let mut o = delivered_and_paid();
    let id = approved_return_of_two(&mut o);
    let quote = o.refund_return(id, entry(5, "r"), &policy(10, Some(15_000)), Some("ok"), later()).unwrap();
    assert_eq!((quote.amount(), quote.restocking_fee()), (usd(15_000), usd(2_000)));
    assert_eq!(quote.cap_applied(), CapApplied::MaxRefundAmount);
    let ret = o.return_by_id(id).unwrap();
    assert_eq!(ret.status, ReturnStatus::Refunded);
    assert_eq!(ret.refund.as_ref().unwrap().amount, usd(15_000));
    assert_eq!(o.balance().refunded(), usd(15_000));
    assert_eq!(o.payment_status(), PaymentStatus::PartiallyRefunded);
    assert_eq!(o.pending_events()[0].data.cap_applied.as_deref(), Some("MAX_REFUND_AMOUNT"));
    assert!(crate::ledger::trial_balance(o.journal()).values().all(|v| *v == 0));
    // Once.
    let again = o.refund_return(id, entry(6, "r2"), &policy(10, Some(15_000)), None, later()).unwrap_err();
    assert!(matches!(again, LedgerError::Domain(DomainError::InvalidState(_))), "{again:?}");
}

#[test]
fn refund_under_a_higher_maximum_is_gross_less_fee() {
    let mut o = delivered_and_paid();
    let id = approved_return_of_two(&mut o);
    let quote = o.refund_return(id, entry(5, "r"), &policy(10, Some(50_000)), None, later()).unwrap();
    assert_eq!((quote.amount(), quote.restocking_fee()), (usd(18_000), usd(2_000)));
    assert_eq!(quote.cap_applied(), CapApplied::None);
}

#[test]
fn only_approved_returns_are_refunded() {
    let mut o = delivered_and_paid();
    let id = o.request_return(new_return(1, &[("A", 1)]), now()).unwrap();
    let before = o.version();
    let err = o.refund_return(id, entry(5, "r"), &policy(0, None), None, later()).unwrap_err();
    assert!(matches!(err, LedgerError::Domain(DomainError::InvalidState(ref m)) if m.contains("approve")), "{err:?}");
    assert_eq!(o.version(), before);
    assert_eq!(o.journal().len(), 2);
}

#[test]
fn nothing_paid_means_nothing_to_refund_and_no_fee_is_booked() {
    let mut o = OrderBuilder::new().with(line_of("A", V, 3, usd(10_000))).build();
    o.sync_receivable(Uuid::from_u128(1), now()).expect("book");
    add_shipment(&mut o, 1, &[("A", 3)], ShipmentStatus::Delivered);
    let id = approved_return_of_two(&mut o);
    let before = (o.version(), o.journal().len());
    let err = o.refund_return(id, entry(6, "r"), &policy(10, None), None, later()).unwrap_err();
    assert!(
        matches!(err, LedgerError::Domain(DomainError::InvalidState(ref m)) if m.contains("no payment")),
        "{err:?}"
    );
    assert_eq!((o.version(), o.journal().len()), before, "nothing booked, nothing changed");
    assert_eq!(o.return_by_id(id).map(|r| r.status), Some(ReturnStatus::Approved));
}

proptest! {
    /// Whatever sequence of requests and declines, the units held by returns never exceed the
    /// delivered units of any line, and the order's books stay balanced.
    #[test]
    fn returns_never_exceed_delivered_units(steps in prop::collection::vec((0u8..3, 1i64..4, any::<bool>()), 1..20)) {
        let mut o = order_in(OrderStatus::PartiallyDelivered);
        o.sync_receivable(Uuid::from_u128(1), now()).unwrap();
        for (n, (kind, qty, decline)) in steps.into_iter().enumerate() {
            let sku = ["A", "B", "A"][kind as usize];
            if let Ok(id) = o.request_return(new_return(n as u128, &[(sku, qty)]), now())
                && decline
            {
                o.decline_return(id, None, now()).unwrap();
            }
            for line in o.lines().to_vec() {
                let delivered = crate::order::progress(&line, o.shipments()).delivered;
                prop_assert!(u64::from(o.returned(&line.sku, &line.vendor_id)) <= delivered);
            }
        }
        prop_assert!(crate::ledger::trial_balance(o.journal()).values().all(|v| *v == 0));
    }
}

#[test]
fn a_dispatched_shipment_books_its_carrier_cost_once() {
    let mut o = OrderBuilder::standard().build();
    o.sync_receivable(Uuid::from_u128(1), now()).unwrap();
    let id = add_shipment(&mut o, 1, &[("A", 1)], ShipmentStatus::Shipped); // cost 7.50
    o.book_shipment_cost(id, Uuid::from_u128(2), now()).unwrap();
    o.book_shipment_cost(id, Uuid::from_u128(3), now()).unwrap();
    let kinds: Vec<EntryKind> = o.journal().iter().map(|e| e.kind()).collect();
    assert_eq!(kinds, [EntryKind::OrderConfirmed, EntryKind::ShipmentCost]);
    assert_eq!(o.balance().due(), usd(4_000), "a carrier's cost is not the customer's debt");
    let pending = add_shipment(&mut o, 2, &[("B", 1)], ShipmentStatus::Pending);
    o.book_shipment_cost(pending, Uuid::from_u128(4), now()).unwrap();
    assert_eq!(o.journal().len(), 2, "no cost, nothing booked");
}

#[test]
fn the_201st_return_is_refused_while_the_200th_is_accepted_and_declined_ones_count() {
    // 300 units delivered: after 200 one-unit returns, units are left, so only the cap refuses.
    let mut o = OrderBuilder::new().with(line("A", 300)).build();
    add_shipment(&mut o, 1, &[("A", 300)], ShipmentStatus::Delivered);
    let cap = MAX_RETURNS_PER_ORDER as u128;
    for n in 1..cap {
        o.request_return(new_return(n, &[("A", 1)]), now()).expect("request");
        o.decline_return(rid(n), None, now()).expect("decline");
    }
    accepted(&mut o, &["return.requested"], |o| o.request_return(new_return(cap, &[("A", 1)]), later()));
    assert_eq!(o.returns().len(), 200);
    let no_field: &[&str] = &[];
    let msg = refused_field(&mut o, no_field, |o| o.request_return(new_return(cap + 1, &[("A", 1)]), later()));
    assert!(msg.starts_with("an order holds at most 200 returns"), "{msg}");
    assert_eq!(o.returns().len(), 200);
}

#[test]
fn a_return_line_in_decomposed_form_finds_the_composed_line_and_invisible_ones_are_refused() {
    let mut o = OrderBuilder::new().with(line("CAF\u{c9}", 2)).build();
    add_shipment(&mut o, 1, &[("CAF\u{c9}", 2)], ShipmentStatus::Delivered);
    refused_field(&mut o, &["lines", "0", "sku"], |o| {
        o.request_return(new_return(1, &[("CAF\u{c9}\u{200D}", 1)]), later())
    });
    let id =
        accepted(&mut o, &["return.requested"], |o| o.request_return(new_return(1, &[("CAFE\u{301}", 2)]), later()));
    assert_eq!(o.return_by_id(id).unwrap().lines[0].sku.as_str(), "CAF\u{c9}");
}
