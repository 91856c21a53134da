//! The audit trail in memory. Clones share one trail, so a test keeps a handle to inspect what
//! the use case (holding another clone) recorded.

use std::{
    cmp::Reverse,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use domain::TenantId;

use super::{lock, queries::page_of};
use crate::ports::{AuditLog, AuditPage, AuditQuery, AuditRecord, StoreError};

#[derive(Debug, Clone, Default)]
pub struct InMemoryAuditLog {
    records: Arc<Mutex<Vec<AuditRecord>>>,
}

impl InMemoryAuditLog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every record, in the order it was written (standalone ones and, when this log is shared
    /// with an `InMemoryOrderStore`, those committed with a transaction).
    pub fn records(&self) -> Vec<AuditRecord> {
        lock(&self.records).clone()
    }

    pub(super) fn append(&self, records: impl IntoIterator<Item = AuditRecord>) {
        lock(&self.records).extend(records);
    }
}

#[async_trait]
impl AuditLog for InMemoryAuditLog {
    async fn record(&self, record: &AuditRecord) -> Result<(), StoreError> {
        self.append([record.clone()]);
        Ok(())
    }

    /// As the SQL adapter: newest first by id (ids are time-ordered), `after` the last id of the
    /// previous page, `from` inclusive and `to` exclusive.
    async fn query(&self, tenant: Option<&TenantId>, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let f = &query.filter;
        let mut records: Vec<AuditRecord> = lock(&self.records)
            .iter()
            .filter(|r| r.tenant_id.as_ref() == tenant)
            .filter(|r| f.order_id.as_ref().is_none_or(|id| r.order_id.as_ref() == Some(id)))
            .filter(|r| f.actor.as_ref().is_none_or(|actor| &r.actor == actor))
            .filter(|r| f.action.as_ref().is_none_or(|action| &r.action == action))
            .filter(|r| f.from.is_none_or(|t| r.occurred_at >= t))
            .filter(|r| f.to.is_none_or(|t| r.occurred_at < t))
            .filter(|r| query.after.is_none_or(|after| r.id < after))
            .cloned()
            .collect();
        records.sort_by_key(|r| Reverse(r.id));
        let (records, has_next_page) = page_of(records.into_iter(), query.first);
        Ok(AuditPage { records, has_next_page })
    }
}
