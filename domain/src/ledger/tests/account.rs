//! Account names: the spec's spellings, a round trip, and nothing else accepted.

use super::*;
use crate::ledger::{Account, NormalSide};

#[test]
fn accounts_use_the_spec_names() {
    let order = oid(7);
    assert_eq!(Account::Receivable(order).as_string(), format!("receivable:{order}"));
    assert_eq!(Account::Revenue.as_string(), "revenue");
    assert_eq!(Account::Cash.as_string(), "cash");
    assert_eq!(Account::Refunds.as_string(), "refunds");
    assert_eq!(Account::RestockingFees.as_string(), "restocking_fees");
    assert_eq!(Account::ShippingCosts.as_string(), "shipping_costs");
    assert_eq!(Account::CarrierPayable.as_string(), "carrier_payable");
    assert_eq!(Account::Cash.to_string(), "cash");
}

#[test]
fn every_account_round_trips_through_its_name() {
    for a in [
        Account::Receivable(oid(1)),
        Account::Revenue,
        Account::Cash,
        Account::Refunds,
        Account::RestockingFees,
        Account::ShippingCosts,
        Account::CarrierPayable,
    ] {
        assert_eq!(Account::parse(&a.as_string()).unwrap(), a);
    }
}

#[test]
fn parse_refuses_unknown_names() {
    for bad in ["", "Cash", "cash ", "receivable", "receivable:", "receivable:42", "payable", "refund"] {
        let e = Account::parse(bad).unwrap_err();
        assert_eq!(field(&e), ["account"], "{bad:?}");
    }
}

#[test]
fn normal_sides_follow_the_account_type() {
    use NormalSide::{Credit, Debit};
    assert_eq!(Account::Receivable(oid(1)).normal_side(), Debit);
    assert_eq!(Account::Cash.normal_side(), Debit);
    assert_eq!(Account::Refunds.normal_side(), Debit);
    assert_eq!(Account::ShippingCosts.normal_side(), Debit);
    assert_eq!(Account::Revenue.normal_side(), Credit);
    assert_eq!(Account::RestockingFees.normal_side(), Credit);
    assert_eq!(Account::CarrierPayable.normal_side(), Credit);
}

#[test]
fn only_receivables_belong_to_an_order() {
    assert_eq!(Account::Receivable(oid(3)).order_id(), Some(oid(3)));
    assert_eq!(Account::Revenue.order_id(), None);
}
