//! Derived balances: an order's total/paid/refunded/due, its payment status, the trial balance,
//! and the payment rule.

use super::*;
use crate::ledger::{
    Account, EntryKind, FeeRate, OrderBalance, PaymentStatus, Posting, RefundPolicy, ReturnedLine, entries,
    payment_allowed, quote_refund, trial_balance,
};

fn confirmed(order: OrderId, total: Money) -> JournalEntry {
    some_entry(entries::order_confirmed(meta(&format!("confirm-{order}")), order, total))
}

fn paid(order: OrderId, n: u32, amount: Money) -> JournalEntry {
    entries::payment_recorded(meta(&format!("pay-{order}-{n}")), order, amount).unwrap()
}

/// A refund of `amount` with `fee` kept (built directly: the quote rules are tested elsewhere).
fn refunded(order: OrderId, n: u32, amount: Money, fee: Money) -> JournalEntry {
    let mut postings = vec![Posting::debit(Account::Refunds, amount), Posting::credit(Account::Cash, amount)];
    if fee.minor() > 0 {
        postings.extend([Posting::debit(Account::Refunds, fee), Posting::credit(Account::RestockingFees, fee)]);
    }
    JournalEntry::new(meta(&format!("refund-{order}-{n}")), EntryKind::RefundProcessed, Some(order), postings).unwrap()
}

fn balance(entries: &[JournalEntry]) -> OrderBalance {
    OrderBalance::from_entries(oid(1), cur("USD"), entries).unwrap()
}

#[test]
fn nothing_booked_is_all_zero_and_unpaid() {
    let b = balance(&[]);
    assert_eq!((b.total(), b.paid(), b.refunded(), b.due()), (usd(0), usd(0), usd(0), usd(0)));
    assert_eq!(b.payment_status(), PaymentStatus::Unpaid);
    assert_eq!(b.order_id(), oid(1));
    assert_eq!(b.currency(), cur("USD"));
}

#[test]
fn due_is_total_minus_paid_and_refunds_do_not_raise_it() {
    let journal = [confirmed(oid(1), usd(30_000)), paid(oid(1), 1, usd(10_000))];
    let b = balance(&journal);
    assert_eq!((b.total(), b.paid(), b.due()), (usd(30_000), usd(10_000), usd(20_000)));
    assert_eq!(b.payment_status(), PaymentStatus::PartiallyPaid);

    let journal = [journal[0].clone(), journal[1].clone(), paid(oid(1), 2, usd(20_000))];
    let b = balance(&journal);
    assert_eq!((b.paid(), b.due()), (usd(30_000), usd(0)));
    assert_eq!(b.payment_status(), PaymentStatus::Paid);

    let mut journal = journal.to_vec();
    journal.push(refunded(oid(1), 1, usd(18_000), usd(2_000)));
    let b = balance(&journal);
    assert_eq!((b.refunded(), b.due(), b.refundable()), (usd(18_000), usd(0), usd(12_000)));
    assert_eq!(b.payment_status(), PaymentStatus::PartiallyRefunded);

    journal.push(refunded(oid(1), 2, usd(12_000), usd(0)));
    let b = balance(&journal);
    assert_eq!((b.refunded(), b.refundable()), (usd(30_000), usd(0)));
    assert_eq!(b.payment_status(), PaymentStatus::Refunded);
}

#[test]
fn due_equals_the_receivable_balance() {
    let journal = [confirmed(oid(1), usd(30_000)), paid(oid(1), 1, usd(12_345))];
    let receivable = crate::ledger::account_balances(&journal)[&(Account::Receivable(oid(1)), "USD")];
    assert_eq!(i128::from(balance(&journal).due().minor()), receivable);
}

#[test]
fn cancellation_brings_the_total_back_to_zero() {
    let journal =
        [confirmed(oid(1), usd(30_000)), some_entry(entries::order_cancelled(meta("x"), oid(1), usd(30_000)))];
    let b = balance(&journal);
    assert_eq!((b.total(), b.due()), (usd(0), usd(0)));
}

#[test]
fn restocking_fees_and_shipping_costs_are_not_refunds_or_payments() {
    let journal = [
        confirmed(oid(1), usd(30_000)),
        paid(oid(1), 1, usd(30_000)),
        refunded(oid(1), 1, usd(1), usd(5_000)),
        some_entry(entries::shipment_cost(meta("ship"), oid(1), usd(750))),
    ];
    let b = balance(&journal);
    assert_eq!((b.total(), b.paid(), b.refunded()), (usd(30_000), usd(30_000), usd(1)));
}

