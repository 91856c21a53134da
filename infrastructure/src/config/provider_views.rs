//! The provider's view of plans and tenants, built from the current config without a secret.

use application::ports::{IdpView, PlanView, ProviderDirectory, StoreError, TenantView};
use async_trait::async_trait;

use super::{ConfigCatalog, model::IdpConfig};

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
    }
}

#[async_trait]
impl ProviderDirectory for ConfigCatalog {
    async fn plans(&self) -> Result<Vec<PlanView>, StoreError> {
        let config = self.current();
        Ok(config
            .plans
            .iter()
            .map(|(name, plan)| PlanView {
                name: name.clone(),
                permissions: plan.permissions.clone(),
                orders_per_month: plan.limits.orders_per_month,
                requests_per_minute: plan.limits.requests_per_minute,
                max_query_complexity: plan.limits.max_query_complexity,
            })
            .collect())
    }

    async fn tenants(&self) -> Result<Vec<TenantView>, StoreError> {
        let config = self.current();
        Ok(config
            .tenants
            .iter()
            .map(|(id, t)| TenantView {
                id: id.clone(),
                plan: t.plan.clone(),
                status: t.effective_status(),
                idp: idp_view(&t.idp),
                webhooks: t.webhooks.keys().cloned().collect(),
            })
            .collect())
    }
}
