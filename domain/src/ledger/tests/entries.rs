//! The entries the system writes: accounts, sides and amounts of each, and zero amounts.

use super::*;
use crate::ledger::{
    Account, EntryKind, FeeRate, Posting, RefundPolicy, ReturnedLine, account_balances, entries, quote_refund,
};

fn postings(e: &JournalEntry) -> Vec<Posting> {
    e.postings().to_vec()
}

#[test]
fn order_confirmed_debits_the_receivable_and_credits_revenue() {
    let e = some_entry(entries::order_confirmed(meta("confirm"), oid(1), usd(30_000)));
    assert_eq!(e.kind(), EntryKind::OrderConfirmed);
    assert_eq!(e.order_id(), Some(oid(1)));
    assert_eq!(
        postings(&e),
        [Posting::debit(Account::Receivable(oid(1)), usd(30_000)), Posting::credit(Account::Revenue, usd(30_000))]
    );
}

#[test]
fn order_cancelled_is_the_exact_reversal() {
    let confirmed = some_entry(entries::order_confirmed(meta("c"), oid(1), kwd(12_345)));
    let cancelled = some_entry(entries::order_cancelled(meta("x"), oid(1), kwd(12_345)));
    assert_eq!(cancelled.kind(), EntryKind::OrderCancelled);
    assert_eq!(
        postings(&cancelled),
        [Posting::debit(Account::Revenue, kwd(12_345)), Posting::credit(Account::Receivable(oid(1)), kwd(12_345))]
    );
    let balances = account_balances([&confirmed, &cancelled]);
    assert!(balances.values().all(|b| *b == 0), "{balances:?}");
}

#[test]
fn payment_recorded_debits_cash_and_credits_the_receivable() {
    let e = entries::payment_recorded(meta("pay"), oid(1), jpy(1_500)).unwrap();
    assert_eq!(e.kind(), EntryKind::PaymentRecorded);
    assert_eq!(
        postings(&e),
        [Posting::debit(Account::Cash, jpy(1_500)), Posting::credit(Account::Receivable(oid(1)), jpy(1_500))]
    );
}

#[test]
fn payment_must_be_positive() {
    for amount in [usd(0), usd(-1)] {
        let e = entries::payment_recorded(meta("pay"), oid(1), amount).unwrap_err();
        assert_eq!(field(&e), ["amount"]);
    }
}

#[test]
fn shipment_cost_debits_shipping_costs_and_credits_the_carrier() {
    let e = some_entry(entries::shipment_cost(meta("ship"), oid(1), usd(750)));
    assert_eq!(e.kind(), EntryKind::ShipmentCost);
    assert_eq!(e.order_id(), Some(oid(1)));
    assert_eq!(
        postings(&e),
        [Posting::debit(Account::ShippingCosts, usd(750)), Posting::credit(Account::CarrierPayable, usd(750))]
    );
}

#[test]
fn derived_zero_amounts_book_nothing_and_negative_ones_are_refused() {
    assert_eq!(entries::order_confirmed(meta("a"), oid(1), usd(0)), Ok(None));
    assert_eq!(entries::order_cancelled(meta("b"), oid(1), usd(0)), Ok(None));
    assert_eq!(entries::shipment_cost(meta("c"), oid(1), usd(0)), Ok(None));
    assert!(is_validation(&entries::order_confirmed(meta("a"), oid(1), usd(-1)).unwrap_err()));
    assert!(is_validation(&entries::order_cancelled(meta("b"), oid(1), usd(-1)).unwrap_err()));
    assert!(is_validation(&entries::shipment_cost(meta("c"), oid(1), usd(-1)).unwrap_err()));
}

fn refund_entry(unit: Money, qty: u32, fee_percent: u32, max: Option<Money>, paid: Money) -> Option<JournalEntry> {
    let policy = RefundPolicy { restocking_fee: FeeRate::from_percent(fee_percent).unwrap(), max_refund_amount: max };
    let zero = Money::zero(unit.currency());
    let quote = quote_refund(&[ReturnedLine { unit_price: unit, quantity: qty }], &policy, paid, zero).unwrap();
    entries::refund_processed(meta("refund"), oid(1), &quote).unwrap()
}

#[test]
fn refund_books_the_payback_and_the_fee_as_two_pairs() {
    let e = refund_entry(usd(10_000), 2, 10, Some(usd(50_000)), usd(30_000)).expect("entry");
    assert_eq!(e.kind(), EntryKind::RefundProcessed);
    assert_eq!(
        postings(&e),
        [
            Posting::debit(Account::Refunds, usd(18_000)),
            Posting::credit(Account::Cash, usd(18_000)),
            Posting::debit(Account::Refunds, usd(2_000)),
            Posting::credit(Account::RestockingFees, usd(2_000)),
        ]
    );
}

#[test]
fn capped_refund_still_records_the_full_fee() {
    let e = refund_entry(usd(10_000), 2, 10, Some(usd(15_000)), usd(30_000)).expect("entry");
    let b = account_balances([&e]);
    assert_eq!(b[&(Account::Cash, "USD")], -15_000);
    assert_eq!(b[&(Account::RestockingFees, "USD")], -2_000);
    // The 30.00 a cap withheld is neither paid back nor a fee: it stays revenue.
    assert_eq!(b[&(Account::Refunds, "USD")], 17_000);
}

#[test]
fn refund_without_fee_or_without_payback_has_one_pair() {
    let no_fee = refund_entry(usd(10_000), 1, 0, None, usd(10_000)).expect("entry");
    assert_eq!(
        postings(&no_fee),
        [Posting::debit(Account::Refunds, usd(10_000)), Posting::credit(Account::Cash, usd(10_000))]
    );
    // Nothing paid: nothing goes back, but the fee on the returned goods is still recorded.
    let unpaid = refund_entry(usd(10_000), 1, 10, None, usd(0)).expect("entry");
    assert_eq!(
        postings(&unpaid),
        [Posting::debit(Account::Refunds, usd(1_000)), Posting::credit(Account::RestockingFees, usd(1_000))]
    );
}

#[test]
fn refund_of_nothing_books_nothing() {
    assert_eq!(refund_entry(usd(0), 3, 10, None, usd(10_000)), None);
    assert_eq!(refund_entry(usd(10_000), 1, 0, None, usd(0)), None);
}
