//! JournalEntry::new: what it refuses, and the content fingerprint used for idempotency.

use super::*;
use crate::ledger::{Account, EntryKind, Posting, Side};

fn build(postings: Vec<Posting>) -> Result<JournalEntry, DomainError> {
    JournalEntry::new(meta("k-1"), EntryKind::PaymentRecorded, Some(oid(1)), postings)
}

fn pay(amount: Money) -> Vec<Posting> {
    vec![Posting::debit(Account::Cash, amount), Posting::credit(Account::Receivable(oid(1)), amount)]
}

#[test]
fn a_balanced_entry_keeps_what_it_was_given() {
    let e = build(pay(usd(1_000))).unwrap();
    assert_eq!(e.id(), meta("k-1").id);
    assert_eq!(e.idempotency_key(), "k-1");
    assert_eq!(e.kind(), EntryKind::PaymentRecorded);
    assert_eq!(e.order_id(), Some(oid(1)));
    assert_eq!(e.occurred_at(), now());
    assert_eq!(e.postings().len(), 2);
    assert_eq!(e.postings()[0].side(), Side::Debit);
    assert_eq!(e.postings()[0].account(), Account::Cash);
    assert_eq!(e.postings()[0].amount(), usd(1_000));
    assert_eq!(e.postings()[0].signed_minor(), 1_000);
    assert_eq!(e.postings()[1].signed_minor(), -1_000);
    assert_eq!(e.net_by_currency().into_iter().collect::<Vec<_>>(), [("USD", 0)]);
}

#[test]
fn fewer_than_two_postings_are_refused() {
    assert_eq!(field(&build(vec![]).unwrap_err()), ["postings"]);
    assert_eq!(field(&build(vec![Posting::debit(Account::Cash, usd(1))]).unwrap_err()), ["postings"]);
}

#[test]
fn zero_and_negative_amounts_are_refused() {
    assert_eq!(field(&build(pay(usd(0))).unwrap_err()), ["postings", "0", "amount"]);
    let negative = vec![Posting::debit(Account::Cash, usd(-5)), Posting::credit(Account::Revenue, usd(-5))];
    assert_eq!(field(&build(negative).unwrap_err()), ["postings", "0", "amount"]);
    let later_zero = vec![
        Posting::debit(Account::Cash, usd(5)),
        Posting::credit(Account::Revenue, usd(5)),
        Posting::debit(Account::Refunds, usd(0)),
    ];
    assert_eq!(field(&build(later_zero).unwrap_err()), ["postings", "2", "amount"]);
}

#[test]
fn unbalanced_entries_are_refused() {
    let short = vec![Posting::debit(Account::Cash, usd(1_000)), Posting::credit(Account::Revenue, usd(999))];
    let e = build(short).unwrap_err();
    assert_eq!(field(&e), ["postings"]);
    assert!(e.to_string().contains("USD"), "{e}");
    let one_sided = vec![Posting::debit(Account::Cash, usd(1)), Posting::debit(Account::Refunds, usd(1))];
    assert!(build(one_sided).is_err());
}

#[test]
fn balance_is_per_currency_not_overall() {
    // 10.00 USD against 1000 JPY "sums" to zero in minor units, but no currency balances.
    let mixed = vec![Posting::debit(Account::Cash, usd(1_000)), Posting::credit(Account::Revenue, jpy(1_000))];
    assert!(build(mixed).is_err());
    // Two currencies, each balanced: accepted.
    let both = vec![
        Posting::debit(Account::Cash, usd(1_000)),
        Posting::credit(Account::Revenue, usd(1_000)),
        Posting::debit(Account::Cash, kwd(7)),
        Posting::credit(Account::Revenue, kwd(7)),
    ];
    let e = JournalEntry::new(meta("fx"), EntryKind::ShipmentCost, None, both).unwrap();
    assert_eq!(e.net_by_currency().into_iter().collect::<Vec<_>>(), [("KWD", 0), ("USD", 0)]);
}

#[test]
fn sums_near_the_limit_do_not_overflow() {
    let big = vec![
        Posting::debit(Account::Cash, usd(i64::MAX)),
        Posting::debit(Account::Cash, usd(i64::MAX)),
        Posting::credit(Account::Revenue, usd(i64::MAX)),
        Posting::credit(Account::Revenue, usd(i64::MAX)),
    ];
    assert!(JournalEntry::new(meta("big"), EntryKind::ShipmentCost, None, big).is_ok());
}

#[test]
fn a_receivable_must_belong_to_the_entry_order() {
    let other = vec![Posting::debit(Account::Cash, usd(1)), Posting::credit(Account::Receivable(oid(2)), usd(1))];
    assert_eq!(field(&build(other).unwrap_err()), ["postings", "1", "account"]);
    let no_order = JournalEntry::new(meta("k"), EntryKind::PaymentRecorded, None, pay(usd(1)));
    assert!(no_order.is_err());
}

#[test]
fn idempotency_keys_are_checked_not_trimmed() {
    let with_key = |key: &str| JournalEntry::new(meta(key), EntryKind::PaymentRecorded, Some(oid(1)), pay(usd(1)));
    for bad in ["", "   ", "a\nb", "a\u{0}"] {
        assert_eq!(field(&with_key(bad).unwrap_err()), ["idempotencyKey"], "{bad:?}");
    }
    assert!(with_key(&"k".repeat(crate::ledger::MAX_IDEMPOTENCY_KEY)).is_ok());
    assert!(with_key(&"k".repeat(crate::ledger::MAX_IDEMPOTENCY_KEY + 1)).is_err());
    assert_eq!(with_key(" k ").unwrap().idempotency_key(), " k ");
}

#[test]
fn fingerprint_ignores_identity_and_posting_order() {
    let a = build(pay(usd(1_000))).unwrap();
    let mut reversed = pay(usd(1_000));
    reversed.reverse();
    let later = EntryMeta::new(Uuid::from_u128(99), "another-key", now() + chrono::Duration::hours(1));
    let b = JournalEntry::new(later, EntryKind::PaymentRecorded, Some(oid(1)), reversed).unwrap();
    assert_eq!(a.fingerprint(), b.fingerprint());
    assert!(a.same_content(&b));
    assert!(a.fingerprint().starts_with("PAYMENT_RECORDED|"), "{}", a.fingerprint());
}

#[test]
fn fingerprint_differs_when_content_differs() {
    let base = build(pay(usd(1_000))).unwrap();
    let amount = build(pay(usd(1_001))).unwrap();
    let kind = JournalEntry::new(meta("k-1"), EntryKind::OrderConfirmed, Some(oid(1)), pay(usd(1_000))).unwrap();
    let currency = build(pay(Money::from_minor(1_000, cur("EUR")))).unwrap();
    let order = JournalEntry::new(
        meta("k-1"),
        EntryKind::PaymentRecorded,
        Some(oid(2)),
        vec![Posting::debit(Account::Cash, usd(1_000)), Posting::credit(Account::Receivable(oid(2)), usd(1_000))],
    )
    .unwrap();
    let sides = build(vec![
        Posting::credit(Account::Cash, usd(1_000)),
        Posting::debit(Account::Receivable(oid(1)), usd(1_000)),
    ])
    .unwrap();
    for other in [amount, kind, currency, order, sides] {
        assert!(!base.same_content(&other), "{} == {}", base.fingerprint(), other.fingerprint());
    }
}

#[test]
fn entry_kinds_round_trip() {
    for k in EntryKind::ALL {
        assert_eq!(EntryKind::parse(k.as_str()), Some(k));
    }
    assert_eq!(EntryKind::parse("order_confirmed"), None);
}
