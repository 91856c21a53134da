//! The order's slice of the tenant's journal: the entries booked for this order, loaded and saved
//! with it, so that its balance is read off the books in the same transaction that changes them.
//! Every entry goes through the [`Ledger`] aggregate, so its rules (balanced entries, no
//! overpayment, refund caps, idempotency keys) hold here unchanged.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    DomainError, Money, ReturnId, ShipmentId,
    events::{EventData, EventType},
    ledger::{
        EntryKind, EntryMeta, JournalEntry, Ledger, LedgerError, OrderBalance, PaymentStatus, Posted, RefundPolicy,
        RefundQuote, ReturnedLine,
    },
    order::{MAX_COMMENT, Order, OrderStatus, Refund, ReturnStatus, values::optional_text},
};

/// Longest payment reference and method accepted.
pub const MAX_REFERENCE: usize = 255;
pub const MAX_METHOD: usize = 64;

impl Order {
    /// This order's journal entries, oldest first.
    pub fn journal(&self) -> &[JournalEntry] {
        &self.parts.journal
    }

    pub fn balance(&self) -> OrderBalance {
        self.checked_balance().expect("an order's journal holds only its own entries in its currency")
    }

    /// The balance, or why the journal cannot give one (an entry in another currency: damaged
    /// storage). Entries the ledger books always pass; persistence checks loaded orders with this.
    pub fn checked_balance(&self) -> Result<OrderBalance, DomainError> {
        OrderBalance::from_entries(self.parts.id, self.parts.currency, &self.parts.journal)
    }

    pub fn payment_status(&self) -> PaymentStatus {
        self.balance().payment_status()
    }

    /// The idempotency key of a system entry of this order (`order:<id>:confirmed`, …): one per
    /// order and kind, so booking twice is a replay, never a second entry.
    pub fn system_key(&self, what: &str) -> String {
        format!("order:{}:{what}", self.parts.id)
    }

    /// Makes the books follow the order's status: a confirmed order owes its total (debit
    /// `receivable:<order>` / credit `revenue`); a cancelled one that was booked is reversed.
    /// Called after every command, so confirmation by any path (createOrder auto-confirm,
    /// confirmOrder) and cancellation by any path (cancelOrder, a rejecting review) book alike, and
    /// an order confirmed before the ledger existed is booked at its next change.
    /// `entry_id` is used only if an entry is booked. Changes no version: it belongs to the command.
    pub fn sync_receivable(&mut self, entry_id: Uuid, now: DateTime<Utc>) -> Result<(), DomainError> {
        let booked = self.booked(EntryKind::OrderConfirmed);
        let reversed = self.booked(EntryKind::OrderCancelled);
        let id = self.parts.id;
        let mut ledger = self.ledger()?;
        let posted = if self.parts.status.is_fulfilment() && !booked && !reversed {
            let meta = EntryMeta::new(entry_id, self.system_key("confirmed"), now);
            ledger.confirm_order(meta, id, self.total()?)
        } else if self.parts.status == OrderStatus::Cancelled && booked && !reversed {
            let meta = EntryMeta::new(entry_id, self.system_key("cancelled"), now);
            ledger.cancel_unpaid_order(meta, id)
        } else {
            return Ok(());
        };
        if let Posted::Recorded(entry) = posted.map_err(into_domain)? {
            self.parts.journal.push(entry);
        }
        Ok(())
    }

    /// Books what the carrier charges for a dispatched shipment (debit `shipping_costs` / credit
    /// `carrier_payable`), once per shipment (key `shipment:<id>:cost`). No cost, nothing booked.
    /// It does not change what the customer owes.
    pub fn book_shipment_cost(
        &mut self,
        shipment: ShipmentId,
        entry_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let Some(cost) = self.shipment(shipment).and_then(|s| s.cost) else {
            return Ok(());
        };
        let meta = EntryMeta::new(entry_id, format!("shipment:{shipment}:cost"), now);
        let posted = self.ledger()?.record_shipment_cost(meta, self.parts.id, cost).map_err(into_domain)?;
        if let Posted::Recorded(entry) = posted {
            self.parts.journal.push(entry);
        }
        Ok(())
    }

