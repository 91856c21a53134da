//! Journal entries and their postings. An entry is checked once, when it is built, and never
//! changes afterwards: a mistake is corrected by a new entry, so the journal is an honest history.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::{DomainError, Money, OrderId, ledger::Account};

/// Longest idempotency key; keys are opaque tokens (a UUID, `payment:<provider id>`…), not prose.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Side {
    Debit,
    Credit,
}

impl Side {
    pub fn as_str(&self) -> &'static str {
        match self {
            Side::Debit => "DEBIT",
            Side::Credit => "CREDIT",
        }
    }
}

/// One line of an entry: an amount on one side of one account. The amount is always positive;
/// the side carries the direction, so a sign can never be lost or doubled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Posting {
    account: Account,
    side: Side,
    amount: Money,
}

impl Posting {
    pub fn debit(account: Account, amount: Money) -> Self {
        Posting { account, side: Side::Debit, amount }
    }

    pub fn credit(account: Account, amount: Money) -> Self {
        Posting { account, side: Side::Credit, amount }
    }

    pub fn account(&self) -> Account {
        self.account
    }

    pub fn side(&self) -> Side {
        self.side
    }

    pub fn amount(&self) -> Money {
        self.amount
    }

    /// The amount as it moves the account's debit balance: debits add, credits subtract.
    pub fn signed_minor(&self) -> i128 {
        let minor = i128::from(self.amount.minor());
        match self.side {
            Side::Debit => minor,
            Side::Credit => -minor,
        }
    }
}

/// Why an entry was written. Balances are derived from the kind and the postings together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntryKind {
    OrderConfirmed,
    /// The reversal of `OrderConfirmed` for an order cancelled before anything was paid.
    OrderCancelled,
    PaymentRecorded,
    RefundProcessed,
    ShipmentCost,
}

impl EntryKind {
    pub const ALL: [EntryKind; 5] = [
        EntryKind::OrderConfirmed,
        EntryKind::OrderCancelled,
        EntryKind::PaymentRecorded,
        EntryKind::RefundProcessed,
        EntryKind::ShipmentCost,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            EntryKind::OrderConfirmed => "ORDER_CONFIRMED",
            EntryKind::OrderCancelled => "ORDER_CANCELLED",
            EntryKind::PaymentRecorded => "PAYMENT_RECORDED",
            EntryKind::RefundProcessed => "REFUND_PROCESSED",
            EntryKind::ShipmentCost => "SHIPMENT_COST",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What the caller hands in for every entry: ids and clocks stay outside so the model is pure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryMeta {
    pub id: Uuid,
    pub idempotency_key: String,
    pub occurred_at: DateTime<Utc>,
    /// What the outside world calls the money movement (a payment provider's charge id…).
    pub reference: Option<String>,
    /// How the money moved (`card`, `bank_transfer`…), as the caller names it.
    pub method: Option<String>,
}

impl EntryMeta {
    pub fn new(id: Uuid, idempotency_key: impl Into<String>, occurred_at: DateTime<Utc>) -> Self {
        EntryMeta { id, idempotency_key: idempotency_key.into(), occurred_at, reference: None, method: None }
    }

    /// Descriptive details: kept with the entry, but not part of its content (`fingerprint`), so
    /// they never decide whether a key is replayed.
    pub fn with_details(mut self, reference: Option<String>, method: Option<String>) -> Self {
        self.reference = reference;
        self.method = method;
        self
    }
}

/// A balanced, immutable journal entry. The only way to get one is [`JournalEntry::new`], so every
/// value of this type has at least two postings, positive amounts, and debits equal to credits in
/// each currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    id: Uuid,
    idempotency_key: String,
    kind: EntryKind,
    order_id: Option<OrderId>,
    postings: Vec<Posting>,
    occurred_at: DateTime<Utc>,
    reference: Option<String>,
    method: Option<String>,
}

impl JournalEntry {
    /// Also the way persistence brings an entry back: stored rows are checked like new ones, so a
    /// damaged row is refused instead of silently unbalancing the books.
    pub fn new(
        meta: EntryMeta,
        kind: EntryKind,
        order_id: Option<OrderId>,
        postings: Vec<Posting>,
    ) -> Result<Self, DomainError> {
        check_idempotency_key(&meta.idempotency_key)?;
        if postings.len() < 2 {
            return Err(DomainError::validation(&["postings"], "a journal entry needs at least two postings"));
        }
        for (i, p) in postings.iter().enumerate() {
            let at = i.to_string();
            if p.amount.minor() <= 0 {
                return Err(DomainError::validation(
                    &["postings", &at, "amount"],
                    format!("a posting amount must be greater than 0, got {}", p.amount),
                ));
            }
            if let Some(owner) = p.account.order_id()
                && order_id != Some(owner)
            {
                return Err(DomainError::validation(
                    &["postings", &at, "account"],
                    format!("account {} does not belong to the entry's order", p.account),
                ));
            }
        }
        for (currency, net) in net_by_currency(&postings) {
            if net != 0 {
                return Err(DomainError::validation(
                    &["postings"],
                    format!("debits and credits in {currency} differ by {net} minor units"),
                ));
            }
        }
        Ok(JournalEntry {
            id: meta.id,
            idempotency_key: meta.idempotency_key,
            kind,
            order_id,
            postings,
            occurred_at: meta.occurred_at,
            reference: meta.reference,
            method: meta.method,
        })
    }

