use std::sync::Arc;

use async_trait::async_trait;
use domain::TenantId;

use super::StoreError;
use crate::access::AccessPolicy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TenantStatus {
    Active,
    Suspended,
}

/// The tenant's own operational settings (TenantConfig), with the spec's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    pub auto_confirm_orders: bool,
    /// TenantConfig `restocking_fee_percent` as written (e.g. `"10"`); none means no fee.
    pub restocking_fee_percent: Option<String>,
    /// TenantConfig `max_refund_amount` as written (e.g. `"500.00"`), read in each order's
    /// currency when a refund is computed; none means no such cap.
    pub max_refund_amount: Option<String>,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self { auto_confirm_orders: true, restocking_fee_percent: None, max_refund_amount: None }
    }
}

/// Quotas of the tenant's plan; `None` is unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanLimits {
    pub orders_per_month: Option<u64>,
    /// GraphQL requests per tenant per minute (RATE_LIMITED beyond).
    pub requests_per_minute: Option<u64>,
    /// Highest complexity of one GraphQL query (QUERY_TOO_COMPLEX beyond).
    pub max_query_complexity: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantProfile {
    pub id: TenantId,
    pub plan: String,
    pub status: TenantStatus,
    pub settings: TenantSettings,
    pub access: AccessPolicy,
    pub limits: PlanLimits,
}

/// Tenants as currently configured. Profiles are shared: looking one up allocates nothing.
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    async fn tenant(&self, id: &TenantId) -> Result<Option<Arc<TenantProfile>>, StoreError>;
}

/// Which tenant a request's address names (a verified custom domain of the tenant, or
/// `{tenantId}.{platform_domain}`). Called on every request, so it answers from memory: an
/// index built once per config version.
pub trait TenantAddresses: Send + Sync {
    /// The tenant `host` (a `Host` header's value) names, if any.
    fn tenant_of_host(&self, host: &str) -> Option<TenantId>;
}
