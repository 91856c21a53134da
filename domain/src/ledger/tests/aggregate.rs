//! The Ledger aggregate: each command, its refusals, and the idempotency-key contract.

use super::*;
use crate::ledger::{
    Account, CapApplied, EntryKind, FeeRate, Ledger, LedgerError, PaymentStatus, Posted, RefundPolicy, ReturnedLine,
};

fn recorded(p: Result<Posted, LedgerError>) -> JournalEntry {
    match p {
        Ok(Posted::Recorded(e)) => e,
        other => panic!("expected a new entry, got {other:?}"),
    }
}

fn domain_err(p: Result<Posted, LedgerError>) -> DomainError {
    match p {
        Err(LedgerError::Domain(e)) => e,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

fn is_conflict<T: std::fmt::Debug>(r: Result<T, LedgerError>, key: &str) -> bool {
    matches!(r, Err(LedgerError::IdempotencyConflict { key: k, .. }) if k == key)
}

/// A ledger in which order 1 (3 × 100.00 USD) is confirmed and, if `paid`, fully paid.
fn seeded(paid: bool) -> Ledger {
    let mut l = Ledger::new(tenant());
    recorded(l.confirm_order(meta("confirm-1"), oid(1), money("300.00", "USD")));
    if paid {
        recorded(l.record_payment(meta("pay-1"), oid(1), money("300.00", "USD")));
    }
    l
}

fn seed_policy(max: &str) -> RefundPolicy {
    RefundPolicy { restocking_fee: FeeRate::from_percent(10).unwrap(), max_refund_amount: Some(money(max, "USD")) }
}

fn two_of_three() -> [ReturnedLine; 1] {
    [ReturnedLine { unit_price: money("100.00", "USD"), quantity: 2 }]
}

fn usd_balance(l: &Ledger, order: OrderId) -> crate::ledger::OrderBalance {
    l.order_balance(order, cur("USD")).unwrap()
}

#[test]
fn a_new_ledger_is_empty() {
    let l = Ledger::new(tenant());
    assert_eq!(l.tenant_id(), &tenant());
    assert!(l.entries().is_empty());
    assert!(l.trial_balance().is_empty());
    assert_eq!(l.order_currency(oid(1)), None);
}

#[test]
fn confirm_books_the_total_once() {
    let mut l = seeded(false);
    assert_eq!(l.entries().len(), 1);
    assert_eq!(l.order_currency(oid(1)), Some(cur("USD")));
    assert_eq!(usd_balance(&l, oid(1)).due(), usd(30_000));
    let e = domain_err(l.confirm_order(meta("confirm-again"), oid(1), usd(30_000)));
    assert!(matches!(e, DomainError::InvalidState(_)), "{e:?}");
    assert_eq!(l.entries().len(), 1);
}

#[test]
fn a_free_order_books_nothing() {
    let mut l = Ledger::new(tenant());
    assert_eq!(l.confirm_order(meta("c"), oid(1), usd(0)), Ok(Posted::NothingToBook));
    assert!(l.entries().is_empty());
    assert!(Posted::NothingToBook.entry().is_none());
}

#[test]
fn payments_reduce_what_is_due_and_overpayment_writes_nothing() {
    let mut l = seeded(false);
    recorded(l.record_payment(meta("p1"), oid(1), usd(10_000)));
    let e = domain_err(l.record_payment(meta("p2"), oid(1), usd(20_001)));
    assert_eq!(field(&e), ["amount"]);
    assert_eq!(l.entries().len(), 2, "a refused payment writes nothing");
    assert!(l.entry_by_key("p2").is_none());
    recorded(l.record_payment(meta("p2"), oid(1), usd(20_000)));
    let b = usd_balance(&l, oid(1));
    assert_eq!((b.paid(), b.due(), b.payment_status()), (usd(30_000), usd(0), PaymentStatus::Paid));
}

#[test]
fn payments_before_confirmation_or_in_another_currency_are_refused() {
    let mut l = Ledger::new(tenant());
    assert!(matches!(domain_err(l.record_payment(meta("p"), oid(1), usd(1))), DomainError::InvalidState(_)));
    let mut l = seeded(false);
    assert_eq!(field(&domain_err(l.record_payment(meta("p"), oid(1), kwd(1)))), ["amount", "currency"]);
    assert_eq!(l.entries().len(), 1);
}

#[test]
fn a_replayed_key_returns_the_original_entry_even_when_the_rule_would_now_refuse() {
    let mut l = seeded(false);
    let first = recorded(l.record_payment(meta("pay-1"), oid(1), usd(30_000)));
    // The order is now fully paid: as a new payment this would be an overpayment.
    let again = EntryMeta::new(Uuid::from_u128(7), "pay-1", now() + chrono::Duration::minutes(1));
    assert_eq!(l.record_payment(again, oid(1), usd(30_000)), Ok(Posted::Replayed(first.clone())));
    assert_eq!(l.entries().len(), 2);
    assert_eq!(Posted::Replayed(first.clone()).entry(), Some(&first));
}

#[test]
fn a_reused_key_with_other_content_is_a_conflict() {
    let mut l = seeded(false);
    recorded(l.record_payment(meta("pay-1"), oid(1), usd(10_000)));
    assert!(is_conflict(l.record_payment(meta("pay-1"), oid(1), usd(10_001)), "pay-1"));
    assert!(is_conflict(l.record_payment(meta("pay-1"), oid(2), usd(10_000)), "pay-1"));
    assert!(is_conflict(l.confirm_order(meta("pay-1"), oid(2), usd(10_000)), "pay-1"));
    assert!(is_conflict(l.record_shipment_cost(meta("pay-1"), oid(1), usd(10_000)), "pay-1"));
    // A replay that is invalid in itself is still not the original request.
    assert!(is_conflict(l.record_payment(meta("pay-1"), oid(1), usd(-1)), "pay-1"));
    assert_eq!(l.entries().len(), 2);
    let e = l.record_payment(meta("pay-1"), oid(1), usd(1)).unwrap_err();
    assert!(e.to_string().contains("pay-1"), "{e}");
}

#[test]
fn a_new_key_with_a_used_entry_id_is_refused() {
    let mut l = seeded(false);
    let reused_id = EntryMeta::new(meta("confirm-1").id, "fresh-key", now());
    assert_eq!(field(&domain_err(l.record_payment(reused_id, oid(1), usd(1)))), ["id"]);
}

#[test]
fn cancelling_an_unpaid_order_reverses_its_confirmation() {
    let mut l = seeded(false);
    let e = recorded(l.cancel_unpaid_order(meta("cancel-1"), oid(1)));
    assert_eq!(e.kind(), EntryKind::OrderCancelled);
    let b = usd_balance(&l, oid(1));
    assert_eq!((b.total(), b.due()), (usd(0), usd(0)));
    assert!(l.account_balances().values().all(|v| *v == 0), "{:?}", l.account_balances());
    assert_eq!(l.cancel_unpaid_order(meta("cancel-1"), oid(1)), Ok(Posted::Replayed(e)));
    assert!(matches!(domain_err(l.cancel_unpaid_order(meta("cancel-2"), oid(1))), DomainError::InvalidState(_)));
    assert!(matches!(domain_err(l.confirm_order(meta("c-2"), oid(1), usd(1))), DomainError::InvalidState(_)));
    assert!(matches!(domain_err(l.record_payment(meta("p"), oid(1), usd(1))), DomainError::InvalidState(_)));
}

#[test]
fn cancelling_a_paid_order_is_refused_and_an_unconfirmed_one_books_nothing() {
    let mut l = seeded(true);
    assert!(matches!(domain_err(l.cancel_unpaid_order(meta("x"), oid(1))), DomainError::InvalidState(_)));
    assert_eq!(l.entries().len(), 2);
    assert_eq!(l.cancel_unpaid_order(meta("x"), oid(9)), Ok(Posted::NothingToBook));
}

#[test]
fn seed_scenario_max_150_refunds_150_and_books_the_fee() {
    let mut l = seeded(true);
    let (q, posted) = l.process_refund(meta("refund-1"), oid(1), &two_of_three(), &seed_policy("150.00")).unwrap();
    assert_eq!(q.amount(), money("150.00", "USD"));
    assert_eq!(q.restocking_fee(), money("20.00", "USD"));
    assert_eq!(q.cap_applied(), CapApplied::MaxRefundAmount);
    let e = posted.entry().expect("an entry").clone();
    assert_eq!(e.kind(), EntryKind::RefundProcessed);
    let b = usd_balance(&l, oid(1));
    assert_eq!((b.refunded(), b.due()), (money("150.00", "USD"), usd(0)));
    assert_eq!(b.payment_status(), PaymentStatus::PartiallyRefunded);
    let accounts = l.account_balances();
    assert_eq!(accounts[&(Account::RestockingFees, "USD")], -2_000);
    assert_eq!(accounts[&(Account::Cash, "USD")], 30_000 - 15_000);
    assert_eq!(l.trial_balance().into_iter().collect::<Vec<_>>(), [("USD", 0)]);
}

#[test]
fn seed_scenario_max_500_refunds_180() {
    let mut l = seeded(true);
    let (q, _) = l.process_refund(meta("refund-1"), oid(1), &two_of_three(), &seed_policy("500.00")).unwrap();
    assert_eq!((q.amount(), q.cap_applied()), (money("180.00", "USD"), CapApplied::None));
    assert_eq!(usd_balance(&l, oid(1)).refunded(), money("180.00", "USD"));
}

#[test]
fn refunds_never_exceed_payments() {
    let mut l = seeded(false);
    recorded(l.record_payment(meta("p"), oid(1), usd(5_000)));
    let (q, _) = l.process_refund(meta("r1"), oid(1), &two_of_three(), &seed_policy("500.00")).unwrap();
    assert_eq!((q.amount(), q.cap_applied()), (usd(5_000), CapApplied::RemainingPaid));
    let one = [ReturnedLine { unit_price: money("100.00", "USD"), quantity: 1 }];
    let (q, posted) = l.process_refund(meta("r2"), oid(1), &one, &seed_policy("500.00")).unwrap();
    assert_eq!(q.amount(), usd(0));
    // Only the fee pair is booked: nothing is left to pay back.
    assert_eq!(posted.entry().map(|e| e.postings().len()), Some(2));
    let b = usd_balance(&l, oid(1));
    assert_eq!((b.paid(), b.refunded(), b.payment_status()), (usd(5_000), usd(5_000), PaymentStatus::Refunded));
}

#[test]
fn a_replayed_refund_returns_the_original_quote_although_the_books_moved_on() {
    let mut l = seeded(true);
    let (first, posted) = l.process_refund(meta("r1"), oid(1), &two_of_three(), &seed_policy("500.00")).unwrap();
    l.process_refund(meta("r2"), oid(1), &two_of_three(), &seed_policy("500.00")).unwrap();
    // Only 300 − 180 − 120 = 0 is refundable now, yet the replay answers as the original did.
    let (again, replayed) = l.process_refund(meta("r1"), oid(1), &two_of_three(), &seed_policy("500.00")).unwrap();
    assert_eq!(again, first);
    assert_eq!(replayed, Posted::Replayed(posted.entry().unwrap().clone()));
    assert_eq!(l.entries().len(), 4);
    let other_policy = l.process_refund(meta("r1"), oid(1), &two_of_three(), &seed_policy("150.00"));
    assert!(is_conflict(other_policy, "r1"));
}

#[test]
fn refunds_refuse_foreign_currencies_and_empty_returns() {
    let mut l = seeded(true);
    let kwd_line = [ReturnedLine { unit_price: kwd(100), quantity: 1 }];
    let r = l.process_refund(meta("r"), oid(1), &kwd_line, &seed_policy("500.00"));
    assert!(matches!(r, Err(LedgerError::Domain(DomainError::Validation { .. }))), "{r:?}");
    let r = l.process_refund(meta("r"), oid(7), &[], &seed_policy("500.00"));
    assert!(matches!(r, Err(LedgerError::Domain(DomainError::Validation { .. }))), "{r:?}");
    assert_eq!(l.entries().len(), 2);
}

#[test]
fn shipment_costs_are_booked_against_the_carrier() {
    let mut l = seeded(false);
    let e = recorded(l.record_shipment_cost(meta("ship-1"), oid(1), usd(750)));
    assert_eq!(e.kind(), EntryKind::ShipmentCost);
    assert_eq!(l.account_balances()[&(Account::CarrierPayable, "USD")], -750);
    assert_eq!(usd_balance(&l, oid(1)).due(), usd(30_000), "a carrier cost is not the customer's debt");
    assert_eq!(l.record_shipment_cost(meta("ship-2"), oid(1), usd(0)), Ok(Posted::NothingToBook));
    assert_eq!(l.order_entries(oid(1)).count(), 2);
}

#[test]
fn an_order_is_booked_in_one_currency() {
    let mut l = seeded(false);
    assert_eq!(field(&domain_err(l.record_shipment_cost(meta("ship"), oid(1), kwd(750)))), ["amount", "currency"]);
    let mut l = Ledger::new(tenant());
    recorded(l.record_shipment_cost(meta("ship"), oid(2), jpy(750)));
    assert_eq!(field(&domain_err(l.confirm_order(meta("c"), oid(2), usd(100)))), ["amount", "currency"]);
    assert_eq!(l.entries().len(), 1);
}

#[test]
fn restore_brings_the_journal_back_and_refuses_duplicates() {
    let l = seeded(true);
    let mut back = Ledger::restore(tenant(), l.entries().to_vec()).unwrap();
    assert_eq!(back, l);
    assert!(matches!(back.record_payment(meta("pay-1"), oid(1), usd(30_000)), Ok(Posted::Replayed(_))));
    let mut twice = l.entries().to_vec();
    twice.push(l.entries()[0].clone());
    assert!(matches!(Ledger::restore(tenant(), twice), Err(DomainError::InvalidState(_))));
}
