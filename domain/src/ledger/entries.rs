//! The entries the system writes (SPEC §2 "Entries the system writes"), one constructor each.
//!
//! Amounts the system derives (an order total, a refund, a carrier cost) may be zero; a zero amount
//! moves nothing and a posting must be positive, so those constructors answer `Ok(None)`: nothing
//! to book. A payment is an amount someone typed, so zero is refused there instead.

use crate::{
    DomainError, Money, OrderId,
    ledger::{Account, EntryKind, EntryMeta, JournalEntry, Posting, RefundQuote},
};

/// Order confirmed: debit `receivable:<order>` / credit `revenue`, for the order total.
pub fn order_confirmed(meta: EntryMeta, order_id: OrderId, total: Money) -> Result<Option<JournalEntry>, DomainError> {
    pair(meta, EntryKind::OrderConfirmed, order_id, Account::Receivable(order_id), Account::Revenue, total)
}

/// Order cancelled before any payment: the exact reversal of the confirmation, debit `revenue` /
/// credit `receivable:<order>`, for the total that was booked. The confirmation stays in the
/// journal (entries are immutable); the pair nets both accounts back to zero.
pub fn order_cancelled(meta: EntryMeta, order_id: OrderId, total: Money) -> Result<Option<JournalEntry>, DomainError> {
    pair(meta, EntryKind::OrderCancelled, order_id, Account::Revenue, Account::Receivable(order_id), total)
}

/// Payment recorded: debit `cash` / credit `receivable:<order>`, so the receivable's balance stays
/// what the customer still owes.
pub fn payment_recorded(meta: EntryMeta, order_id: OrderId, amount: Money) -> Result<JournalEntry, DomainError> {
    if amount.minor() <= 0 {
        return Err(DomainError::validation(&["amount"], "a payment must be greater than 0"));
    }
    JournalEntry::new(
        meta,
        EntryKind::PaymentRecorded,
        Some(order_id),
        vec![Posting::debit(Account::Cash, amount), Posting::credit(Account::Receivable(order_id), amount)],
    )
}

/// Refund processed, as the spec's two pairs in one entry:
/// - debit `refunds` / credit `cash` for the amount paid back;
/// - debit `refunds` / credit `restocking_fees` for the fee kept.
///
/// Why the fee pair: the returned goods' revenue is given up in full — the `refunds` debit is
/// refund + fee — while the fee the tenant keeps is recognised as its own income. Net income from
/// the order is then `revenue − refunds + restocking_fees` = the cash the tenant actually keeps,
/// and the fee shows in its account instead of hiding inside a smaller refund. What a cap withholds
/// (`gross − fee − amount`) is neither refunded nor a fee: it simply stays revenue.
///
/// The receivable is untouched: a refund pays back money for goods that came back, it does not
/// make the customer owe the order again.
pub fn refund_processed(
    meta: EntryMeta,
    order_id: OrderId,
    quote: &RefundQuote,
) -> Result<Option<JournalEntry>, DomainError> {
    let mut postings = Vec::with_capacity(4);
    if quote.amount().minor() > 0 {
        postings.push(Posting::debit(Account::Refunds, quote.amount()));
        postings.push(Posting::credit(Account::Cash, quote.amount()));
    }
    if quote.restocking_fee().minor() > 0 {
        postings.push(Posting::debit(Account::Refunds, quote.restocking_fee()));
        postings.push(Posting::credit(Account::RestockingFees, quote.restocking_fee()));
    }
    if postings.is_empty() {
        return Ok(None);
    }
    JournalEntry::new(meta, EntryKind::RefundProcessed, Some(order_id), postings).map(Some)
}

/// Shipment dispatched with a carrier cost: debit `shipping_costs` / credit `carrier_payable`.
/// Tied to the order so the order's cost of fulfilment can be read from the journal.
pub fn shipment_cost(meta: EntryMeta, order_id: OrderId, cost: Money) -> Result<Option<JournalEntry>, DomainError> {
    pair(meta, EntryKind::ShipmentCost, order_id, Account::ShippingCosts, Account::CarrierPayable, cost)
}

fn pair(
    meta: EntryMeta,
    kind: EntryKind,
    order_id: OrderId,
    debit: Account,
    credit: Account,
    amount: Money,
) -> Result<Option<JournalEntry>, DomainError> {
    if amount.is_negative() {
        return Err(DomainError::validation(&["amount"], format!("amount must not be negative, got {amount}")));
    }
    if amount.minor() == 0 {
        return Ok(None);
    }
    JournalEntry::new(meta, kind, Some(order_id), vec![Posting::debit(debit, amount), Posting::credit(credit, amount)])
        .map(Some)
}
