//! `tenantConfig` and `updateTenantConfig`: the tenant's own settings (SPEC.md section 3,
//! TenantConfig), read with `config:read`, changed with `config:write` under optimistic
//! concurrency, every version kept.

use std::sync::Arc;

use crate::{
    AppError, Permission, Principal,
    audit_trail::{AuditDraft, audited_config_edit},
    paging::page_size,
    ports::{
        AuditLog, Clock, ConfigChangeView, ConfigEditor, IdGenerator, TenantConfigChange, TenantConfigView,
        TenantDirectory,
    },
    session::authorize,
};

pub struct TenantConfigs {
    tenants: Arc<dyn TenantDirectory>,
    editor: Arc<dyn ConfigEditor>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl TenantConfigs {
    pub fn new(
        tenants: Arc<dyn TenantDirectory>,
        editor: Arc<dyn ConfigEditor>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self { tenants, editor, audit, clock, ids }
    }

    pub async fn tenant_config(&self, p: &Principal) -> Result<TenantConfigView, AppError> {
        authorize(&*self.tenants, p, Permission::ConfigRead).await?;
        Ok(self.editor.tenant_config(&p.tenant_id).await?)
    }

    /// Newest first; `before` is the version number of the last entry of the previous page.
    pub async fn history(
        &self,
        p: &Principal,
        first: Option<i64>,
        before: Option<i64>,
    ) -> Result<Vec<ConfigChangeView>, AppError> {
        authorize(&*self.tenants, p, Permission::ConfigRead).await?;
        let first = page_size(first)?;
        Ok(self.editor.tenant_config_history(&p.tenant_id, first, before).await?)
    }

    pub async fn update(&self, p: &Principal, change: TenantConfigChange) -> Result<TenantConfigView, AppError> {
        let mut draft = AuditDraft::new(p, "updateTenantConfig", &change);
        draft.target(&p.tenant_id);
        let authorized = authorize(&*self.tenants, p, Permission::ConfigWrite).await.map(|_| ());
        audited_config_edit(&*self.audit, &*self.clock, &*self.ids, draft, authorized, |edit| async move {
            Ok(self.editor.update_tenant_config(&p.tenant_id, change, edit).await?)
        })
        .await
    }
}
