//! Provider operations: plans and tenants as the SaaS provider's administrators see them.

use std::sync::Arc;

use domain::TenantId;
use serde::Serialize;

use crate::{
    AppError, ErrorCode, ProviderAdmin,
    audit_trail::{AuditDraft, audited_config_edit},
    paging::page_size,
    ports::{
        AuditLog, Clock, ConfigEdit, ConfigEditError, ConfigEditor, IdGenerator, IntegrationsChange, IntegrationsOwner,
        IntegrationsView, Patch, PlanChange, PlanView, ProviderDirectory, TenantChange, TenantStatus, TenantView,
        redact_config_secrets,
    },
};

pub struct Platform {
    directory: Arc<dyn ProviderDirectory>,
    editor: Arc<dyn ConfigEditor>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

/// The inbound webhooks a tenant can have (SPEC.md section 5).
pub const TENANT_WEBHOOKS: &[&str] = &["add_order", "shipment_tracker"];

#[derive(Debug, Clone)]
pub struct TenantPage {
    pub tenants: Vec<TenantView>,
    pub has_next_page: bool,
}

/// Provider operations need the provider IdP's admin role, which carries `platform:admin`.
fn require_admin(admin: &ProviderAdmin) -> Result<(), AppError> {
    if admin.is_admin {
        Ok(())
    } else {
        Err(AppError::new(ErrorCode::Forbidden, "provider operations need the provider's admin role (platform:admin)"))
    }
}

/// An audited provider call's target tenant, when the input names a valid one: a malformed id
/// cannot name a trail, so its refusal goes to the platform's own.
fn trail_of(id: &str) -> Option<TenantId> {
    TenantId::new(id).ok()
}

/// The editor reports a missing tenant without knowing which input field named it.
fn missing_tenant_at(field: &'static str) -> impl FnOnce(ConfigEditError) -> AppError {
    move |e| {
        let e = AppError::from(e);
        if e.code == ErrorCode::NotFound { e.with_field(&[field]) } else { e }
    }
}

fn tenant_id(id: &str) -> Result<TenantId, AppError> {
    TenantId::new(id).map_err(|e| AppError::from(e).under(&["id"]))
}

impl Platform {
    pub fn new(
        directory: Arc<dyn ProviderDirectory>,
        editor: Arc<dyn ConfigEditor>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self { directory, editor, audit, clock, ids }
    }

    /// Runs one audited provider operation: the record commits with the change, or is written
    /// on its own with the refusal.
    async fn audited<T, F, Fut>(&self, draft: AuditDraft, admin: &ProviderAdmin, op: F) -> Result<T, AppError>
    where
        F: FnOnce(ConfigEdit) -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        audited_config_edit(&*self.audit, &*self.clock, &*self.ids, draft, require_admin(admin), op).await
    }

    pub async fn upsert_plan(&self, admin: &ProviderAdmin, change: PlanChange) -> Result<PlanView, AppError> {
        let mut draft = AuditDraft::provider(admin, None, "upsertPlan", &change);
        draft.target(&change.name);
        self.audited(draft, admin, |edit| async move { Ok(self.editor.upsert_plan(change, edit).await?) }).await
    }

    pub async fn upsert_tenant(&self, admin: &ProviderAdmin, change: TenantChange) -> Result<TenantView, AppError> {
        let mut draft = AuditDraft::provider(admin, trail_of(&change.id), "upsertTenant", &change);
        draft.target(&change.id);
        self.audited(draft, admin, |edit| async move {
            tenant_id(&change.id)?;
            Ok(self.editor.upsert_tenant(change, edit).await?)
        })
        .await
    }

