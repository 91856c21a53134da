//! The Ledger aggregate: a tenant's journal, the only way entries get into it, and the rules that
//! decide whether one may.

use std::collections::BTreeMap;

use crate::{
    Currency, DomainError, Money, OrderId, TenantId,
    ledger::{
        Account, EntryKind, EntryMeta, JournalEntry, LedgerError, OrderBalance, RefundPolicy, RefundQuote,
        ReturnedLine, account_balances, entries, payment_allowed, quote_refund, trial_balance,
    },
};

/// What posting did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Posted {
    /// A new entry, appended to the journal; the caller stores it.
    Recorded(JournalEntry),
    /// The key was used before for the same content: the original entry, nothing new to store.
    Replayed(JournalEntry),
    /// The amounts were all zero (a free order, a zero refund): nothing moves, nothing is stored.
    NothingToBook,
}

impl Posted {
    pub fn entry(&self) -> Option<&JournalEntry> {
        match self {
            Posted::Recorded(e) | Posted::Replayed(e) => Some(e),
            Posted::NothingToBook => None,
        }
    }
}

/// A tenant's journal, oldest entry first. It may hold the whole journal or only the part the
/// caller loaded (an order's entries plus the entry of the key being posted, if any): every rule
/// looks only at the entries of the order concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    tenant_id: TenantId,
    entries: Vec<JournalEntry>,
}

impl Ledger {
    pub fn new(tenant_id: TenantId) -> Self {
        Ledger { tenant_id, entries: Vec::new() }
    }

    /// Brings a stored journal back. Each entry was checked when it was built; here only what
    /// spans entries is checked: ids and idempotency keys are unique.
    pub fn restore(tenant_id: TenantId, stored: Vec<JournalEntry>) -> Result<Self, DomainError> {
        let mut ledger = Ledger::new(tenant_id);
        for entry in stored {
            if ledger.entry_by_key(entry.idempotency_key()).is_some() || ledger.entry_by_id(&entry) {
                return Err(DomainError::invalid_state(format!(
                    "journal holds entry {} or its key '{}' twice",
                    entry.id(),
                    entry.idempotency_key()
                )));
            }
            ledger.entries.push(entry);
        }
        Ok(ledger)
    }

    pub fn tenant_id(&self) -> &TenantId {
        &self.tenant_id
    }

    pub fn entries(&self) -> &[JournalEntry] {
        &self.entries
    }

    pub fn entry_by_key(&self, key: &str) -> Option<&JournalEntry> {
        self.entries.iter().find(|e| e.idempotency_key() == key)
    }

    /// The currency the order was booked in, if anything was booked for it yet.
    pub fn order_currency(&self, order_id: OrderId) -> Option<Currency> {
        currency_in(&self.entries, order_id)
    }

    pub fn order_entries(&self, order_id: OrderId) -> impl Iterator<Item = &JournalEntry> {
        self.entries.iter().filter(move |e| e.order_id() == Some(order_id))
    }

    pub fn order_balance(&self, order_id: OrderId, currency: Currency) -> Result<OrderBalance, DomainError> {
        OrderBalance::from_entries(order_id, currency, &self.entries)
    }

