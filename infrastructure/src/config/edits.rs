//! `ConfigEditor`: provider and tenant-admin edits merged onto the latest stored documents.
//! Omitted fields keep their values; the merged document must leave the whole config valid.

use application::ports::{
    ConfigChangeView, ConfigEdit, ConfigEditError, ConfigEditor, ConfigKind, IdpChange, IntegrationsChange,
    IntegrationsOwner, IntegrationsView, OutboundWebhookView, Patch, PlanChange, PlanView, StoreError, TenantChange,
    TenantConfigChange, TenantConfigView, TenantStatus, TenantView,
};
use async_trait::async_trait;
use base64::Engine;
use domain::TenantId;
use rand::RngCore;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use super::{
    integrations,
    model::{
        DecimalValue, DomainConfig, IdpConfig, OutboundWebhookConfig, PlanConfig, ProviderConfig, TenantConfig,
        TenantEntry, WebhookConfig,
    },
    provider_views::{plan_view, tenant_view},
    secret::Secret,
    service::ConfigService,
};

/// Standard Webhooks secrets: `whsec_` and 32 random bytes in base64.
const SECRET_PREFIX: &str = "whsec_";
const SECRET_BYTES: usize = 32;

fn parse<T: DeserializeOwned>(kind: ConfigKind, key: &str, document: &Value) -> Result<T, ConfigEditError> {
    serde_json::from_value(document.clone()).map_err(|e| {
        ConfigEditError::Store(StoreError::Internal(format!("stored {} {key} is unreadable: {e}", kind.as_str())))
    })
}

fn to_document(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn invalid(field: &[&str], message: impl Into<String>) -> ConfigEditError {
    ConfigEditError::Invalid { field: field.iter().map(|f| (*f).to_owned()).collect(), message: message.into() }
}

fn status_text(status: TenantStatus) -> &'static str {
    match status {
        TenantStatus::Active => "active",
        TenantStatus::Suspended => "suspended",
    }
}

fn merge_idp(idp: &mut IdpConfig, change: IdpChange) {
    idp.issuer = change.issuer.apply(idp.issuer.take());
    idp.audience = change.audience.apply(idp.audience.take());
    if let Some(algorithms) = change.algorithms {
        idp.algorithms = algorithms;
    }
    idp.jwks_uri = change.jwks_uri.apply(idp.jwks_uri.take());
    idp.public_key_pem = change.public_key_pem.apply(idp.public_key_pem.take());
    idp.tenant_claim = change.tenant_claim.apply(idp.tenant_claim.take());
    idp.roles_claim = change.roles_claim.apply(idp.roles_claim.take());
    idp.vendor_claim = change.vendor_claim.apply(idp.vendor_claim.take());
}

fn merge_plan(plan: &mut PlanConfig, change: &PlanChange) {
    if let Some(permissions) = &change.permissions {
        plan.permissions = permissions.clone();
    }
    let limits = &mut plan.limits;
    limits.orders_per_month = change.limits.orders_per_month.clone().apply(limits.orders_per_month);
    limits.requests_per_minute = change.limits.requests_per_minute.clone().apply(limits.requests_per_minute);
    limits.max_query_complexity = change.limits.max_query_complexity.clone().apply(limits.max_query_complexity);
}

fn merge_tenant(key: &str, before: Option<&Value>, change: &TenantChange) -> Result<TenantEntry, ConfigEditError> {
    let mut tenant: TenantEntry = match before {
        Some(document) => parse(ConfigKind::Tenant, key, document)?,
        None => {
            let plan = change.plan.clone().ok_or_else(|| invalid(&["plan"], "a new tenant needs a plan"))?;
            if change.idp.is_none() {
                return Err(invalid(&["idp"], "a new tenant needs an identity provider"));
            }
            TenantEntry {
                plan,
                status: status_text(TenantStatus::Active).to_owned(),
                idp: IdpConfig::default(),
                webhooks: Default::default(),
                create_shipment_api: None,
                domains: Vec::new(),
                tenant_config: None,
                unknown: Default::default(),
            }
        }
    };
    if let Some(plan) = &change.plan {
        tenant.plan = plan.clone();
    }
    if let Some(status) = change.status {
        tenant.status = status_text(status).to_owned();
    }
    if let Some(idp) = change.idp.clone() {
        merge_idp(&mut tenant.idp, idp);
    }
    if let Some(domains) = &change.domains {
        tenant.domains = domains
            .iter()
            .map(|d| DomainConfig {
                domain: d.domain.trim().to_ascii_lowercase(),
                verified: d.verified,
                unknown: Default::default(),
            })
            .collect();
    }
    Ok(tenant)
}