    pub async fn set_tenant_status(
        &self,
        admin: &ProviderAdmin,
        id: &str,
        status: TenantStatus,
    ) -> Result<TenantView, AppError> {
        #[derive(Serialize)]
        struct Input<'a> {
            id: &'a str,
            status: TenantStatus,
        }
        let mut draft = AuditDraft::provider(admin, trail_of(id), "setTenantStatus", &Input { id, status });
        draft.target(id);
        self.audited(draft, admin, |edit| async move {
            let tenant = tenant_id(id)?;
            self.editor.set_tenant_status(&tenant, status, edit).await.map_err(missing_tenant_at("id"))
        })
        .await
    }

    /// The new secret is in the answer and nowhere else: not in the audit record, not in a log.
    pub async fn rotate_webhook_secret(
        &self,
        admin: &ProviderAdmin,
        tenant: &str,
        webhook: &str,
    ) -> Result<String, AppError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Input<'a> {
            tenant_id: &'a str,
            webhook: &'a str,
        }
        let mut draft =
            AuditDraft::provider(admin, trail_of(tenant), "rotateWebhookSecret", &Input { tenant_id: tenant, webhook });
        draft.target(tenant);
        self.audited(draft, admin, |edit| async move {
            let id = TenantId::new(tenant).map_err(|e| AppError::from(e).under(&["tenantId"]))?;
            if !TENANT_WEBHOOKS.contains(&webhook) {
                return Err(AppError::validation(
                    &["webhook"],
                    format!("unknown webhook '{webhook}'; expected one of {}", TENANT_WEBHOOKS.join(", ")),
                ));
            }
            self.editor.rotate_webhook_secret(&id, webhook, edit).await.map_err(missing_tenant_at("tenantId"))
        })
        .await
    }

    /// Sets a tenant's (or, with no tenant, the provider's own) inbound webhooks and carrier
    /// API. The audit record holds the settings with every secret replaced by `(redacted)`.
    pub async fn set_integrations(
        &self,
        admin: &ProviderAdmin,
        tenant: Option<&str>,
        change: IntegrationsChange,
    ) -> Result<IntegrationsView, AppError> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Input<'a> {
            tenant_id: Option<&'a str>,
            webhooks: serde_json::Map<String, serde_json::Value>,
            create_shipment_api: Option<serde_json::Value>,
        }
        let input = Input {
            tenant_id: tenant,
            webhooks: change
                .webhooks
                .iter()
                .map(|(name, settings)| (name.clone(), settings.as_ref().map_or(serde_json::Value::Null, redacted)))
                .collect(),
            create_shipment_api: match &change.create_shipment_api {
                Patch::Keep => None,
                Patch::Clear => Some(serde_json::Value::Null),
                Patch::Set(settings) => Some(redacted(settings)),
            },
        };
        let mut draft = AuditDraft::provider(admin, tenant.and_then(trail_of), "setIntegrations", &input);
        if let Some(tenant) = tenant {
            draft.target(tenant);
        }
        self.audited(draft, admin, |edit| async move {
            let allowed: &[&str] = if tenant.is_some() { TENANT_WEBHOOKS } else { &["shipment_tracker"] };
            for (name, settings) in &change.webhooks {
                if !allowed.contains(&name.as_str()) {
                    return Err(AppError::validation(
                        &["webhooks", name],
                        format!("unknown webhook '{name}'; expected one of {}", allowed.join(", ")),
                    ));
                }
                if settings.as_ref().is_some_and(|s| !s.is_object()) {
                    return Err(AppError::validation(
                        &["webhooks", name],
                        "a webhook's settings are an object, or null to remove it",
                    ));
                }
            }
            match (&change.create_shipment_api, tenant) {
                (Patch::Set(settings), _) if !settings.is_object() => {
                    return Err(AppError::validation(
                        &["createShipmentApi"],
                        "the carrier API's settings are an object, or null to remove it",
                    ));
                }
                (Patch::Set(_) | Patch::Clear, None) => {
                    return Err(AppError::validation(
                        &["createShipmentApi"],
                        "the provider has no carrier API of its own; name a tenant",
                    ));
                }
                _ => {}
            }
            let id =
                tenant.map(|t| TenantId::new(t).map_err(|e| AppError::from(e).under(&["tenantId"]))).transpose()?;
            let owner = match &id {
                Some(id) => IntegrationsOwner::Tenant(id),
                None => IntegrationsOwner::Provider,
            };
            self.editor.set_integrations(owner, change, edit).await.map_err(missing_tenant_at("tenantId"))
        })
        .await
    }

    pub async fn plans(&self, admin: &ProviderAdmin) -> Result<Vec<PlanView>, AppError> {
        require_admin(admin)?;
        Ok(self.directory.plans().await?)
    }

    /// Tenants by id; `after` is the id of the last tenant of the previous page.
    pub async fn tenants(
        &self,
        admin: &ProviderAdmin,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Result<TenantPage, AppError> {
        require_admin(admin)?;
        let first = page_size(first)? as usize;
        let mut tenants: Vec<TenantView> =
            self.directory.tenants().await?.into_iter().filter(|t| after.is_none_or(|a| t.id.as_str() > a)).collect();
        let has_next_page = tenants.len() > first;
        tenants.truncate(first);
        Ok(TenantPage { tenants, has_next_page })
    }

    pub async fn tenant(&self, admin: &ProviderAdmin, id: &str) -> Result<Option<TenantView>, AppError> {
        require_admin(admin)?;
        Ok(self.directory.tenant(id).await?)
    }
}

/// Settings as an audit record may show them: every secret's value replaced.
fn redacted(settings: &serde_json::Value) -> serde_json::Value {
    let mut shown = settings.clone();
    redact_config_secrets(&mut shown, "(redacted)");
    shown
}
