//! The ledger as GraphQL sees it: journal entries with their postings, order balances and the
//! trial balance. Amounts are decimal strings of their currency, never floats.

use async_graphql::{Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use domain::ledger as model;

use crate::graphql::types::Money;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::ledger::PaymentStatus", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    Unpaid,
    PartiallyPaid,
    Paid,
    PartiallyRefunded,
    Refunded,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::ledger::EntryKind", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum EntryKind {
    OrderConfirmed,
    OrderCancelled,
    PaymentRecorded,
    RefundProcessed,
    ShipmentCost,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::ledger::Side", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Side {
    Debit,
    Credit,
}

/// What an order owes and was paid, read off its journal entries.
#[derive(SimpleObject, Clone, Debug)]
pub struct OrderBalance {
    /// The amount booked when the order was confirmed (zero before, and after a cancellation).
    pub total: Money,
    pub paid: Money,
    /// Money paid back for returns (restocking fees excluded).
    pub refunded: Money,
    /// total − paid: what the customer still owes.
    pub due: Money,
}

impl From<model::OrderBalance> for OrderBalance {
    fn from(b: model::OrderBalance) -> Self {
        OrderBalance {
            total: b.total().into(),
            paid: b.paid().into(),
            refunded: b.refunded().into(),
            due: b.due().into(),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Posting {
    /// `receivable:<order id>`, `revenue`, `cash`, `refunds`, `restocking_fees`, `shipping_costs`
    /// or `carrier_payable`.
    pub account: String,
    pub side: Side,
    pub amount: Money,
}

/// An immutable, balanced journal entry.
pub struct LedgerEntry(pub model::JournalEntry);

#[Object]
impl LedgerEntry {
    async fn id(&self) -> ID {
        ID(self.0.id().to_string())
    }
    async fn kind(&self) -> EntryKind {
        self.0.kind().into()
    }
    async fn order_id(&self) -> Option<ID> {
        self.0.order_id().map(|o| ID(o.to_string()))
    }
    /// Unique per tenant: the caller's key for payments and refunds, `order:<id>:…` for entries
    /// the system books.
    async fn idempotency_key(&self) -> &str {
        self.0.idempotency_key()
    }
    /// The payment's external reference, when one was given.
    async fn reference(&self) -> Option<&str> {
        self.0.reference()
    }
    /// How the payment was made, when given.
    async fn method(&self) -> Option<&str> {
        self.0.method()
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at()
    }
    async fn postings(&self) -> Vec<Posting> {
        self.0
            .postings()
            .iter()
            .map(|p| Posting { account: p.account().as_string(), side: p.side().into(), amount: p.amount().into() })
            .collect()
    }
}

/// Sums of one currency's postings. Healthy books have `balance` "0" in every currency.
#[derive(SimpleObject, Clone, Debug)]
pub struct CurrencyBalance {
    pub currency: String,
    pub debits: String,
    pub credits: String,
    /// debits − credits.
    pub balance: String,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct TrialBalance {
    pub currencies: Vec<CurrencyBalance>,
    /// True when every currency's debits equal its credits.
    pub balanced: bool,
}

impl From<Vec<application::ports::CurrencyTotals>> for TrialBalance {
    fn from(totals: Vec<application::ports::CurrencyTotals>) -> Self {
        let currencies: Vec<CurrencyBalance> = totals
            .iter()
            .map(|t| CurrencyBalance {
                currency: t.currency.code().to_owned(),
                debits: decimal(t.debits, t.currency),
                credits: decimal(t.credits, t.currency),
                balance: decimal(t.debits - t.credits, t.currency),
            })
            .collect();
        TrialBalance { balanced: totals.iter().all(|t| t.debits == t.credits), currencies }
    }
}

/// Minor units as a decimal string of the currency; i128 because a tenant's lifetime sums may
/// outgrow what one `Money` holds.
fn decimal(minor: i128, currency: domain::Currency) -> String {
    let scale = u32::from(currency.minor_units());
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if scale == 0 {
        return format!("{sign}{abs}");
    }
    let unit = 10u128.pow(scale);
    format!("{sign}{}.{:0width$}", abs / unit, abs % unit, width = scale as usize)
}
