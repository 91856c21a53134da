//! `auditLog`: the tenant's trail of state-changing calls, for callers with `audit:read`.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use domain::TenantId;

use crate::{
    AppError, Caller, ErrorCode, Permission, Principal, ProviderAdmin,
    audit_trail::{AuditDraft, settle},
    paging::{cursor, page_size},
    ports::{AuditFilter, AuditLog, AuditPage, AuditQuery, Clock, IdGenerator, TenantDirectory},
    session::authorize,
};

#[derive(Debug, Clone, Default)]
pub struct AuditLogFilter {
    pub order_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Provider administrators name the tenant whose trail they read (`None`: the platform's
    /// own); a tenant user may only name its own tenant.
    pub tenant_id: Option<String>,
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
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl AuditTrail {
    pub fn new(
        tenants: Arc<dyn TenantDirectory>,
        log: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self { tenants, log, clock, ids }
    }

    /// A mutation refused before any use case ran, because the caller is of the wrong kind (a
    /// tenant user calling a provider operation, or the reverse): recorded like any refusal, on
    /// the tenant's trail or the platform's. A failure to record is logged, not returned.
    pub async fn record_refused_call(&self, caller: &Caller, action: &str, code: ErrorCode) {
        let draft = AuditDraft::for_caller(caller, action.to_owned());
        let refusal = Err::<(), _>(AppError::new(code, "refused before the operation ran"));
        let _ = settle(&*self.log, &*self.clock, &*self.ids, draft, refusal).await;
    }

    pub async fn audit_log(&self, p: &Principal, query: AuditLogQuery) -> Result<AuditPage, AppError> {
        authorize(self.tenants.as_ref(), p, Permission::AuditRead).await?;
        if query.filter.tenant_id.as_deref().is_some_and(|t| t != p.tenant_id.as_str()) {
            return Err(AppError::new(ErrorCode::Forbidden, "a tenant reads its own audit trail only"));
        }
        self.page(Some(&p.tenant_id), query).await
    }

    /// The provider reads any tenant's trail, or the platform's own.
    pub async fn provider_audit_log(&self, admin: &ProviderAdmin, query: AuditLogQuery) -> Result<AuditPage, AppError> {
        if !admin.is_admin {
            return Err(AppError::new(ErrorCode::Forbidden, "the audit trail needs the provider's admin role"));
        }
        let tenant = match query.filter.tenant_id.as_deref() {
            Some(id) => Some(TenantId::new(id).map_err(|e| AppError::from(e).under(&["filter"]))?),
            None => None,
        };
        self.page(tenant.as_ref(), query).await
    }

    async fn page(&self, tenant: Option<&TenantId>, query: AuditLogQuery) -> Result<AuditPage, AppError> {
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
        Ok(self.log.query(tenant, &AuditQuery { filter, first, after }).await?)
    }
}
