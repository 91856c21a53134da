//! Inputs of the configuration operations. In upserts and updates an omitted field keeps its
//! value and an explicit `null` clears it (where clearing means something).

use application::ports::{
    DomainSetting, IdpChange, IntegrationsChange, OutboundWebhookChange, Patch, PlanChange, PlanLimitsChange,
    TenantChange, TenantConfigChange,
};
use async_graphql::{ID, InputObject, Json, MaybeUndefined};

use crate::graphql::types::TenantStatus;

fn patch<T>(value: MaybeUndefined<T>) -> Patch<T> {
    match value {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(v) => Patch::Set(v),
    }
}

/// A limit set to `null` is no limit.
#[derive(InputObject, Clone, Debug, Default)]
pub struct PlanLimitsInput {
    pub orders_per_month: MaybeUndefined<u64>,
    pub requests_per_minute: MaybeUndefined<u64>,
    pub max_query_complexity: MaybeUndefined<u64>,
}

#[derive(InputObject, Clone, Debug)]
pub struct UpsertPlanInput {
    pub name: String,
    /// Normative permission names (SPEC.md section 3); `platform:admin` is never a plan's.
    pub permissions: Option<Vec<String>>,
    pub limits: Option<PlanLimitsInput>,
    /// The plan's current version (0 to require that it does not exist yet); stale → CONFLICT.
    pub expected_version: Option<i64>,
}

