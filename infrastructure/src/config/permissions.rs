//! The normative permission names (SPEC.md section 3 "Permissions").

/// Permissions a plan can hold and a tenant role can be granted.
pub const TENANT_PERMISSIONS: &[&str] = &[
    "order:read",
    "order:create",
    "order:confirm",
    "order:cancel",
    "order:complete",
    "order:review",
    "shipment:create",
    "shipment:confirm",
    "shipment:dispatch",
    "shipment:deliver",
    "shipment:cancel",
    "payment:record",
    "return:request",
    "return:approve",
    "refund:process",
    "ledger:read",
    "config:read",
    "config:write",
    "audit:read",
    "webhook:read",
    "webhook:manage",
];

/// Held only by the provider's admin role, never by a tenant plan.
pub const PROVIDER_PERMISSIONS: &[&str] = &["platform:admin"];

/// In a TenantConfig role: every permission the tenant's plan has.
pub const ALL_PLAN_PERMISSIONS: &str = "*";

pub fn is_tenant_permission(name: &str) -> bool {
    TENANT_PERMISSIONS.contains(&name)
}

pub fn is_provider_permission(name: &str) -> bool {
    PROVIDER_PERMISSIONS.contains(&name)
}
