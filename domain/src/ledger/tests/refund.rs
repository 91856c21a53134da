//! The refund calculation: seed scenarios, the fee rounding rule per currency, caps, refusals.

use super::*;
use crate::ledger::{CapApplied, FeeRate, RefundPolicy, RefundQuote, ReturnedLine, amount_in_currency, quote_refund};

fn policy(fee_percent: u32, max: Option<Money>) -> RefundPolicy {
    RefundPolicy { restocking_fee: FeeRate::from_percent(fee_percent).unwrap(), max_refund_amount: max }
}

fn line(unit_price: Money, quantity: u32) -> ReturnedLine {
    ReturnedLine { unit_price, quantity }
}

/// A return of `quantity` units at `unit_price` on an order fully paid for far more.
fn quote(unit_price: Money, quantity: u32, p: &RefundPolicy) -> RefundQuote {
    let paid = Money::from_minor(1_000_000_000, unit_price.currency());
    quote_refund(&[line(unit_price, quantity)], p, paid, Money::zero(unit_price.currency())).unwrap()
}

/// The fee on a gross of `gross` minor units at `basis_points`.
fn fee(gross: Money, basis_points: u32) -> Money {
    FeeRate::from_basis_points(basis_points).unwrap().fee_on(gross).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Seed scenarios (issue text): 3 units at 100.00 ordered and paid, 2 returned, 10 % fee
// ---------------------------------------------------------------------------------------------

fn seed(max: &str) -> RefundQuote {
    let unit = money("100.00", "USD");
    let paid = money("300.00", "USD");
    let p = policy(10, Some(money(max, "USD")));
    quote_refund(&[line(unit, 2)], &p, paid, usd(0)).unwrap()
}

#[test]
fn seed_max_150_refunds_150_with_the_cap_and_records_the_fee() {
    let q = seed("150.00");
    assert_eq!(q.gross(), money("200.00", "USD"));
    assert_eq!(q.restocking_fee(), money("20.00", "USD"));
    assert_eq!(q.amount(), money("150.00", "USD"));
    assert_eq!(q.cap_applied(), CapApplied::MaxRefundAmount);
    assert_eq!(q.withheld_by_cap(), money("30.00", "USD"));
}

#[test]
fn seed_max_500_refunds_180() {
    let q = seed("500.00");
    assert_eq!(q.restocking_fee(), money("20.00", "USD"));
    assert_eq!(q.amount(), money("180.00", "USD"));
    assert_eq!(q.cap_applied(), CapApplied::None);
    assert_eq!(q.withheld_by_cap(), usd(0));
}

// ---------------------------------------------------------------------------------------------
// Rounding: half up, once, at the currency's minor unit
// ---------------------------------------------------------------------------------------------

#[test]
fn usd_fee_rounds_half_up_to_the_cent() {
    assert_eq!(fee(money("0.05", "USD"), 1_000), money("0.01", "USD")); // 0.005 → 0.01 (half even: 0.00)
    assert_eq!(fee(money("0.25", "USD"), 1_000), money("0.03", "USD")); // 0.025 → 0.03 (half even: 0.02)
    assert_eq!(fee(money("0.04", "USD"), 1_000), money("0.00", "USD")); // 0.004 → 0.00
    assert_eq!(fee(money("0.06", "USD"), 1_000), money("0.01", "USD")); // 0.006 → 0.01
    assert_eq!(fee(money("1.00", "USD"), 1_250), money("0.13", "USD")); // 12.5 % → 0.125 → 0.13
    assert_eq!(fee(money("33.33", "USD"), 3_333), money("11.11", "USD")); // 11.108889 → 11.11
}

#[test]
fn kwd_fee_rounds_half_up_to_the_fils() {
    assert_eq!(fee(money("12.345", "KWD"), 1_000), money("1.235", "KWD")); // 1.2345 → 1.235 (half even: 1.234)
    assert_eq!(fee(money("0.005", "KWD"), 1_000), money("0.001", "KWD")); // 0.0005 → 0.001
    assert_eq!(fee(money("0.004", "KWD"), 1_000), money("0.000", "KWD")); // 0.0004 → 0.000
    assert_eq!(fee(money("1.000", "KWD"), 1_250), money("0.125", "KWD")); // exact at 3 decimals
    // Two decimals would round this to 0.13; KWD keeps its third decimal.
    assert_ne!(fee(money("1.000", "KWD"), 1_250), money("0.130", "KWD"));
}

#[test]
fn jpy_fee_rounds_half_up_to_the_yen() {
    assert_eq!(fee(money("5", "JPY"), 1_000), money("1", "JPY")); // 0.5 → 1
    assert_eq!(fee(money("25", "JPY"), 1_000), money("3", "JPY")); // 2.5 → 3 (half even: 2)
    assert_eq!(fee(money("14", "JPY"), 1_000), money("1", "JPY")); // 1.4 → 1
    assert_eq!(fee(money("16", "JPY"), 1_000), money("2", "JPY")); // 1.6 → 2
    assert_eq!(fee(money("100", "JPY"), 1_250), money("13", "JPY")); // 12.5 → 13
}

#[test]
fn refund_and_fee_add_up_to_the_gross_in_every_currency() {
    for (unit, qty) in [(money("0.05", "USD"), 1), (money("12.345", "KWD"), 3), (money("25", "JPY"), 7)] {
        let q = quote(unit, qty, &policy(10, None));
        assert_eq!(q.amount().minor() + q.restocking_fee().minor(), q.gross().minor());
        assert_eq!(q.amount().currency(), unit.currency());
    }
    let q = quote(money("12.345", "KWD"), 1, &policy(10, None));
    assert_eq!((q.restocking_fee(), q.amount()), (money("1.235", "KWD"), money("11.110", "KWD")));
    let q = quote(money("25", "JPY"), 1, &policy(10, None));
    assert_eq!((q.restocking_fee(), q.amount()), (money("3", "JPY"), money("22", "JPY")));
}

#[test]
fn the_fee_is_rounded_once_on_the_gross_not_per_line() {
    // Per line, 10 % of 0.05 would round to 0.01 twice; on the gross 0.10 it is exactly 0.01.
    let lines = [line(money("0.05", "USD"), 1), line(money("0.05", "USD"), 1)];
    let q = quote_refund(&lines, &policy(10, None), usd(1_000), usd(0)).unwrap();
    assert_eq!(q.restocking_fee(), money("0.01", "USD"));
    assert_eq!(q.amount(), money("0.09", "USD"));
}

#[test]
fn zero_and_full_fee_rates() {
    let q = quote(usd(999), 3, &policy(0, None));
    assert_eq!((q.restocking_fee(), q.amount()), (usd(0), usd(2_997)));
    let q = quote(usd(999), 3, &policy(100, None));
    assert_eq!((q.restocking_fee(), q.amount()), (usd(2_997), usd(0)));
}

// ---------------------------------------------------------------------------------------------
// Caps
// ---------------------------------------------------------------------------------------------

#[test]
fn remaining_paid_caps_the_refund() {
    let p = policy(10, Some(usd(50_000)));
    let q = quote_refund(&[line(usd(10_000), 2)], &p, usd(30_000), usd(25_000)).unwrap();
    assert_eq!(q.amount(), usd(5_000));
    assert_eq!(q.cap_applied(), CapApplied::RemainingPaid);
    assert_eq!(q.restocking_fee(), usd(2_000));
    assert_eq!(q.withheld_by_cap(), usd(13_000));
}

#[test]
fn the_lower_cap_wins_and_a_tie_reports_the_tenant_cap() {
    let lines = [line(usd(10_000), 2)];
    let q = quote_refund(&lines, &policy(10, Some(usd(15_000))), usd(30_000), usd(20_000)).unwrap();
    assert_eq!((q.amount(), q.cap_applied()), (usd(10_000), CapApplied::RemainingPaid));
    let q = quote_refund(&lines, &policy(10, Some(usd(9_000))), usd(30_000), usd(20_000)).unwrap();
    assert_eq!((q.amount(), q.cap_applied()), (usd(9_000), CapApplied::MaxRefundAmount));
    let q = quote_refund(&lines, &policy(10, Some(usd(10_000))), usd(30_000), usd(20_000)).unwrap();
    assert_eq!((q.amount(), q.cap_applied()), (usd(10_000), CapApplied::MaxRefundAmount));
}

#[test]
fn a_cap_equal_to_the_computed_refund_is_not_applied() {
    let q = quote_refund(&[line(usd(10_000), 2)], &policy(10, Some(usd(18_000))), usd(18_000), usd(0)).unwrap();
    assert_eq!((q.amount(), q.cap_applied()), (usd(18_000), CapApplied::None));
}

#[test]
fn zero_caps_give_a_zero_refund_but_keep_the_fee() {
    let q = quote_refund(&[line(usd(10_000), 1)], &policy(10, Some(usd(0))), usd(10_000), usd(0)).unwrap();
    assert_eq!((q.amount(), q.restocking_fee(), q.cap_applied()), (usd(0), usd(1_000), CapApplied::MaxRefundAmount));
    let q = quote_refund(&[line(usd(10_000), 1)], &policy(10, None), usd(0), usd(0)).unwrap();
    assert_eq!((q.amount(), q.cap_applied()), (usd(0), CapApplied::RemainingPaid));
}

#[test]
fn cap_names_are_stable() {
    assert_eq!(CapApplied::None.as_str(), "NONE");
    assert_eq!(CapApplied::MaxRefundAmount.as_str(), "MAX_REFUND_AMOUNT");
    assert_eq!(CapApplied::RemainingPaid.as_str(), "REMAINING_PAID");
}

// ---------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------

fn refused(lines: &[ReturnedLine], p: &RefundPolicy, paid: Money, refunded: Money) -> DomainError {
    quote_refund(lines, p, paid, refunded).expect_err("refund accepted")
}

#[test]
fn malformed_returns_are_refused() {
    let p = policy(10, None);
    assert_eq!(field(&refused(&[], &p, usd(0), usd(0))), ["lines"]);
    assert_eq!(field(&refused(&[line(usd(100), 0)], &p, usd(0), usd(0))), ["lines", "0", "quantity"]);
    assert_eq!(field(&refused(&[line(usd(-1), 1)], &p, usd(0), usd(0))), ["lines", "0", "unitPrice", "amount"]);
}

#[test]
fn mixed_currencies_are_refused() {
    let p = policy(10, None);
    let mixed = [line(usd(100), 1), line(kwd(100), 1)];
    assert_eq!(field(&refused(&mixed, &p, usd(100), usd(0))), ["lines", "1", "unitPrice", "currency"]);
    assert_eq!(field(&refused(&[line(usd(100), 1)], &p, kwd(100), kwd(0))), ["paid", "currency"]);
    assert_eq!(field(&refused(&[line(usd(100), 1)], &p, usd(100), jpy(0))), ["refunded", "currency"]);
    let foreign_cap = policy(10, Some(jpy(100)));
    assert_eq!(field(&refused(&[line(usd(100), 1)], &foreign_cap, usd(100), usd(0))), ["maxRefundAmount", "currency"]);
}

#[test]
fn negative_money_and_inconsistent_books_are_refused() {
    let line1 = [line(usd(100), 1)];
    assert_eq!(field(&refused(&line1, &policy(10, Some(usd(-1))), usd(100), usd(0))), ["maxRefundAmount"]);
    assert!(is_validation(&refused(&line1, &policy(10, None), usd(-1), usd(0))));
    let e = refused(&line1, &policy(10, None), usd(100), usd(101));
    assert!(matches!(e, DomainError::InvalidState(_)), "{e:?}");
}

#[test]
fn overflow_is_refused_not_wrapped() {
    let p = policy(10, None);
    let e = refused(&[line(usd(i64::MAX / 2 + 1), 2)], &p, usd(0), usd(0));
    assert!(is_validation(&e), "{e:?}");
    let e = refused(&[line(usd(i64::MAX), 1), line(usd(1), 1)], &p, usd(0), usd(0));
    assert_eq!(field(&e), ["lines", "amount"]);
    // The largest gross still works, and its fee does not overflow either.
    let q = quote_refund(&[line(usd(i64::MAX), 1)], &policy(100, None), usd(i64::MAX), usd(0)).unwrap();
    assert_eq!(q.restocking_fee(), usd(i64::MAX));
}

// ---------------------------------------------------------------------------------------------
// FeeRate and the tenant's currency-less max_refund_amount
// ---------------------------------------------------------------------------------------------

#[test]
fn fee_rates_are_whole_basis_points_from_0_to_100_percent() {
    for (text, bp) in [("10", 1_000), ("0", 0), ("100", 10_000), ("12.5", 1_250), ("12.25", 1_225), ("100.00", 10_000)]
    {
        assert_eq!(FeeRate::parse_percent(text).unwrap().basis_points(), bp, "{text}");
    }
    for bad in ["", "100.01", "101", "-1", "1e1", "12.345", ".5", "5.", " 5", "1000", "1,5", "+5"] {
        let e = FeeRate::parse_percent(bad).unwrap_err();
        assert_eq!(field(&e), ["restockingFeePercent"], "{bad:?}");
    }
    assert_eq!(FeeRate::from_percent(10).unwrap().basis_points(), 1_000);
    assert!(FeeRate::from_percent(101).is_err());
    assert!(FeeRate::from_percent(u32::MAX).is_err());
    assert!(FeeRate::from_basis_points(10_001).is_err());
    assert_eq!(FeeRate::ZERO.basis_points(), 0);
    assert!(FeeRate::ZERO.fee_on(usd(-1)).is_err());
}

#[test]
fn max_refund_amount_is_read_in_the_order_currency() {
    assert_eq!(amount_in_currency("500.00", cur("USD")).unwrap(), usd(50_000));
    assert_eq!(amount_in_currency("500.00", cur("JPY")).unwrap(), jpy(500));
    assert_eq!(amount_in_currency("500", cur("KWD")).unwrap(), kwd(500_000));
    assert_eq!(amount_in_currency("1.2340", cur("KWD")).unwrap(), kwd(1_234));
    for (bad, code) in
        [("500.50", "JPY"), ("1.2345", "KWD"), ("1.001", "USD"), ("", "USD"), ("abc", "USD"), ("5.", "JPY")]
    {
        let e = amount_in_currency(bad, cur(code)).unwrap_err();
        assert_eq!(field(&e), ["maxRefundAmount"], "{bad:?} in {code}");
    }
}