#[test]
fn other_orders_entries_are_ignored() {
    let journal = [confirmed(oid(1), usd(100)), confirmed(oid(2), usd(999)), paid(oid(2), 1, usd(999))];
    let b = balance(&journal);
    assert_eq!((b.total(), b.paid()), (usd(100), usd(0)));
}

#[test]
fn an_entry_in_another_currency_is_damaged_books() {
    let journal = [confirmed(oid(1), kwd(100))];
    let e = OrderBalance::from_entries(oid(1), cur("USD"), &journal).unwrap_err();
    assert!(matches!(e, DomainError::InvalidState(_)), "{e:?}");
}

#[test]
fn payment_status_names_are_normative() {
    let names: Vec<&str> = PaymentStatus::ALL.iter().map(PaymentStatus::as_str).collect();
    assert_eq!(names, ["UNPAID", "PARTIALLY_PAID", "PAID", "PARTIALLY_REFUNDED", "REFUNDED"]);
    for s in PaymentStatus::ALL {
        assert_eq!(PaymentStatus::parse(s.as_str()), Some(s));
    }
}

#[test]
fn payment_status_of_a_partly_paid_then_refunded_order() {
    // Refunds are capped by what was paid, so "all of the payment went back" is REFUNDED even
    // though the order was never fully paid.
    let journal =
        [confirmed(oid(1), usd(30_000)), paid(oid(1), 1, usd(10_000)), refunded(oid(1), 1, usd(10_000), usd(0))];
    assert_eq!(balance(&journal).payment_status(), PaymentStatus::Refunded);
}

#[test]
fn trial_balance_is_zero_per_currency_and_lists_every_currency() {
    let policy = RefundPolicy { restocking_fee: FeeRate::from_percent(10).unwrap(), max_refund_amount: None };
    let quote =
        quote_refund(&[ReturnedLine { unit_price: kwd(1_005), quantity: 1 }], &policy, kwd(3_015), kwd(0)).unwrap();
    let journal = [
        confirmed(oid(1), usd(30_000)),
        paid(oid(1), 1, usd(30_000)),
        confirmed(oid(2), kwd(3_015)),
        paid(oid(2), 1, kwd(3_015)),
        some_entry(entries::refund_processed(meta("r"), oid(2), &quote)),
        confirmed(oid(3), jpy(1_500)),
    ];
    let tb = trial_balance(&journal);
    assert_eq!(tb.into_iter().collect::<Vec<_>>(), [("JPY", 0), ("KWD", 0), ("USD", 0)]);
    assert!(trial_balance(&[]).is_empty());
}

// ---------------------------------------------------------------------------------------------
// payment_allowed
// ---------------------------------------------------------------------------------------------

fn due_of(total: i64, already: i64) -> OrderBalance {
    let mut journal = vec![confirmed(oid(1), usd(total))];
    if already > 0 {
        journal.push(paid(oid(1), 1, usd(already)));
    }
    balance(&journal)
}

#[test]
fn payments_up_to_the_amount_due_are_allowed() {
    assert!(payment_allowed(&due_of(30_000, 0), usd(1)).is_ok());
    assert!(payment_allowed(&due_of(30_000, 0), usd(30_000)).is_ok());
    assert!(payment_allowed(&due_of(30_000, 10_000), usd(20_000)).is_ok());
}

#[test]
fn overpayment_is_refused() {
    let e = payment_allowed(&due_of(30_000, 10_000), usd(20_001)).unwrap_err();
    assert_eq!(field(&e), ["amount"]);
    assert!(e.to_string().contains("overpayment"), "{e}");
    let e = payment_allowed(&due_of(30_000, 30_000), usd(1)).unwrap_err();
    assert!(matches!(e, DomainError::InvalidState(_)), "nothing due: {e:?}");
    let e = payment_allowed(&balance(&[]), usd(1)).unwrap_err();
    assert!(matches!(e, DomainError::InvalidState(_)), "not confirmed: {e:?}");
}

#[test]
fn non_positive_and_foreign_payments_are_refused() {
    assert_eq!(field(&payment_allowed(&due_of(30_000, 0), usd(0)).unwrap_err()), ["amount"]);
    assert_eq!(field(&payment_allowed(&due_of(30_000, 0), usd(-1)).unwrap_err()), ["amount"]);
    assert_eq!(field(&payment_allowed(&due_of(30_000, 0), kwd(1)).unwrap_err()), ["amount", "currency"]);
}