    pub fn id(&self) -> Uuid {
        self.id
    }
    pub fn idempotency_key(&self) -> &str {
        &self.idempotency_key
    }
    pub fn kind(&self) -> EntryKind {
        self.kind
    }
    pub fn order_id(&self) -> Option<OrderId> {
        self.order_id
    }
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }
    pub fn occurred_at(&self) -> DateTime<Utc> {
        self.occurred_at
    }
    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }
    pub fn method(&self) -> Option<&str> {
        self.method.as_deref()
    }

    /// Debits minus credits per currency code. Zero everywhere for every entry that exists; kept
    /// public so that checks elsewhere (reports, property tests) need not re-derive it.
    pub fn net_by_currency(&self) -> BTreeMap<&'static str, i128> {
        net_by_currency(&self.postings)
    }

    /// The entry's content without its identity (id, idempotency key, time): two requests with the
    /// same key are the same request exactly when their fingerprints are equal. Postings are
    /// sorted, so their order does not matter; the string is stable and may be stored.
    pub fn fingerprint(&self) -> String {
        let mut postings: Vec<String> = self
            .postings
            .iter()
            .map(|p| {
                let side = match p.side {
                    Side::Debit => 'D',
                    Side::Credit => 'C',
                };
                format!("{side} {} {} {}", p.account, p.amount.minor(), p.amount.currency())
            })
            .collect();
        postings.sort();
        let order = self.order_id.map_or_else(|| "-".to_owned(), |o| o.to_string());
        format!("{}|{order}|{}", self.kind.as_str(), postings.join(";"))
    }

    /// Whether `other` is a replay of this entry (same content, whatever its id and time).
    pub fn same_content(&self, other: &JournalEntry) -> bool {
        self.fingerprint() == other.fingerprint()
    }
}

fn net_by_currency(postings: &[Posting]) -> BTreeMap<&'static str, i128> {
    // i128: a sum of i64 amounts cannot overflow it for any realistic number of postings.
    let mut net = BTreeMap::new();
    for p in postings {
        *net.entry(p.amount.currency().code()).or_insert(0) += p.signed_minor();
    }
    net
}

fn check_idempotency_key(key: &str) -> Result<(), DomainError> {
    let field = &["idempotencyKey"];
    // Not trimmed: a key is compared byte for byte, so changing it would make a replay look new.
    if key.trim().is_empty() {
        return Err(DomainError::validation(field, "idempotencyKey must not be empty"));
    }
    if key.chars().count() > MAX_IDEMPOTENCY_KEY {
        return Err(DomainError::validation(
            field,
            format!("idempotencyKey must be at most {MAX_IDEMPOTENCY_KEY} characters"),
        ));
    }
    if key.chars().any(char::is_control) {
        return Err(DomainError::validation(field, "idempotencyKey must not contain control characters"));
    }
    Ok(())
}
