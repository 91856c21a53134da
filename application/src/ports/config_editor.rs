//! Changes to the provider's and the tenants' configuration, as typed edits. The adapter merges
//! an edit into the current document, validates the whole configuration it would produce, and
//! appends the new version together with the call's audit record; the running process (and,
//! by polling, every other instance) serves the new version from the next request on.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::TenantId;
use serde::{Serialize, Serializer};

use super::{AuditRecord, PlanView, StoreError, TenantStatus, TenantView};

/// Audit inputs show what was set and what was cleared; kept fields are left out.
impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Set(value) => value.serialize(serializer),
            Patch::Keep | Patch::Clear => serializer.serialize_none(),
        }
    }
}

/// A secret in an audit input: whether it was set, never its value.
fn redacted_secret<S: Serializer>(secret: &Patch<String>, serializer: S) -> Result<S::Ok, S::Error> {
    match secret {
        Patch::Set(_) => serializer.serialize_str("[REDACTED]"),
        Patch::Keep | Patch::Clear => serializer.serialize_none(),
    }
}

/// A field of an upsert: left out keeps the stored value, `Clear` removes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T> Patch<T> {
    pub fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(value) => Patch::Set(f(value)),
        }
    }

    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Keep => current,
            Patch::Clear => None,
            Patch::Set(value) => Some(value),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanLimitsChange {
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub orders_per_month: Patch<u64>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub requests_per_minute: Patch<u64>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub max_query_complexity: Patch<u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanChange {
    pub name: String,
    pub permissions: Option<Vec<String>>,
    pub limits: PlanLimitsChange,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdpChange {
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub issuer: Patch<String>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub audience: Patch<String>,
    pub algorithms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub jwks_uri: Patch<String>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub public_key_pem: Patch<String>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub tenant_claim: Patch<String>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub roles_claim: Patch<String>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub vendor_claim: Patch<String>,
}

/// One custom domain of a tenant, as the provider sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainSetting {
    pub domain: String,
    pub verified: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantChange {
    pub id: String,
    pub plan: Option<String>,
    pub status: Option<TenantStatus>,
    /// Required when the tenant is new.
    pub idp: Option<IdpChange>,
    /// The whole list of custom domains; `None` keeps the stored one.
    pub domains: Option<Vec<DomainSetting>>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundWebhookChange {
    pub url: String,
    /// `Keep` keeps the stored secret (secrets are write-only: a client cannot read it back).
    #[serde(serialize_with = "redacted_secret", skip_serializing_if = "Patch::is_keep")]
    pub secret: Patch<String>,
    pub events: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantConfigChange {
    /// Decimal text, e.g. `"10"` or `"12.5"`.
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub restocking_fee_percent: Patch<String>,
    /// Decimal text in the order's currency, e.g. `"500.00"`.
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub max_refund_amount: Patch<String>,
    pub auto_confirm_orders: Option<bool>,
    /// `Clear` returns to the spec's default roles.
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub roles: Patch<Vec<(String, Vec<String>)>>,
    #[serde(skip_serializing_if = "Patch::is_keep")]
    pub outbound_webhook: Patch<OutboundWebhookChange>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundWebhookView {
    pub url: String,
    pub events: Vec<String>,
    pub has_secret: bool,
}

/// A tenant's own settings as the tenant admin sees them: never a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantConfigView {
    pub restocking_fee_percent: Option<String>,
    pub max_refund_amount: Option<String>,
    pub auto_confirm_orders: bool,
    /// `None`: the spec's default roles apply.
    pub roles: Option<Vec<(String, Vec<String>)>>,
    pub outbound_webhook: Option<OutboundWebhookView>,
    /// 0 until the first version is stored.
    pub version: i64,
    pub changed_by: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
}

/// One entry of a document's history: who, when, and what changed (secrets redacted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigChangeView {
    pub version: i64,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
    pub summary: String,
}

/// Whose integration settings an edit changes.
#[derive(Debug, Clone, Copy)]
pub enum IntegrationsOwner<'a> {
    Tenant(&'a TenantId),
    /// The provider's own section (its `shipment_tracker` route).
    Provider,
}

/// A provider's change of the integration settings: inbound webhooks and the carrier API, each
/// in the SaaS config file's form. A secret left out of a given entry keeps the stored one.
#[derive(Debug, Clone, Default)]
pub struct IntegrationsChange {
    /// By webhook name: the settings, or `None` to remove the webhook; names not listed stay.
    pub webhooks: std::collections::BTreeMap<String, Option<serde_json::Value>>,
    /// The tenant's `create_shipment_api`.
    pub create_shipment_api: Patch<serde_json::Value>,
    pub expected_version: Option<i64>,
}

/// The integration settings as stored after an edit, secrets left out.
#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationsView {
    /// `{"webhooks": {...}, "create_shipment_api": {...}}`; each secret is replaced by whether
    /// one is set (`"shared_secret_set": true`).
    pub settings: serde_json::Value,
    pub version: i64,
}

/// Who is changing the configuration, and the audit record that commits with the change.
#[derive(Debug, Clone)]
pub struct ConfigEdit {
    pub changed_by: String,
    pub audit: AuditRecord,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigEditError {
    /// The edit would make the configuration invalid; `field` is the input path.
    #[error("{message}")]
    Invalid { field: Vec<String>, message: String },
    #[error("{0}")]
    NotFound(String),
    /// `expectedVersion` is stale.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[async_trait]
pub trait ConfigEditor: Send + Sync {
    async fn upsert_plan(&self, change: PlanChange, edit: ConfigEdit) -> Result<PlanView, ConfigEditError>;
    async fn upsert_tenant(&self, change: TenantChange, edit: ConfigEdit) -> Result<TenantView, ConfigEditError>;
    /// Suspends or reactivates an existing tenant (`NotFound` when there is none).
    async fn set_tenant_status(
        &self,
        tenant: &TenantId,
        status: TenantStatus,
        edit: ConfigEdit,
    ) -> Result<TenantView, ConfigEditError>;
    /// Replaces the webhook's shared secret with a fresh random one (creating the webhook entry
    /// with defaults when the tenant has none of that name) and returns it: the only time it is
    /// ever shown.
    async fn rotate_webhook_secret(
        &self,
        tenant: &TenantId,
        webhook: &str,
        edit: ConfigEdit,
    ) -> Result<String, ConfigEditError>;
    /// Sets, replaces or removes inbound webhooks and the carrier API; JMESPath and every other
    /// setting are checked like the config file's (`Invalid` names the input field).
    async fn set_integrations(
        &self,
        owner: IntegrationsOwner<'_>,
        change: IntegrationsChange,
        edit: ConfigEdit,
    ) -> Result<IntegrationsView, ConfigEditError>;
    async fn tenant_config(&self, tenant: &TenantId) -> Result<TenantConfigView, StoreError>;
    async fn update_tenant_config(
        &self,
        tenant: &TenantId,
        change: TenantConfigChange,
        edit: ConfigEdit,
    ) -> Result<TenantConfigView, ConfigEditError>;
    /// Newest first; `before` is a version number.
    async fn tenant_config_history(
        &self,
        tenant: &TenantId,
        first: u64,
        before: Option<i64>,
    ) -> Result<Vec<ConfigChangeView>, StoreError>;
}
