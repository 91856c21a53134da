//! Tenants a test configures: profiles as the config catalog would compile them, without a
//! config file.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use domain::TenantId;

use super::lock;
use crate::{
    access::{AccessPolicy, PermissionSet},
    ports::{PlanLimits, StoreError, TenantDirectory, TenantProfile, TenantSettings, TenantStatus},
};

/// The plan name of profiles built by [`StaticTenants::profile`].
const TEST_PLAN: &str = "test";

#[derive(Debug, Default)]
pub struct StaticTenants {
    profiles: Mutex<HashMap<TenantId, Arc<TenantProfile>>>,
}

impl StaticTenants {
    pub fn new() -> Self {
        Self::default()
    }

    /// A directory of one active tenant; see [`StaticTenants::profile`].
    pub fn single(
        tenant_id: TenantId,
        plan_permissions: PermissionSet,
        limits: PlanLimits,
        settings: TenantSettings,
    ) -> Self {
        let tenants = Self::new();
        tenants.insert(Self::profile(tenant_id, plan_permissions, limits, settings));
        tenants
    }

    /// An active tenant whose plan grants `plan_permissions` and which configured no roles, so
    /// the default mapping applies: `tenant_admin` has the whole plan, `vendor` its default set.
    pub fn profile(
        tenant_id: TenantId,
        plan_permissions: PermissionSet,
        limits: PlanLimits,
        settings: TenantSettings,
    ) -> TenantProfile {
        TenantProfile {
            id: tenant_id,
            plan: TEST_PLAN.to_owned(),
            status: TenantStatus::Active,
            settings,
            access: AccessPolicy::new(plan_permissions, None),
            limits,
        }
    }

    /// Adds the tenant or replaces its profile (to suspend it mid-test, say): later lookups see
    /// the new one, as after a config reload.
    pub fn insert(&self, profile: TenantProfile) {
        lock(&self.profiles).insert(profile.id.clone(), Arc::new(profile));
    }
}

#[async_trait]
impl TenantDirectory for StaticTenants {
    async fn tenant(&self, id: &TenantId) -> Result<Option<Arc<TenantProfile>>, StoreError> {
        Ok(lock(&self.profiles).get(id).cloned())
    }
}