fn merge_tenant_config(settings: &mut TenantConfig, change: &TenantConfigChange) -> Result<(), ConfigEditError> {
    settings.restocking_fee_percent = change
        .restocking_fee_percent
        .clone()
        .apply(settings.restocking_fee_percent.take().map(|d| d.as_str().to_owned()))
        .map(DecimalValue::new);
    settings.max_refund_amount = change
        .max_refund_amount
        .clone()
        .apply(settings.max_refund_amount.take().map(|d| d.as_str().to_owned()))
        .map(DecimalValue::new);
    if let Some(auto) = change.auto_confirm_orders {
        settings.auto_confirm_orders = auto;
    }
    match &change.roles {
        Patch::Keep => {}
        Patch::Clear => settings.roles = None,
        Patch::Set(roles) => {
            let mut map = std::collections::BTreeMap::new();
            for (role, permissions) in roles {
                if map.insert(role.clone(), permissions.clone()).is_some() {
                    return Err(invalid(&["roles"], format!("role `{role}` is listed twice")));
                }
            }
            settings.roles = Some(map);
        }
    }
    match &change.outbound_webhook {
        Patch::Keep => {}
        Patch::Clear => settings.outbound_webhook = None,
        Patch::Set(webhook) => {
            let stored_secret = settings.outbound_webhook.take().and_then(|w| w.secret);
            let secret = match &webhook.secret {
                Patch::Keep => stored_secret,
                Patch::Clear => None,
                Patch::Set(secret) => {
                    signing_key_problem(secret)
                        .map_or(Ok(()), |problem| Err(invalid(&["outboundWebhook", "secret"], problem)))?;
                    Some(Secret::new(secret.clone()))
                }
            };
            settings.outbound_webhook = Some(OutboundWebhookConfig {
                url: webhook.url.clone(),
                secret,
                events: webhook.events.clone(),
                unknown: Default::default(),
            });
        }
    }
    Ok(())
}

/// Receivers verify our signatures with this key, so it must be one they can use: the Standard
/// Webhooks form `whsec_` + base64 of at least 16 random bytes (`rotateWebhookSecret` makes 32).
/// The message never repeats the secret.
pub(super) fn signing_key_problem(secret: &str) -> Option<&'static str> {
    const MIN_KEY_BYTES: usize = 16;
    match crate::webhooks_out::SigningKey::parse(secret) {
        Err(_) => Some("must be `whsec_` followed by base64 (e.g. from `openssl rand -base64 32`)"),
        Ok(key) if key.len() < MIN_KEY_BYTES => Some("too short: use at least 16 random bytes, base64-encoded"),
        Ok(_) => None,
    }
}

fn tenant_config_view(
    settings: Option<&TenantConfig>,
    meta: Option<&application::ports::ConfigVersion>,
) -> TenantConfigView {
    let defaults = TenantConfig::default();
    let settings = settings.unwrap_or(&defaults);
    TenantConfigView {
        restocking_fee_percent: settings.restocking_fee_percent.as_ref().map(|d| d.as_str().to_owned()),
        max_refund_amount: settings.max_refund_amount.as_ref().map(|d| d.as_str().to_owned()),
        auto_confirm_orders: settings.auto_confirm_orders,
        roles: settings.roles.as_ref().map(|roles| roles.iter().map(|(r, p)| (r.clone(), p.clone())).collect()),
        outbound_webhook: settings.outbound_webhook.as_ref().map(|w| OutboundWebhookView {
            url: w.url.clone(),
            events: w.events.clone(),
            has_secret: w.secret.as_ref().is_some_and(|s| !s.is_empty()),
        }),
        version: meta.map_or(0, |m| m.version),
        changed_by: meta.map(|m| m.changed_by.clone()),
        changed_at: meta.map(|m| m.changed_at),
    }
}

