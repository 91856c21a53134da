//! The paged reads of `OrderStore` over one tenant's rows, with the SQL adapter's ordering and
//! cursors, so that a use case's paging logic meets the same answers it gets in production.

use std::collections::BTreeMap;

use domain::{
    ledger::{JournalEntry, Side},
    order::Order,
};

use super::tables::TenantTables;
use crate::ports::{
    CurrencyTotals, LedgerPage, LedgerQuery, OrderCursor, OrderPage, OrderQuery, OrderSort, StoreError,
};

/// The adapters' page-size ceiling: a caller asking for more gets this many.
pub(super) const MAX_PAGE: u64 = 500;

/// Cuts a sorted, filtered sequence to one page; one item beyond it tells a next page follows.
pub(super) fn page_of<T>(items: impl Iterator<Item = T>, first: u64) -> (Vec<T>, bool) {
    let wanted = usize::try_from(first.min(MAX_PAGE)).unwrap_or(usize::MAX);
    let mut page: Vec<T> = items.take(wanted.saturating_add(1)).collect();
    let has_next_page = page.len() > wanted;
    page.truncate(wanted);
    (page, has_next_page)
}

/// Newest first in `filter.sort()` order: by id (ids are time-ordered), or with a created range
/// by (created_at, id); `after` is the sort key of the last order of the previous page.
/// `created_after` is inclusive, `created_before` exclusive.
pub(super) fn orders(tables: &TenantTables, query: &OrderQuery) -> Result<OrderPage, StoreError> {
    let f = &query.filter;
    let sort = f.sort();
    if query.after.is_some_and(|after| after.sort() != sort) {
        return Err(StoreError::Internal("a cursor of another sort reached the store".to_owned()));
    }
    let email = f.customer_email.as_deref().map(str::to_lowercase);
    let matches = |o: &&Order| {
        f.status.is_none_or(|s| o.status() == s)
            && f.created_after.is_none_or(|t| o.created_at() >= t)
            && f.created_before.is_none_or(|t| o.created_at() < t)
            && email.as_deref().is_none_or(|e| o.customer().email == e)
            && f.sku.as_deref().is_none_or(|sku| {
                o.lines()
                    .iter()
                    .any(|l| l.sku.as_str() == sku && f.vendor_id.as_ref().is_none_or(|v| &l.vendor_id == v))
            })
            && f.vendor_id.as_ref().is_none_or(|v| o.lines().iter().any(|l| &l.vendor_id == v))
            && query.after.is_none_or(|after| match after {
                OrderCursor::Id(id) => o.id() < id,
                OrderCursor::Created { created_at, id } => (o.created_at(), o.id()) < (created_at, id),
            })
    };
    let mut matching: Vec<&Order> = tables.orders.values().rev().filter(matches).collect();
    if sort == OrderSort::Created {
        // Stable: ties on created_at keep the descending id order they came in.
        matching.sort_by_key(|o| std::cmp::Reverse(o.created_at()));
    }
    let (orders, has_next_page) = page_of(matching.into_iter().cloned(), query.first);
    Ok(OrderPage { orders, has_next_page })
}

/// Oldest first by entry id; `after` is the last id of the previous page.
pub(super) fn ledger_entries(tables: &TenantTables, query: &LedgerQuery) -> LedgerPage {
    let f = &query.filter;
    let mut entries: Vec<&JournalEntry> = tables
        .orders
        .values()
        .flat_map(|o| o.journal())
        .filter(|e| f.order_id.is_none_or(|id| e.order_id() == Some(id)))
        .filter(|e| f.account.is_none_or(|a| e.postings().iter().any(|p| p.account() == a)))
        .filter(|e| query.after.is_none_or(|after| e.id() > after))
        .collect();
    entries.sort_by_key(|e| e.id());
    let (entries, has_next_page) = page_of(entries.into_iter().cloned(), query.first);
    LedgerPage { entries, has_next_page }
}

/// Debits and credits of every posting, per currency in code order.
pub(super) fn trial_balance(tables: &TenantTables) -> Vec<CurrencyTotals> {
    let mut totals: BTreeMap<&'static str, CurrencyTotals> = BTreeMap::new();
    let postings = tables.orders.values().flat_map(|o| o.journal()).flat_map(|e| e.postings());
    for posting in postings {
        let currency = posting.amount().currency();
        let t = totals.entry(currency.code()).or_insert(CurrencyTotals { currency, debits: 0, credits: 0 });
        let minor = i128::from(posting.amount().minor());
        match posting.side() {
            Side::Debit => t.debits += minor,
            Side::Credit => t.credits += minor,
        }
    }
    totals.into_values().collect()
}
