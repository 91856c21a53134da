//! Configuration operations: the provider's plans and tenants, and the tenant's own settings.
//! Merged into the root query and mutation types (see `graphql::mod`).

use async_graphql::{Context, Json, Object, SimpleObject};

use crate::graphql::{
    config_inputs::{
        RotateWebhookSecretInput, SetIntegrationsInput, SetTenantStatusInput, UpdateTenantConfigInput, UpsertPlanInput,
        UpsertTenantInput,
    },
    context::{mutation_principal, mutation_provider_admin, principal, services},
    errors::{UserError, payload, query, respond},
    types::{Plan, Tenant, TenantConfig},
    visibility,
};

#[derive(SimpleObject, Default)]
pub struct PlanPayload {
    pub plan: Option<Plan>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct TenantPayload {
    pub tenant: Option<Tenant>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct RotateWebhookSecretPayload {
    /// The new shared secret. Shown this once: store it now, it cannot be read back.
    pub secret: Option<String>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct SetIntegrationsPayload {
    /// The settings as stored now, in the config file's form, every secret `[REDACTED]`:
    /// `{"webhooks": {...}, "create_shipment_api": {...}}`.
    pub integrations: Option<Json<serde_json::Value>>,
    /// The version of the document the change made (pass it as `expectedVersion` next time).
    pub version: Option<i64>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct TenantConfigPayload {
    pub tenant_config: Option<TenantConfig>,
    pub user_errors: Vec<UserError>,
}

payload!(PlanPayload, TenantPayload, RotateWebhookSecretPayload, SetIntegrationsPayload, TenantConfigPayload);

#[derive(Default)]
pub struct ConfigQuery;

#[Object(name = "ConfigQueries")]
impl ConfigQuery {
    /// The calling tenant's own settings, with their version history.
    #[graphql(visible = "visibility::config_read")]
    async fn tenant_config(&self, ctx: &Context<'_>) -> async_graphql::Result<TenantConfig> {
        query(services(ctx).tenant_configs.tenant_config(principal(ctx)?).await).map(TenantConfig::from)
    }
}

#[derive(Default)]
pub struct ConfigMutation;

#[Object(name = "ConfigMutations")]
impl ConfigMutation {
    /// Changes the calling tenant's settings; omitted fields keep their values.
    #[graphql(visible = "visibility::config_write")]
    async fn update_tenant_config(
        &self,
        ctx: &Context<'_>,
        input: UpdateTenantConfigInput,
    ) -> async_graphql::Result<TenantConfigPayload> {
        let r = services(ctx).tenant_configs.update(mutation_principal(ctx).await?, input.into()).await;
        respond(r, |c| TenantConfigPayload { tenant_config: Some(c.into()), user_errors: vec![] })
    }

    /// Provider: creates or changes a plan; omitted fields keep their values.
    #[graphql(visible = "visibility::provider_only")]
    async fn upsert_plan(&self, ctx: &Context<'_>, input: UpsertPlanInput) -> async_graphql::Result<PlanPayload> {
        let r = services(ctx).platform.upsert_plan(mutation_provider_admin(ctx).await?, input.into()).await;
        respond(r, |p| PlanPayload { plan: Some(p.into()), user_errors: vec![] })
    }

    /// Provider: creates or changes a tenant; omitted fields keep their values.
    #[graphql(visible = "visibility::provider_only")]
    async fn upsert_tenant(&self, ctx: &Context<'_>, input: UpsertTenantInput) -> async_graphql::Result<TenantPayload> {
        let r = services(ctx).platform.upsert_tenant(mutation_provider_admin(ctx).await?, input.into()).await;
        respond(r, |t| TenantPayload { tenant: Some(t.into()), user_errors: vec![] })
    }

    /// Provider: suspends or reactivates a tenant, from its next request on.
    #[graphql(visible = "visibility::provider_only")]
    async fn set_tenant_status(
        &self,
        ctx: &Context<'_>,
        input: SetTenantStatusInput,
    ) -> async_graphql::Result<TenantPayload> {
        let r = services(ctx)
            .platform
            .set_tenant_status(mutation_provider_admin(ctx).await?, &input.id, input.status.into())
            .await;
        respond(r, |t| TenantPayload { tenant: Some(t.into()), user_errors: vec![] })
    }

    /// Provider: replaces an inbound webhook's shared secret and shows the new one once.
    #[graphql(visible = "visibility::provider_only")]
    async fn rotate_webhook_secret(
        &self,
        ctx: &Context<'_>,
        input: RotateWebhookSecretInput,
    ) -> async_graphql::Result<RotateWebhookSecretPayload> {
        let r = services(ctx)
            .platform
            .rotate_webhook_secret(mutation_provider_admin(ctx).await?, &input.tenant_id, &input.webhook)
            .await;
        respond(r, |secret| RotateWebhookSecretPayload { secret: Some(secret), user_errors: vec![] })
    }

    /// Provider: sets a tenant's inbound webhooks and carrier API (or the provider's own
    /// `shipment_tracker`), checked like the config file (JMESPath compiled), versioned and
    /// audited with secrets redacted.
    #[graphql(visible = "visibility::provider_only")]
    async fn set_integrations(
        &self,
        ctx: &Context<'_>,
        input: SetIntegrationsInput,
    ) -> async_graphql::Result<SetIntegrationsPayload> {
        let tenant = input.tenant_id.as_ref().map(|id| id.as_str().to_owned());
        let r = services(ctx)
            .platform
            .set_integrations(mutation_provider_admin(ctx).await?, tenant.as_deref(), input.into())
            .await;
        respond(r, |view| SetIntegrationsPayload {
            integrations: Some(Json(view.settings)),
            version: Some(view.version),
            user_errors: vec![],
        })
    }
}