/// The stored tenant an edit of an existing tenant starts from.
fn existing_tenant(id: &str, before: Option<&Value>) -> Result<TenantEntry, ConfigEditError> {
    let document = before.ok_or_else(|| ConfigEditError::NotFound(format!("tenant {id} does not exist")))?;
    parse(ConfigKind::Tenant, id, document)
}

fn new_secret() -> String {
    let mut bytes = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[async_trait]
impl ConfigEditor for ConfigService {
    async fn upsert_plan(&self, change: PlanChange, edit: ConfigEdit) -> Result<PlanView, ConfigEditError> {
        let name = change.name.trim().to_owned();
        if name.is_empty() || name.len() > 64 {
            return Err(invalid(&["name"], "a plan name is 1-64 characters"));
        }
        let stored = self
            .edit(ConfigKind::Plan, &name, change.expected_version, &edit, |before| {
                let mut plan: PlanConfig = match before {
                    Some(document) => parse(ConfigKind::Plan, &name, document)?,
                    None => PlanConfig::default(),
                };
                merge_plan(&mut plan, &change);
                self.check_with(&format!("plans.{name}"), |c| {
                    c.plans.insert(name.clone(), plan.clone());
                })?;
                Ok(to_document(&plan))
            })
            .await?;
        let plan: PlanConfig = parse(ConfigKind::Plan, &name, &stored.document)?;
        Ok(plan_view(&name, &plan, stored.version))
    }

    async fn upsert_tenant(&self, change: TenantChange, edit: ConfigEdit) -> Result<TenantView, ConfigEditError> {
        let id = change.id.clone();
        let stored = self
            .edit(ConfigKind::Tenant, &id, change.expected_version, &edit, |before| {
                let tenant = merge_tenant(&id, before, &change)?;
                self.check_with(&format!("tenants.{id}"), |c| {
                    let settings = c.tenants.get(&id).and_then(|t| t.tenant_config.clone());
                    c.tenants.insert(id.clone(), TenantEntry { tenant_config: settings, ..tenant.clone() });
                })?;
                Ok(to_document(&tenant))
            })
            .await?;
        let tenant: TenantEntry = parse(ConfigKind::Tenant, &id, &stored.document)?;
        Ok(tenant_view(&id, &tenant, stored.version))
    }

    async fn set_tenant_status(
        &self,
        tenant: &TenantId,
        status: TenantStatus,
        edit: ConfigEdit,
    ) -> Result<TenantView, ConfigEditError> {
        let id = tenant.as_str();
        let stored = self
            .edit(ConfigKind::Tenant, id, None, &edit, |before| {
                let mut entry = existing_tenant(id, before)?;
                entry.status = status_text(status).to_owned();
                Ok(to_document(&entry))
            })
            .await?;
        let entry: TenantEntry = parse(ConfigKind::Tenant, id, &stored.document)?;
        Ok(tenant_view(id, &entry, stored.version))
    }

    async fn rotate_webhook_secret(
        &self,
        tenant: &TenantId,
        webhook: &str,
        edit: ConfigEdit,
    ) -> Result<String, ConfigEditError> {
        let id = tenant.as_str();
        let secret = new_secret();
        self.edit(ConfigKind::Tenant, id, None, &edit, |before| {
            let mut entry = existing_tenant(id, before)?;
            let hook = entry.webhooks.entry(webhook.to_owned()).or_insert_with(|| WebhookConfig {
                provider: Some("standard".to_owned()),
                shared_secret: None,
                max_age_seconds: 300,
                tracking_reference_jmespath: None,
                status_jmespath: None,
                carrier_jmespath: None,
                carrier_shipment_id_jmespath: None,
                status_map: Default::default(),
                unknown: Default::default(),
            });
            hook.shared_secret = Some(Secret::new(secret.clone()));
            Ok(to_document(&entry))
        })
        .await?;
        Ok(secret)
    }

    async fn set_integrations(
        &self,
        owner: IntegrationsOwner<'_>,
        change: IntegrationsChange,
        edit: ConfigEdit,
    ) -> Result<IntegrationsView, ConfigEditError> {
        match owner {
            IntegrationsOwner::Tenant(tenant) => {
                let id = tenant.as_str();
                let stored = self
                    .edit(ConfigKind::Tenant, id, change.expected_version, &edit, |before| {
                        let mut entry = existing_tenant(id, before)?;
                        integrations::merge_webhooks(&mut entry.webhooks, &change.webhooks)?;
                        integrations::merge_carrier_api(&mut entry.create_shipment_api, &change.create_shipment_api)?;
                        self.check_with(&format!("tenants.{id}"), |c| {
                            let settings = c.tenants.get(id).and_then(|t| t.tenant_config.clone());
                            c.tenants.insert(id.to_owned(), TenantEntry { tenant_config: settings, ..entry.clone() });
                        })?;
                        Ok(to_document(&entry))
                    })
                    .await?;
                let entry: TenantEntry = parse(ConfigKind::Tenant, id, &stored.document)?;
                Ok(integrations::view(&entry.webhooks, entry.create_shipment_api.as_ref(), stored.version))
            }
            IntegrationsOwner::Provider => {
                let key = super::documents::PROVIDER_KEY;
                let stored = self
                    .edit(ConfigKind::Provider, key, change.expected_version, &edit, |before| {
                        let mut provider: ProviderConfig = match before {
                            Some(document) => parse(ConfigKind::Provider, key, document)?,
                            None => self.catalog.current().provider.clone().ok_or_else(|| {
                                ConfigEditError::NotFound("the provider section is not configured".into())
                            })?,
                        };
                        integrations::merge_webhooks(&mut provider.webhooks, &change.webhooks)?;
                        self.check_with("provider", |c| c.provider = Some(provider.clone()))?;
                        Ok(to_document(&provider))
                    })
                    .await?;
                let provider: ProviderConfig = parse(ConfigKind::Provider, key, &stored.document)?;
                Ok(integrations::view(&provider.webhooks, None, stored.version))
            }
        }
    }

    async fn tenant_config(&self, tenant: &TenantId) -> Result<TenantConfigView, StoreError> {
        let latest = self.latest(ConfigKind::TenantConfig, tenant.as_str()).await?;
        let settings = match &latest {
            Some(v) => Some(
                serde_json::from_value::<TenantConfig>(v.document.clone())
                    .map_err(|e| StoreError::Internal(format!("stored tenant config {tenant} is unreadable: {e}")))?,
            ),
            None => None,
        };
        Ok(tenant_config_view(settings.as_ref(), latest.as_ref()))
    }

    async fn update_tenant_config(
        &self,
        tenant: &TenantId,
        change: TenantConfigChange,
        edit: ConfigEdit,
    ) -> Result<TenantConfigView, ConfigEditError> {
        let id = tenant.as_str();
        let stored = self
            .edit(ConfigKind::TenantConfig, id, change.expected_version, &edit, |before| {
                let mut settings: TenantConfig = match before {
                    Some(document) => parse(ConfigKind::TenantConfig, id, document)?,
                    None => TenantConfig::default(),
                };
                merge_tenant_config(&mut settings, &change)?;
                self.check_with(&format!("tenants.{id}.tenant_config"), |c| {
                    if let Some(entry) = c.tenants.get_mut(id) {
                        entry.tenant_config = Some(settings.clone());
                    }
                })?;
                Ok(to_document(&settings))
            })
            .await?;
        let settings: TenantConfig = parse(ConfigKind::TenantConfig, id, &stored.document)?;
        Ok(tenant_config_view(Some(&settings), Some(&stored)))
    }

    async fn tenant_config_history(
        &self,
        tenant: &TenantId,
        first: u64,
        before: Option<i64>,
    ) -> Result<Vec<ConfigChangeView>, StoreError> {
        let versions = self.store.history(ConfigKind::TenantConfig, tenant.as_str(), first, before).await?;
        Ok(versions
            .into_iter()
            .map(|v| ConfigChangeView {
                version: v.version,
                changed_by: v.changed_by,
                changed_at: v.changed_at,
                summary: v.summary,
            })
            .collect())
    }
}
