//! The provider's view of plans and tenants, built from the current config without a secret.

use application::ports::{ConfigKind, DomainSetting, IdpView, PlanView, ProviderDirectory, StoreError, TenantView};
use async_trait::async_trait;

use super::{
    ConfigCatalog,
    model::{IdpConfig, PlanConfig, TenantEntry},
};

fn idp_view(idp: &IdpConfig) -> IdpView {
    IdpView {
        issuer: idp.issuer.clone(),
        audience: idp.audience.clone(),
        algorithms: idp.algorithms.clone(),
        jwks_uri: idp.jwks_uri.clone(),
        has_public_key_pem: idp.public_key_pem.as_deref().is_some_and(|p| !p.trim().is_empty()),
        has_hs256_secret: idp.hs256_secret.as_ref().is_some_and(|s| !s.is_empty()),
        tenant_claim: idp.tenant_claim().to_owned(),
        roles_claim: idp.roles_claim().to_owned(),
        vendor_claim: idp.vendor_claim.clone(),
    }
}

pub(crate) fn plan_view(name: &str, plan: &PlanConfig, version: i64) -> PlanView {
    PlanView {
        name: name.to_owned(),
        permissions: plan.permissions.clone(),
        orders_per_month: plan.limits.orders_per_month,
        requests_per_minute: plan.limits.requests_per_minute,
        max_query_complexity: plan.limits.max_query_complexity,
        version,
    }
}

pub(crate) fn tenant_view(id: &str, tenant: &TenantEntry, version: i64) -> TenantView {
    TenantView {
        id: id.to_owned(),
        plan: tenant.plan.clone(),
        status: tenant.effective_status(),
        idp: idp_view(&tenant.idp),
        domains: tenant
            .domains
            .iter()
            .map(|d| DomainSetting { domain: d.domain.clone(), verified: d.verified })
            .collect(),
        webhooks: tenant.webhooks.keys().cloned().collect(),
        version,
    }
}

#[async_trait]
impl ProviderDirectory for ConfigCatalog {
    async fn plans(&self) -> Result<Vec<PlanView>, StoreError> {
        let config = self.current();
        Ok(config
            .plans
            .iter()
            .map(|(name, plan)| plan_view(name, plan, self.version_of(ConfigKind::Plan, name)))
            .collect())
    }

    async fn tenants(&self) -> Result<Vec<TenantView>, StoreError> {
        let config = self.current();
        Ok(config.tenants.iter().map(|(id, t)| tenant_view(id, t, self.version_of(ConfigKind::Tenant, id))).collect())
    }

    async fn tenant(&self, id: &str) -> Result<Option<TenantView>, StoreError> {
        let config = self.current();
        Ok(config.tenants.get(id).map(|t| tenant_view(id, t, self.version_of(ConfigKind::Tenant, id))))
    }
}
