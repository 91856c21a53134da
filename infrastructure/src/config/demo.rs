//! The config `tenant-oms demo` runs with: one tenant that can do everything, signing in with
//! tokens the demo itself mints.

use std::collections::BTreeMap;

use super::model::{IdpConfig, PlanConfig, SaasConfig, TenantEntry};
use super::permissions::tenant_permissions;
use super::secret::Secret;

impl SaasConfig {
    pub const DEMO_TENANT: &str = "demo";
    pub const DEMO_PLAN: &str = "demo";
    pub const DEMO_ISSUER: &str = "tenant-oms-demo";
    pub const DEMO_AUDIENCE: &str = "tenant-oms";

    /// No provider, plan `demo` with every tenant permission, active tenant `demo` whose IdP
    /// accepts HS256 tokens signed with `hs256_secret` (see `identity::DevTokenIssuer`).
    pub fn demo(hs256_secret: &str) -> SaasConfig {
        let plan =
            PlanConfig { permissions: tenant_permissions().map(str::to_owned).collect(), ..PlanConfig::default() };
        let idp = IdpConfig {
            issuer: Some(Self::DEMO_ISSUER.to_owned()),
            audience: Some(Self::DEMO_AUDIENCE.to_owned()),
            algorithms: vec!["HS256".to_owned()],
            hs256_secret: Some(Secret::new(hs256_secret)),
            tenant_claim: Some("tenant".to_owned()),
            roles_claim: Some("roles".to_owned()),
            ..IdpConfig::default()
        };
        let tenant = TenantEntry {
            plan: Self::DEMO_PLAN.to_owned(),
            status: "active".to_owned(),
            idp,
            webhooks: BTreeMap::new(),
            create_shipment_api: None,
            domains: Vec::new(),
            tenant_config: None,
            unknown: Default::default(),
        };
        SaasConfig {
            provider: None,
            plans: BTreeMap::from([(Self::DEMO_PLAN.to_owned(), plan)]),
            tenants: BTreeMap::from([(Self::DEMO_TENANT.to_owned(), tenant)]),
            unknown: Default::default(),
        }
    }
}
