//! What the provider's administrators see of plans and tenants. Views carry no secret: a secret
//! is only ever reported as configured or not.

use async_trait::async_trait;

use super::{StoreError, TenantStatus};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanView {
    pub name: String,
    pub permissions: Vec<String>,
    pub orders_per_month: Option<u64>,
    pub requests_per_minute: Option<u64>,
    pub max_query_complexity: Option<u64>,
    /// The plan document's stored version (0: not stored yet).
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpView {
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub algorithms: Vec<String>,
    pub jwks_uri: Option<String>,
    pub has_public_key_pem: bool,
    pub has_hs256_secret: bool,
    pub tenant_claim: String,
    pub roles_claim: String,
    pub vendor_claim: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantView {
    pub id: String,
    pub plan: String,
    pub status: TenantStatus,
    pub idp: IdpView,
    /// Custom domains; only verified ones address the tenant.
    pub domains: Vec<super::DomainSetting>,
    /// Names of the inbound webhooks configured (their secrets are never shown).
    pub webhooks: Vec<String>,
    /// The tenant document's stored version (0: not stored yet).
    pub version: i64,
}

#[async_trait]
pub trait ProviderDirectory: Send + Sync {
    /// Every plan, by name.
    async fn plans(&self) -> Result<Vec<PlanView>, StoreError>;
    /// Every tenant, by id.
    async fn tenants(&self) -> Result<Vec<TenantView>, StoreError>;
    async fn tenant(&self, id: &str) -> Result<Option<TenantView>, StoreError>;
}
