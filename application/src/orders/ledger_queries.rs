//! ledgerEntries and trialBalance: the tenant's books as recorded (permission ledger:read).

use domain::{
    OrderId,
    ledger::{Account, JournalEntry},
};

use crate::{
    AppError, Permission, Principal,
    orders::Orders,
    paging::{cursor, page_size},
    ports::{CurrencyTotals, LedgerFilter, LedgerPage, LedgerQuery},
};

#[derive(Debug, Clone, Default)]
pub struct LedgerListFilter {
    pub order_id: Option<String>,
    /// An account name as the entries show it, e.g. `cash` or `receivable:<order id>`.
    pub account: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct LedgerListQuery {
    pub first: Option<i64>,
    /// The cursor of the last entry seen: its id.
    pub after: Option<String>,
    pub filter: LedgerListFilter,
}

impl Orders {
    /// Oldest first, as a journal reads. An order of another tenant has no entries here.
    pub async fn ledger_entries(&self, p: &Principal, query: LedgerListQuery) -> Result<LedgerPage, AppError> {
        self.authorize(p, Permission::LedgerRead).await?;
        let first = page_size(query.first)?;
        let after = cursor(query.after.as_deref())?;
        let order_id = query
            .filter
            .order_id
            .as_deref()
            .map(|id| {
                OrderId::parse(id.trim())
                    .map_err(|_| AppError::validation(&["filter", "orderId"], format!("'{id}' is not an order id")))
            })
            .transpose()?;
        let account = query
            .filter
            .account
            .as_deref()
            .map(|a| Account::parse(a.trim()).map_err(|e| AppError::from(e).under(&["filter"])))
            .transpose()?;
        if first == 0 {
            return Ok(LedgerPage { entries: Vec::<JournalEntry>::new(), has_next_page: false });
        }
        let q = LedgerQuery { filter: LedgerFilter { order_id, account }, first, after };
        Ok(self.store.ledger_entries(&p.tenant_id, &q).await?)
    }

    /// Debits and credits per currency; every currency nets to zero in healthy books.
    pub async fn trial_balance(&self, p: &Principal) -> Result<Vec<CurrencyTotals>, AppError> {
        self.authorize(p, Permission::LedgerRead).await?;
        Ok(self.store.trial_balance(&p.tenant_id).await?)
    }
}
