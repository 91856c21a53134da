//! The process's current SaaS config, swapped whole when the provider publishes a new version.
//! Tenant profiles (plan permissions, role grants, limits) are compiled once per version, so the
//! per-request lookup is a hash probe and an `Arc` clone.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use application::{
    access::{AccessPolicy, Grant, PermissionSet},
    ports::{PlanLimits, StoreError, TenantDirectory, TenantProfile, TenantSettings},
};
use async_trait::async_trait;
use domain::TenantId;

use super::{
    model::{SaasConfig, TenantEntry},
    permissions::ALL_PLAN_PERMISSIONS,
};

struct Snapshot {
    config: Arc<SaasConfig>,
    tenants: HashMap<String, Arc<TenantProfile>>,
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
    pub fn new(config: SaasConfig) -> Self {
        Self { current: RwLock::new(Arc::new(compile(config))) }
    }

    pub fn current(&self) -> Arc<SaasConfig> {
        self.snapshot().config.clone()
    }

    pub fn replace(&self, config: SaasConfig) {
        let fresh = Arc::new(compile(config));
        *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock still holds a whole Arc (the write is a single assignment), so the
        // value is safe to keep serving.
        self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

fn compile(config: SaasConfig) -> Snapshot {
    let tenants = config
        .tenants
        .iter()
        .filter_map(|(id, entry)| {
            // `check` reports invalid ids; such a tenant cannot be addressed, so it is left out.
            let tenant_id = TenantId::new(id).ok()?;
            Some((id.clone(), Arc::new(profile(&config, tenant_id, entry))))
        })
        .collect();
    Snapshot { config: Arc::new(config), tenants }
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
        limits: PlanLimits { orders_per_month: plan.and_then(|p| p.limits.orders_per_month) },
    }
}

#[async_trait]
impl TenantDirectory for ConfigCatalog {
    async fn tenant(&self, id: &TenantId) -> Result<Option<Arc<TenantProfile>>, StoreError> {
        Ok(self.snapshot().tenants.get(id.as_str()).cloned())
    }
}
