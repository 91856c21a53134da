//! `auditLog`: the tenant's trail of state-changing calls, for callers with `audit:read`.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::{
    AppError, Permission, Principal,
    paging::{cursor, page_size},
    ports::{AuditFilter, AuditLog, AuditPage, AuditQuery, TenantDirectory},
    session::authorize,
};

#[derive(Debug, Clone, Default)]
pub struct AuditLogFilter {
    pub order_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditLogQuery {
    pub first: Option<i64>,
    pub after: Option<String>,
    pub filter: AuditLogFilter,
}

pub struct AuditTrail {
    tenants: Arc<dyn TenantDirectory>,
    log: Arc<dyn AuditLog>,
}

impl AuditTrail {
    pub fn new(tenants: Arc<dyn TenantDirectory>, log: Arc<dyn AuditLog>) -> Self {
        Self { tenants, log }
    }

    pub async fn audit_log(&self, p: &Principal, query: AuditLogQuery) -> Result<AuditPage, AppError> {
        authorize(self.tenants.as_ref(), p, Permission::AuditRead).await?;
        let first = page_size(query.first)?;
        let after = cursor(query.after.as_deref())?;
        let f = query.filter;
        if let (Some(from), Some(to)) = (f.from, f.to)
            && from >= to
        {
            return Err(AppError::validation(&["filter", "to"], "to must be after from"));
        }
        if first == 0 {
            return Ok(AuditPage { records: Vec::new(), has_next_page: false });
        }
        let filter = AuditFilter { order_id: f.order_id, actor: f.actor, action: f.action, from: f.from, to: f.to };
        Ok(self.log.query(&p.tenant_id, &AuditQuery { filter, first, after }).await?)
    }
}
