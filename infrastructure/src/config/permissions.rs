//! The normative permission names (SPEC.md section 3 "Permissions"), as the config file spells
//! them. The list itself is `application::Permission`; this only sorts it for config checks.

use application::Permission;

/// In a TenantConfig role: every permission the tenant's plan has.
pub const ALL_PLAN_PERMISSIONS: &str = "*";

/// Permissions a plan can hold and a tenant role can be granted: all but the provider's own.
pub fn tenant_permissions() -> impl Iterator<Item = &'static str> {
    Permission::ALL.into_iter().filter(|p| *p != Permission::PlatformAdmin).map(|p| p.as_str())
}

pub fn is_tenant_permission(name: &str) -> bool {
    Permission::parse(name).is_some_and(|p| p != Permission::PlatformAdmin)
}

/// Held only by the provider's admin role, never by a tenant plan.
pub fn is_provider_permission(name: &str) -> bool {
    Permission::parse(name) == Some(Permission::PlatformAdmin)
}
