//! Balances are never stored: they are read off the journal, so they cannot drift from it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{
    Currency, DomainError, Money, OrderId,
    ledger::{Account, EntryKind, JournalEntry, Side},
};

/// What one order owes and has been paid, derived from the order's entries.
///
/// - `total`: booked by `OrderConfirmed`, less any `OrderCancelled` reversal (0 before
///   confirmation and after cancellation);
/// - `paid`: the sum of `PaymentRecorded` amounts;
/// - `refunded`: the cash paid back by `RefundProcessed` entries (restocking fees excluded: they
///   were never paid back);
/// - `due = total − paid`: what the customer still owes, equal to the balance of
///   `receivable:<order>`. Refunds do not raise it: money paid back for returned goods is not owed
///   again. Payments are refused above `due`, so `due` never goes below zero; `complete` needs
///   `due = 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderBalance {
    order_id: OrderId,
    total: Money,
    paid: Money,
    refunded: Money,
    due: Money,
}

impl OrderBalance {
    /// Entries of other orders are ignored, so the caller may hand in a tenant's whole journal.
    /// An entry of this order in another currency means damaged books and is refused.
    pub fn from_entries<'a>(
        order_id: OrderId,
        currency: Currency,
        entries: impl IntoIterator<Item = &'a JournalEntry>,
    ) -> Result<Self, DomainError> {
        let receivable = Account::Receivable(order_id);
        let (mut total, mut paid, mut refunded) = (0i64, 0i64, 0i64);
        for entry in entries.into_iter().filter(|e| e.order_id() == Some(order_id)) {
            for p in entry.postings() {
                if p.amount().currency() != currency {
                    return Err(DomainError::invalid_state(format!(
                        "entry {} of order {order_id} is in {}, not the order's {currency}",
                        entry.id(),
                        p.amount().currency()
                    )));
                }
                let (sum, sign) = match (entry.kind(), p.account(), p.side()) {
                    (EntryKind::OrderConfirmed, a, Side::Debit) if a == receivable => (&mut total, 1),
                    (EntryKind::OrderCancelled, a, Side::Credit) if a == receivable => (&mut total, -1),
                    (EntryKind::PaymentRecorded, a, Side::Credit) if a == receivable => (&mut paid, 1),
                    (EntryKind::RefundProcessed, Account::Cash, Side::Credit) => (&mut refunded, 1),
                    _ => continue,
                };
                *sum = sum
                    .checked_add(sign * p.amount().minor())
                    .ok_or_else(|| DomainError::invalid_state(format!("order {order_id}: balance overflow")))?;
            }
        }
        let due = total
            .checked_sub(paid)
            .ok_or_else(|| DomainError::invalid_state(format!("order {order_id}: balance overflow")))?;
        let m = |minor| Money::from_minor(minor, currency);
        Ok(OrderBalance { order_id, total: m(total), paid: m(paid), refunded: m(refunded), due: m(due) })
    }

    pub fn order_id(&self) -> OrderId {
        self.order_id
    }
    pub fn currency(&self) -> Currency {
        self.total.currency()
    }
    pub fn total(&self) -> Money {
        self.total
    }
    pub fn paid(&self) -> Money {
        self.paid
    }
    pub fn refunded(&self) -> Money {
        self.refunded
    }
    pub fn due(&self) -> Money {
        self.due
    }

    /// `paid − refunded`: the most any further refund may pay back.
    pub fn refundable(&self) -> Money {
        Money::from_minor(self.paid.minor() - self.refunded.minor(), self.currency())
    }

    pub fn payment_status(&self) -> PaymentStatus {
        PaymentStatus::of(self)
    }
}

/// The normative payment status of an order, derived from its balance:
///
/// | condition (first that holds)      | status             |
/// |-----------------------------------|--------------------|
/// | refunded > 0 and refunded = paid  | REFUNDED           |
/// | refunded > 0                      | PARTIALLY_REFUNDED |
/// | paid = 0                          | UNPAID             |
/// | paid < total                      | PARTIALLY_PAID     |
/// | otherwise (paid = total)          | PAID               |
///
/// Refunds come first because a refunded order was paid: saying PAID would hide the money that
/// went back. An order of total 0 is UNPAID with nothing due: nothing was paid, and nothing has to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    Unpaid,
    PartiallyPaid,
    Paid,
    PartiallyRefunded,
    Refunded,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 5] = [
        PaymentStatus::Unpaid,
        PaymentStatus::PartiallyPaid,
        PaymentStatus::Paid,
        PaymentStatus::PartiallyRefunded,
        PaymentStatus::Refunded,
    ];

    pub fn of(balance: &OrderBalance) -> Self {
        let (paid, refunded) = (balance.paid.minor(), balance.refunded.minor());
        if refunded > 0 {
            if refunded >= paid { PaymentStatus::Refunded } else { PaymentStatus::PartiallyRefunded }
        } else if paid == 0 {
            PaymentStatus::Unpaid
        } else if paid < balance.total.minor() {
            PaymentStatus::PartiallyPaid
        } else {
            PaymentStatus::Paid
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentStatus::Unpaid => "UNPAID",
            PaymentStatus::PartiallyPaid => "PARTIALLY_PAID",
            PaymentStatus::Paid => "PAID",
            PaymentStatus::PartiallyRefunded => "PARTIALLY_REFUNDED",
            PaymentStatus::Refunded => "REFUNDED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Debits minus credits per currency code over `entries`. Every currency that appears is listed,
/// so a healthy journal gives a map of zeros, never a missing currency. i128, so a tenant's whole
/// history cannot overflow the sum.
pub fn trial_balance<'a>(entries: impl IntoIterator<Item = &'a JournalEntry>) -> BTreeMap<&'static str, i128> {
    let mut totals = BTreeMap::new();
    for p in entries.into_iter().flat_map(JournalEntry::postings) {
        *totals.entry(p.amount().currency().code()).or_insert(0) += p.signed_minor();
    }
    totals
}

/// Each account's balance per currency code, debit-positive (a credit-normal account such as
/// `revenue` shows a negative number when it is healthy).
pub fn account_balances<'a>(
    entries: impl IntoIterator<Item = &'a JournalEntry>,
) -> BTreeMap<(Account, &'static str), i128> {
    let mut balances = BTreeMap::new();
    for p in entries.into_iter().flat_map(JournalEntry::postings) {
        *balances.entry((p.account(), p.amount().currency().code())).or_insert(0) += p.signed_minor();
    }
    balances
}
