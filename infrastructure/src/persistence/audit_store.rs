//! The `AuditLog` port: records of calls that changed nothing (refused or failed), each in its
//! own write transaction, and the tenant's newest-first pages of the whole trail. Records of
//! successful changes are written by `OrderTx::append_audit` instead, with the change.

use application::ports::{AuditLog, AuditPage, AuditQuery, AuditRecord, StoreError};
use async_trait::async_trait;
use domain::TenantId;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Select,
};

use super::{
    entities::audit_log,
    errors::store_error,
    mapping,
    order_store::end_read,
    scope::{Scope, begin_read, begin_write},
};

/// A tenant's records, or the platform's own (whose rows no tenant scope admits).
fn scope_of(tenant: Option<&TenantId>) -> Scope<'_> {
    tenant.map_or(Scope::Platform, |t| Scope::Tenant(t.as_str()))
}

/// Largest page served; a bigger `first` gets this many with `has_next_page` set.
pub(super) const MAX_PAGE: u64 = 500;

pub(super) struct SeaAuditLog {
    pub(super) reader: DatabaseConnection,
    pub(super) writer: DatabaseConnection,
    /// Keeps the database's background work going while this log is in use.
    pub(super) _alive: std::sync::Arc<()>,
}

#[async_trait]
impl AuditLog for SeaAuditLog {
    /// Goes through the write pool like every other write: on SQLite its single connection, so
    /// the record queues behind open transactions instead of failing with SQLITE_BUSY. A caller
    /// must therefore not hold an open `OrderTx` of the same database while it waits for this.
    async fn record(&self, record: &AuditRecord) -> Result<(), StoreError> {
        let row = mapping::audit_row(record)?.into_active_model();
        let tx = begin_write(&self.writer, scope_of(record.tenant_id.as_ref())).await?;
        audit_log::Entity::insert(row).exec_without_returning(&tx).await.map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn query(&self, tenant: Option<&TenantId>, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let tx = begin_read(&self.reader, scope_of(tenant)).await?;
        let rows = page(tenant, query).all(&tx).await.map_err(store_error)?;
        let mut rows = end_read(tx, rows).await?;
        let wanted = usize::try_from(query.first.min(MAX_PAGE)).unwrap_or(usize::MAX);
        let has_next_page = rows.len() > wanted;
        rows.truncate(wanted);
        let records = rows.into_iter().map(mapping::restore_audit).collect::<Result<_, _>>()?;
        Ok(AuditPage { records, has_next_page })
    }
}

/// Newest first: ids are UUIDv7, so descending id order is descending time order and `after` is
/// a stable keyset cursor. `from` is inclusive, `to` exclusive. One row more than the page
/// tells whether another page follows.
fn page(tenant: Option<&TenantId>, query: &AuditQuery) -> Select<audit_log::Entity> {
    use audit_log::Column as A;
    let f = &query.filter;
    audit_log::Entity::find()
        .filter(A::TenantId.eq(mapping::audit_scope(tenant)))
        .apply_if(f.order_id.as_deref(), |q, id| q.filter(A::OrderId.eq(id)))
        .apply_if(f.actor.as_deref(), |q, actor| q.filter(A::Actor.eq(actor)))
        .apply_if(f.action.as_deref(), |q, action| q.filter(A::Action.eq(action)))
        .apply_if(f.from, |q, t| q.filter(A::OccurredAt.gte(t)))
        .apply_if(f.to, |q, t| q.filter(A::OccurredAt.lt(t)))
        .apply_if(query.after, |q, after| q.filter(A::Id.lt(after.to_string())))
        .order_by_desc(A::Id)
        .limit(query.first.min(MAX_PAGE) + 1)
}