    /// Records a payment against what the order owes. Only an order whose receivable exists can
    /// be paid: PENDING (not yet owed) and CANCELLED (no longer owed) orders are INVALID_STATE; an
    /// amount above what is due is refused (no overpayment), as is one in another currency.
    /// A replay of the same key with the same content changes nothing and answers `Replayed`.
    pub fn record_payment(
        &mut self,
        meta: EntryMeta,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Result<Posted, LedgerError> {
        match self.parts.status {
            OrderStatus::Pending => {
                return Err(DomainError::invalid_state(format!(
                    "order {} is PENDING: nothing is owed until it is confirmed, so no payment can be recorded",
                    self.parts.number
                ))
                .into());
            }
            OrderStatus::Cancelled => {
                return Err(DomainError::invalid_state(format!(
                    "order {} is CANCELLED: nothing is owed, so no payment can be recorded",
                    self.parts.number
                ))
                .into());
            }
            _ => {}
        }
        let reference = optional_text("reference", meta.reference.as_deref(), MAX_REFERENCE)?;
        let method = optional_text("method", meta.method.as_deref(), MAX_METHOD)?;
        let meta = meta.with_details(reference.clone(), method.clone());
        let posted = self.ledger()?.record_payment(meta, self.parts.id, amount)?;
        if let Posted::Recorded(entry) = &posted {
            let entry_id = entry.id();
            self.parts.journal.push(entry.clone());
            self.touch(now);
            self.record(
                EventType::PaymentRecorded,
                now,
                EventData {
                    amount: Some(amount.amount_string()),
                    currency: Some(amount.currency().code().to_owned()),
                    entry_id: Some(entry_id.to_string()),
                    payment_reference: reference,
                    payment_method: method,
                    ..EventData::default()
                },
            );
        }
        Ok(posted)
    }

    /// Refunds an APPROVED return once: the refund is quoted on the returned lines at the prices
    /// they were sold for, under the tenant's policy and capped by what was paid and not yet
    /// refunded; the entry is booked and the return becomes REFUNDED with the quote on it.
    pub fn refund_return(
        &mut self,
        id: ReturnId,
        meta: EntryMeta,
        policy: &RefundPolicy,
        comments: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<RefundQuote, LedgerError> {
        let comments = optional_text("comments", comments, MAX_COMMENT)?;
        let ret = self.return_by_id(id).ok_or_else(|| {
            DomainError::validation(&["returnId"], format!("return {id} is not part of order {}", self.parts.number))
        })?;
        if ret.status != ReturnStatus::Approved {
            // The transition refuses it with the reason; checked before anything is booked.
            ret.clone().transition(ReturnStatus::Refunded, now)?;
        }
        // A refund of nothing would still book the restocking fee: income from money never
        // received. Refused, so the return stays APPROVED until there is a payment to return.
        if self.balance().refundable().minor() == 0 {
            return Err(DomainError::invalid_state(format!(
                "order {} holds no payment to refund; record the payment first, or decline the return",
                self.parts.number
            ))
            .into());
        }
        let mut lines = Vec::with_capacity(ret.lines.len());
        for l in &ret.lines {
            let line =
                self.parts.lines.iter().find(|o| o.sku == l.sku && o.vendor_id == l.vendor_id).ok_or_else(|| {
                    DomainError::invalid_state(format!("return {id} names sku '{}' that the order lacks", l.sku))
                })?;
            lines.push(ReturnedLine { unit_price: line.unit_price, quantity: l.quantity });
        }
        let order_id = self.parts.id;
        let (quote, posted) = self.ledger()?.process_refund(meta, order_id, &lines, policy)?;
        let entry_id = posted.entry().map(JournalEntry::id);
        if let Posted::Recorded(entry) = posted {
            self.parts.journal.push(entry);
        }
        let ret = self.return_mut(id)?;
        ret.transition(ReturnStatus::Refunded, now)?;
        ret.refund = Some(Refund {
            gross: quote.gross(),
            amount: quote.amount(),
            restocking_fee: quote.restocking_fee(),
            cap_applied: quote.cap_applied(),
            comments,
            entry_id,
            processed_at: now,
        });
        self.touch(now);
        self.record_return(
            EventType::RefundProcessed,
            id,
            now,
            EventData {
                amount: Some(quote.amount().amount_string()),
                currency: Some(quote.amount().currency().code().to_owned()),
                restocking_fee: Some(quote.restocking_fee().amount_string()),
                cap_applied: Some(quote.cap_applied().as_str().to_owned()),
                entry_id: entry_id.map(|e| e.to_string()),
                ..EventData::default()
            },
        );
        Ok(quote)
    }

    /// Completion needs every unit delivered and nothing left to pay.
    pub(crate) fn require_settled(&self) -> Result<(), DomainError> {
        let due = self.balance().due();
        if due.minor() > 0 {
            return Err(DomainError::invalid_state(format!(
                "order {} cannot be completed: {due} is still due; record the payment first",
                self.parts.number
            )));
        }
        Ok(())
    }

    /// Money received and not paid back stays with the order: cancelling would leave the
    /// customer's payment on a receivable nobody owes.
    pub(crate) fn require_no_money_held(&self) -> Result<(), DomainError> {
        let balance = self.balance();
        let held = balance.refundable();
        if held.minor() > 0 {
            return Err(DomainError::invalid_state(format!(
                "order {} cannot be cancelled: {} was paid and {} refunded; {held} must be refunded first",
                self.parts.number,
                balance.paid(),
                balance.refunded()
            )));
        }
        Ok(())
    }

    fn booked(&self, kind: EntryKind) -> bool {
        self.parts.journal.iter().any(|e| e.kind() == kind)
    }

    fn ledger(&self) -> Result<Ledger, DomainError> {
        Ledger::restore(self.parts.tenant_id.clone(), self.parts.journal.clone())
    }
}

/// System entries use keys only they use, so a conflict there is a damaged journal.
fn into_domain(e: LedgerError) -> DomainError {
    match e {
        LedgerError::Domain(d) => d,
        LedgerError::IdempotencyConflict { key, existing } => {
            DomainError::invalid_state(format!("journal entry {existing} already holds key '{key}'"))
        }
    }
}
