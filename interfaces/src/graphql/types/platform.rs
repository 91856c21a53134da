//! What provider administrators see of plans and tenants. No secret has a field here.

use application::ports::{IdpView, PlanView, TenantView};
use async_graphql::{Enum, ID, SimpleObject};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "application::ports::TenantStatus", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum TenantStatus {
    Active,
    Suspended,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct PlanLimits {
    pub orders_per_month: Option<u64>,
    pub requests_per_minute: Option<u64>,
    pub max_query_complexity: Option<u64>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Plan {
    pub name: String,
    pub permissions: Vec<String>,
    pub limits: PlanLimits,
    /// Pass as `expectedVersion` to change the plan.
    pub version: i64,
}

impl From<PlanView> for Plan {
    fn from(p: PlanView) -> Self {
        Plan {
            name: p.name,
            permissions: p.permissions,
            limits: PlanLimits {
                orders_per_month: p.orders_per_month,
                requests_per_minute: p.requests_per_minute,
                max_query_complexity: p.max_query_complexity,
            },
            version: p.version,
        }
    }
}

/// A tenant's identity provider. Keys and secrets are reported as configured or not, never shown.
#[derive(SimpleObject, Clone, Debug)]
pub struct Idp {
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

/// A custom domain of a tenant; only a verified one addresses it.
#[derive(SimpleObject, Clone, Debug)]
pub struct TenantDomain {
    pub domain: String,
    pub verified: bool,
}

impl From<IdpView> for Idp {
    fn from(i: IdpView) -> Self {
        Idp {
            issuer: i.issuer,
            audience: i.audience,
            algorithms: i.algorithms,
            jwks_uri: i.jwks_uri,
            has_public_key_pem: i.has_public_key_pem,
            has_hs256_secret: i.has_hs256_secret,
            tenant_claim: i.tenant_claim,
            roles_claim: i.roles_claim,
            vendor_claim: i.vendor_claim,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Tenant {
    pub id: ID,
    pub plan: String,
    pub status: TenantStatus,
    pub idp: Idp,
    pub domains: Vec<TenantDomain>,
    /// Names of the inbound webhooks configured.
    pub webhooks: Vec<String>,
    /// Pass as `expectedVersion` to change the tenant.
    pub version: i64,
}

impl From<TenantView> for Tenant {
    fn from(t: TenantView) -> Self {
        Tenant {
            id: ID(t.id),
            plan: t.plan,
            status: t.status.into(),
            idp: t.idp.into(),
            domains: t.domains.into_iter().map(|d| TenantDomain { domain: d.domain, verified: d.verified }).collect(),
            webhooks: t.webhooks,
            version: t.version,
        }
    }
}
