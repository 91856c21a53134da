//! The process's current SaaS config, swapped whole when the provider publishes a new version.
//! Tenant profiles (plan permissions, role grants, limits) are compiled once per version, so the
//! per-request lookup is a hash probe and an `Arc` clone.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use application::{
    access::{AccessPolicy, Grant, PermissionSet},
    ports::{
        ConfigKind, ConfigSnapshot, DeliveryHeaders, InboundRoute, InboundWebhooks, PlanLimits, StoreError,
        TenantAddresses, TenantDirectory, TenantProfile, TenantSettings, Unverified, VerifiedDelivery, WebhookEndpoint,
        WebhookOwner,
    },
};
use async_trait::async_trait;
use domain::TenantId;

use super::{
    super::webhooks_in::InboundSettings,
    documents::assemble,
    hosts::TenantHosts,
    model::{SaasConfig, TenantEntry},
    permissions::ALL_PLAN_PERMISSIONS,
};

struct Snapshot {
    config: Arc<SaasConfig>,
    tenants: HashMap<String, Arc<TenantProfile>>,
    /// Request hosts to tenants, for this version.
    hosts: TenantHosts,
    /// The config store's revision this config was read at (0: not from the store).
    revision: i64,
    /// The stored version of each document served.
    versions: HashMap<(ConfigKind, String), i64>,
    /// The inbound webhooks, compiled with this version (keys, JMESPath expressions).
    inbound: InboundSettings,
}

/// Readers get an `Arc` snapshot, so a request sees one consistent config even if it is replaced
/// mid-request, and a replacement never waits for readers to finish.
pub struct ConfigCatalog {
    current: RwLock<Arc<Snapshot>>,
}

impl std::fmt::Debug for ConfigCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigCatalog").field("tenants", &self.snapshot().tenants.len()).finish()
    }
}

impl ConfigCatalog {
    /// A catalog of a config that is not stored (documents have version 0).
    pub fn new(config: SaasConfig) -> Self {
        Self { current: RwLock::new(Arc::new(compile(config, 0, HashMap::new()))) }
    }

    /// The config the stored documents make up, at the store's revision.
    pub fn from_store(snapshot: &ConfigSnapshot) -> Self {
        let catalog = Self::new(SaasConfig::default());
        catalog.install(snapshot);
        catalog
    }

    pub fn current(&self) -> Arc<SaasConfig> {
        self.snapshot().config.clone()
    }

    /// The store revision the served config was read at.
    pub fn revision(&self) -> i64 {
        self.snapshot().revision
    }

    /// The stored version of one document as served now (0: not stored).
    pub fn version_of(&self, kind: ConfigKind, key: &str) -> i64 {
        self.snapshot().versions.get(&(kind, key.to_owned())).copied().unwrap_or(0)
    }

    pub fn replace(&self, config: SaasConfig) {
        let fresh = Arc::new(compile(config, 0, HashMap::new()));
        *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
    }