impl From<UpsertPlanInput> for PlanChange {
    fn from(i: UpsertPlanInput) -> Self {
        let limits = i.limits.unwrap_or_default();
        PlanChange {
            name: i.name,
            permissions: i.permissions,
            limits: PlanLimitsChange {
                orders_per_month: patch(limits.orders_per_month),
                requests_per_minute: patch(limits.requests_per_minute),
                max_query_complexity: patch(limits.max_query_complexity),
            },
            expected_version: i.expected_version,
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct IdpInput {
    pub issuer: MaybeUndefined<String>,
    pub audience: MaybeUndefined<String>,
    pub algorithms: Option<Vec<String>>,
    pub jwks_uri: MaybeUndefined<String>,
    pub public_key_pem: MaybeUndefined<String>,
    pub tenant_claim: MaybeUndefined<String>,
    pub roles_claim: MaybeUndefined<String>,
    /// The claim naming the vendor a caller acts for (e.g. `vendor_id`); a token carrying it sees
    /// only that vendor's lines.
    pub vendor_claim: MaybeUndefined<String>,
}

/// A custom domain of a tenant (`orders.acme.example`); only a verified one addresses it.
#[derive(InputObject, Clone, Debug)]
pub struct DomainInput {
    pub domain: String,
    #[graphql(default = false)]
    pub verified: bool,
}

impl From<IdpInput> for IdpChange {
    fn from(i: IdpInput) -> Self {
        IdpChange {
            issuer: patch(i.issuer),
            audience: patch(i.audience),
            algorithms: i.algorithms,
            jwks_uri: patch(i.jwks_uri),
            public_key_pem: patch(i.public_key_pem),
            tenant_claim: patch(i.tenant_claim),
            roles_claim: patch(i.roles_claim),
            vendor_claim: patch(i.vendor_claim),
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct UpsertTenantInput {
    pub id: ID,
    /// Required for a new tenant.
    pub plan: Option<String>,
    pub status: Option<TenantStatus>,
    /// Required for a new tenant.
    pub idp: Option<IdpInput>,
    /// The tenant's custom domains, the whole list (omitted: kept as they are).
    pub domains: Option<Vec<DomainInput>>,
    /// The tenant's current version (0 to require that it does not exist yet); stale → CONFLICT.
    pub expected_version: Option<i64>,
}

impl From<UpsertTenantInput> for TenantChange {
    fn from(i: UpsertTenantInput) -> Self {
        TenantChange {
            id: i.id.0,
            plan: i.plan,
            status: i.status.map(Into::into),
            idp: i.idp.map(Into::into),
            domains: i.domains.map(|list| {
                list.into_iter().map(|d| DomainSetting { domain: d.domain, verified: d.verified }).collect()
            }),
            expected_version: i.expected_version,
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct SetTenantStatusInput {
    pub id: ID,
    pub status: TenantStatus,
}

#[derive(InputObject, Clone, Debug)]
pub struct RotateWebhookSecretInput {
    pub tenant_id: ID,
    /// `add_order` or `shipment_tracker`.
    pub webhook: String,
}

#[derive(InputObject, Clone, Debug)]
pub struct RoleGrantInput {
    pub role: String,
    /// Permission names of the plan, or `*` for everything the plan has.
    pub permissions: Vec<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct OutboundWebhookInput {
    /// https (plain http only for localhost).
    pub url: String,
    /// Write-only. Omitted keeps the stored secret.
    pub secret: MaybeUndefined<String>,
    /// Event type patterns, e.g. `order.*`.
    pub events: Vec<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct UpdateTenantConfigInput {
    /// Percent as a decimal string, e.g. `"10"`; `null` removes the fee.
    pub restocking_fee_percent: MaybeUndefined<String>,
    /// Decimal string in the order's currency, e.g. `"500.00"`; `null` removes the cap.
    pub max_refund_amount: MaybeUndefined<String>,
    pub auto_confirm_orders: Option<bool>,
    /// `null` returns to the default roles (vendor, tenant_admin).
    pub roles: MaybeUndefined<Vec<RoleGrantInput>>,
    /// `null` removes the outbound webhook.
    pub outbound_webhook: MaybeUndefined<OutboundWebhookInput>,
    /// The config's current version (0 before the first change); stale → CONFLICT.
    pub expected_version: Option<i64>,
}

impl From<UpdateTenantConfigInput> for TenantConfigChange {
    fn from(i: UpdateTenantConfigInput) -> Self {
        TenantConfigChange {
            restocking_fee_percent: patch(i.restocking_fee_percent),
            max_refund_amount: patch(i.max_refund_amount),
            auto_confirm_orders: i.auto_confirm_orders,
            roles: patch(i.roles).map(|roles| roles.into_iter().map(|g| (g.role, g.permissions)).collect()),
            outbound_webhook: patch(i.outbound_webhook).map(|w| OutboundWebhookChange {
                url: w.url,
                secret: patch(w.secret),
                events: w.events,
            }),
            expected_version: i.expected_version,
        }
    }
}

/// A provider's change of a tenant's integrations (or, without `tenantId`, of the provider's
/// own `shipment_tracker`). Settings are written as in the SaaS config file (snake_case keys);
/// secrets are write-only: a setting that leaves out its `shared_secret` or `api_key` keeps the
/// stored one, and no answer shows them.
#[derive(InputObject, Clone, Debug)]
pub struct SetIntegrationsInput {
    pub tenant_id: Option<ID>,
    /// Inbound webhooks by name (`add_order`, `shipment_tracker`): each value replaces the
    /// webhook's settings, `null` removes the webhook; names left out stay as they are.
    pub webhooks: Option<Json<serde_json::Map<String, serde_json::Value>>>,
    /// The tenant's carrier API (`provider`, `api_key`, `endpoint`, `service`, `from_address`);
    /// `null` removes it, omitted keeps it.
    pub create_shipment_api: MaybeUndefined<Json<serde_json::Value>>,
    /// The document's current version (the tenant's, or the provider section's); stale → CONFLICT.
    pub expected_version: Option<i64>,
}

impl From<SetIntegrationsInput> for IntegrationsChange {
    fn from(input: SetIntegrationsInput) -> Self {
        let webhooks = input
            .webhooks
            .map(|Json(map)| {
                map.into_iter().map(|(name, settings)| (name, Some(settings).filter(|s| !s.is_null()))).collect()
            })
            .unwrap_or_default();
        IntegrationsChange {
            webhooks,
            create_shipment_api: patch(input.create_shipment_api).map(|Json(settings)| settings),
            expected_version: input.expected_version,
        }
    }
}