    pub fn trial_balance(&self) -> BTreeMap<&'static str, i128> {
        trial_balance(&self.entries)
    }

    pub fn account_balances(&self) -> BTreeMap<(Account, &'static str), i128> {
        account_balances(&self.entries)
    }

    /// Books a confirmed order's total. Refused once the order was confirmed or cancelled in the
    /// books (under another key: the same key is a replay).
    pub fn confirm_order(&mut self, meta: EntryMeta, order_id: OrderId, total: Money) -> Result<Posted, LedgerError> {
        let key = meta.idempotency_key.clone();
        self.post(&key, |prior| {
            if let Some(kind) = booked(prior, order_id, &[EntryKind::OrderConfirmed, EntryKind::OrderCancelled]) {
                return Err(already(order_id, kind));
            }
            in_order_currency(prior, order_id, total)?;
            Ok(((), entries::order_confirmed(meta.clone(), order_id, total)?))
        })
        .map(|(_, p)| p)
    }

    /// Reverses the confirmation of an order cancelled before any payment. An order never
    /// confirmed in the books has nothing to reverse. An order with any payment is refused: the
    /// reversal would turn its payment into a credit on the receivable (due < 0), and the spec
    /// defines no entry that pays such a credit back; that needs its own rule, not a silent one.
    pub fn cancel_unpaid_order(&mut self, meta: EntryMeta, order_id: OrderId) -> Result<Posted, LedgerError> {
        let key = meta.idempotency_key.clone();
        self.post(&key, |prior| {
            if let Some(kind) = booked(prior, order_id, &[EntryKind::OrderCancelled]) {
                return Err(already(order_id, kind));
            }
            let Some(currency) = currency_in(prior, order_id) else {
                return Ok(((), None));
            };
            let balance = OrderBalance::from_entries(order_id, currency, prior)?;
            if balance.paid().minor() > 0 {
                return Err(DomainError::invalid_state(format!(
                    "order {order_id} has {} paid; an order with payments cannot be reversed as unpaid",
                    balance.paid()
                )));
            }
            Ok(((), entries::order_cancelled(meta.clone(), order_id, balance.total())?))
        })
        .map(|(_, p)| p)
    }

    /// Records a payment after [`payment_allowed`]: a refused payment writes nothing.
    pub fn record_payment(&mut self, meta: EntryMeta, order_id: OrderId, amount: Money) -> Result<Posted, LedgerError> {
        let key = meta.idempotency_key.clone();
        self.post(&key, |prior| {
            let currency = currency_in(prior, order_id).unwrap_or(amount.currency());
            payment_allowed(&OrderBalance::from_entries(order_id, currency, prior)?, amount)?;
            Ok(((), Some(entries::payment_recorded(meta.clone(), order_id, amount)?)))
        })
        .map(|(_, p)| p)
    }

    /// Quotes the refund of returned lines against the order's balance and books it. Which units
    /// may be returned (delivered, not yet returned) is the Order's rule, checked before. A replay is
    /// quoted against the books as they stood when the key was first used, so it returns the
    /// original quote although later entries changed what is refundable now.
    pub fn process_refund(
        &mut self,
        meta: EntryMeta,
        order_id: OrderId,
        lines: &[ReturnedLine],
        policy: &RefundPolicy,
    ) -> Result<(RefundQuote, Posted), LedgerError> {
        let key = meta.idempotency_key.clone();
        self.post(&key, |prior| {
            let currency = currency_in(prior, order_id)
                .or_else(|| lines.first().map(|l| l.unit_price.currency()))
                .ok_or_else(|| DomainError::validation(&["lines"], "a refund needs at least one returned line"))?;
            let balance = OrderBalance::from_entries(order_id, currency, prior)?;
            let quote = quote_refund(lines, policy, balance.paid(), balance.refunded())?;
            let entry = entries::refund_processed(meta.clone(), order_id, &quote)?;
            Ok((quote, entry))
        })
    }

    /// Books a carrier's cost for a dispatched shipment of the order.
    pub fn record_shipment_cost(
        &mut self,
        meta: EntryMeta,
        order_id: OrderId,
        cost: Money,
    ) -> Result<Posted, LedgerError> {
        let key = meta.idempotency_key.clone();
        self.post(&key, |prior| {
            in_order_currency(prior, order_id, cost)?;
            Ok(((), entries::shipment_cost(meta.clone(), order_id, cost)?))
        })
        .map(|(_, p)| p)
    }

    /// The one way into the journal. `plan` decides on the entries before the key's first use:
    /// all of them for a new key, those older than the original for a replay — so a replay is
    /// judged exactly as the original was, and equal content means the same request.
    fn post<T>(
        &mut self,
        key: &str,
        plan: impl Fn(&[JournalEntry]) -> Result<(T, Option<JournalEntry>), DomainError>,
    ) -> Result<(T, Posted), LedgerError> {
        if let Some(at) = self.entries.iter().position(|e| e.idempotency_key() == key) {
            let original = &self.entries[at];
            let conflict = || LedgerError::IdempotencyConflict { key: key.to_owned(), existing: original.id() };
            return match plan(&self.entries[..at]) {
                Ok((out, Some(candidate))) if candidate.same_content(original) => {
                    Ok((out, Posted::Replayed(original.clone())))
                }
                _ => Err(conflict()),
            };
        }
        let (out, entry) = plan(&self.entries)?;
        let Some(entry) = entry else {
            return Ok((out, Posted::NothingToBook));
        };
        if self.entry_by_id(&entry) {
            return Err(
                DomainError::validation(&["id"], format!("entry id {} is already in the journal", entry.id())).into()
            );
        }
        self.entries.push(entry.clone());
        Ok((out, Posted::Recorded(entry)))
    }

    fn entry_by_id(&self, entry: &JournalEntry) -> bool {
        self.entries.iter().any(|e| e.id() == entry.id())
    }
}

fn currency_in(entries: &[JournalEntry], order_id: OrderId) -> Option<Currency> {
    entries
        .iter()
        .filter(|e| e.order_id() == Some(order_id))
        .flat_map(JournalEntry::postings)
        .map(|p| p.amount().currency())
        .next()
}

/// One order has one currency (SPEC "Money"): its books may not start a second one.
fn in_order_currency(entries: &[JournalEntry], order_id: OrderId, amount: Money) -> Result<(), DomainError> {
    match currency_in(entries, order_id) {
        Some(currency) if currency != amount.currency() => Err(DomainError::validation(
            &["amount", "currency"],
            format!("order {order_id} is booked in {currency}, not {}", amount.currency()),
        )),
        _ => Ok(()),
    }
}

fn booked(entries: &[JournalEntry], order_id: OrderId, kinds: &[EntryKind]) -> Option<EntryKind> {
    entries.iter().filter(|e| e.order_id() == Some(order_id)).map(JournalEntry::kind).find(|k| kinds.contains(k))
}

fn already(order_id: OrderId, kind: EntryKind) -> DomainError {
    let what = match kind {
        EntryKind::OrderCancelled => "cancelled",
        _ => "confirmed",
    };
    DomainError::invalid_state(format!("order {order_id} is already {what} in the ledger"))
}