    /// Serves the stored config of `snapshot` unless the catalog already serves a later
    /// revision (two refreshes may finish out of order). Returns whether it was installed.
    pub fn install(&self, snapshot: &ConfigSnapshot) -> bool {
        let (config, unreadable) = assemble(snapshot);
        for bad in &unreadable {
            tracing::error!(kind = bad.kind.as_str(), key = %bad.key, error = %bad.error, "stored config document is unreadable; left out");
        }
        let versions = snapshot.documents.iter().map(|d| ((d.kind, d.key.clone()), d.version)).collect();
        let fresh = Arc::new(compile(config, snapshot.revision, versions));
        let mut current = self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if current.revision > snapshot.revision {
            return false;
        }
        *current = fresh;
        true
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock still holds a whole Arc (the write is a single assignment), so the
        // value is safe to keep serving.
        self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

fn compile(config: SaasConfig, revision: i64, versions: HashMap<(ConfigKind, String), i64>) -> Snapshot {
    let tenants = config
        .tenants
        .iter()
        .filter_map(|(id, entry)| {
            // `check` reports invalid ids; such a tenant cannot be addressed, so it is left out.
            let tenant_id = TenantId::new(id).ok()?;
            Some((id.clone(), Arc::new(profile(&config, tenant_id, entry))))
        })
        .collect();
    let inbound = InboundSettings::compile(&config);
    let hosts = TenantHosts::new(&config);
    Snapshot { config: Arc::new(config), tenants, hosts, revision, versions, inbound }
}

fn profile(config: &SaasConfig, id: TenantId, entry: &TenantEntry) -> TenantProfile {
    // An unknown plan grants nothing (every call is PLAN_FORBIDDEN) until `check` is heeded.
    let plan = config.plans.get(&entry.plan);
    let plan_permissions =
        plan.map(|p| PermissionSet::from_names(p.permissions.iter().map(String::as_str))).unwrap_or_default();
    let tenant_config = entry.tenant_config.as_ref();
    let roles = tenant_config.and_then(|c| c.roles.as_ref()).map(|roles| {
        roles
            .iter()
            .map(|(role, names)| {
                let grant = if names.iter().any(|n| n == ALL_PLAN_PERMISSIONS) {
                    Grant::AllOfPlan
                } else {
                    Grant::Only(PermissionSet::from_names(names.iter().map(String::as_str)))
                };
                (role.clone(), grant)
            })
            .collect()
    });
    TenantProfile {
        id,
        plan: entry.plan.clone(),
        status: entry.effective_status(),
        settings: TenantSettings {
            auto_confirm_orders: entry.auto_confirm_orders(),
            restocking_fee_percent: tenant_config
                .and_then(|c| c.restocking_fee_percent.as_ref())
                .map(|d| d.as_str().to_owned()),
            max_refund_amount: tenant_config.and_then(|c| c.max_refund_amount.as_ref()).map(|d| d.as_str().to_owned()),
        },
        access: AccessPolicy::new(plan_permissions, roles),
        limits: PlanLimits {
            orders_per_month: plan.and_then(|p| p.limits.orders_per_month),
            requests_per_minute: plan.and_then(|p| p.limits.requests_per_minute),
            max_query_complexity: plan.and_then(|p| p.limits.max_query_complexity),
        },
    }
}

#[async_trait]
impl TenantDirectory for ConfigCatalog {
    async fn tenant(&self, id: &TenantId) -> Result<Option<Arc<TenantProfile>>, StoreError> {
        Ok(self.snapshot().tenants.get(id.as_str()).cloned())
    }
}

impl TenantAddresses for ConfigCatalog {
    fn tenant_of_host(&self, host: &str) -> Option<TenantId> {
        self.snapshot().hosts.resolve(host)
    }
}

impl ConfigCatalog {
    /// The outbound webhook of `tenant`, as served now. One without a secret is left out: its
    /// receiver could not tell our events from anyone's (`config check` reports it). The
    /// `WebhookEndpoints` port is `ConfigService`, which can also catch up with the store.
    pub fn outbound_webhook(&self, tenant: &TenantId) -> Option<WebhookEndpoint> {
        let snapshot = self.snapshot();
        let webhook =
            snapshot.config.tenants.get(tenant.as_str())?.tenant_config.as_ref()?.outbound_webhook.as_ref()?;
        let secret = webhook.secret.as_ref().filter(|s| !s.is_empty())?;
        Some(WebhookEndpoint {
            url: webhook.url.clone(),
            secret: secret.expose().to_owned(),
            events: webhook.events.clone(),
        })
    }
}

impl InboundWebhooks for ConfigCatalog {
    fn verify(
        &self,
        owner: &WebhookOwner,
        route: InboundRoute,
        headers: &DeliveryHeaders,
        body: &[u8],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<VerifiedDelivery, Unverified> {
        self.snapshot().inbound.verify(owner, route, headers, body, now)
    }

    fn trusted(
        &self,
        owner: &WebhookOwner,
        route: InboundRoute,
        delivery_key: String,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<VerifiedDelivery, Unverified> {
        self.snapshot().inbound.trusted(owner, route, delivery_key, now)
    }

    fn tenants_with(&self, route: InboundRoute) -> Vec<TenantId> {
        self.snapshot().inbound.tenants_with(route)
    }
}
