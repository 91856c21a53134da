//! Who the caller is and what they may do: `me`, and the authorization every use case runs first.

use std::sync::Arc;

use domain::VendorId;

use crate::{
    AppError, ErrorCode, Permission, Principal,
    access::PermissionSet,
    ports::{TenantDirectory, TenantProfile, TenantStatus},
};

#[derive(Debug, Clone)]
pub struct Me {
    pub principal: Principal,
    pub plan: String,
    /// The plan intersected with the caller's role grants.
    pub permissions: PermissionSet,
}

pub struct Session {
    tenants: Arc<dyn TenantDirectory>,
}

impl Session {
    pub fn new(tenants: Arc<dyn TenantDirectory>) -> Self {
        Self { tenants }
    }

    /// Open to every authenticated caller of an active tenant: it only tells callers about
    /// themselves, which they need to learn what they lack.
    pub async fn me(&self, p: &Principal) -> Result<Me, AppError> {
        let tenant = active_tenant(self.tenants.as_ref(), p).await?;
        let mut permissions = tenant.access.effective(&p.roles);
        if p.vendor_id.is_some() {
            permissions = permissions.without(TENANT_WIDE.iter().copied().collect());
        }
        Ok(Me { principal: p.clone(), plan: tenant.plan.clone(), permissions })
    }

    /// The caller's tenant profile, for adapters that shape their answers by plan (introspection).
    pub async fn tenant(&self, p: &Principal) -> Result<Arc<TenantProfile>, AppError> {
        active_tenant(self.tenants.as_ref(), p).await
    }
}

/// The caller's tenant must exist and be active for any call.
pub(crate) async fn active_tenant(
    tenants: &dyn TenantDirectory,
    p: &Principal,
) -> Result<Arc<TenantProfile>, AppError> {
    let tenant = tenants
        .tenant(&p.tenant_id)
        .await?
        .ok_or_else(|| AppError::unauthenticated("the token's tenant is not configured"))?;
    if tenant.status == TenantStatus::Suspended {
        return Err(AppError::new(ErrorCode::TenantSuspended, "this tenant is suspended"));
    }
    Ok(tenant)
}

/// Proof that a caller was authorized for a permission, with the tenant profile the decision
/// was made on. Only [`authorize`] makes one (its field is private to this module), so a function
/// that takes `&Authorized` cannot be reached by a path that skipped the access policy.
#[derive(Debug, Clone)]
pub struct Authorized {
    tenant: Arc<TenantProfile>,
    permission: Permission,
    /// The vendor the caller is scoped to (see `orders::vendor_scope`).
    vendor: Option<VendorId>,
}

impl Authorized {
    pub fn tenant(&self) -> &TenantProfile {
        &self.tenant
    }

    /// The permission that was checked.
    pub fn permission(&self) -> Permission {
        self.permission
    }

    /// The vendor the caller acts for, when its token is scoped to one.
    pub fn vendor(&self) -> Option<&VendorId> {
        self.vendor.as_ref()
    }
}

impl std::ops::Deref for Authorized {
    type Target = TenantProfile;

    fn deref(&self) -> &TenantProfile {
        &self.tenant
    }
}

/// Active tenant, permission in its plan (else PLAN_FORBIDDEN), granted to a role of the caller
/// (else FORBIDDEN). Every use case calls this first, naming its permission.
pub(crate) async fn authorize(
    tenants: &dyn TenantDirectory,
    p: &Principal,
    needed: Permission,
) -> Result<Authorized, AppError> {
    let tenant = active_tenant(tenants, p).await?;
    tenant.access.check(&p.roles, needed)?;
    if p.vendor_id.is_some() && TENANT_WIDE.contains(&needed) {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            format!("{} covers the whole tenant; a caller scoped to one vendor may not use it", needed.as_str()),
        ));
    }
    Ok(Authorized { tenant, permission: needed, vendor: p.vendor_id.clone() })
}

/// Authorization of a call signed with a webhook secret the provider configured for the tenant:
/// the tenant must exist and be active and, when `in_plan`, its plan must include `needed`. Roles
/// play no part: no user is calling.
pub(crate) async fn authorize_signed(
    tenants: &dyn TenantDirectory,
    p: &Principal,
    needed: Permission,
    in_plan: bool,
) -> Result<Authorized, AppError> {
    let tenant = active_tenant(tenants, p).await?;
    if in_plan && !tenant.access.plan().contains(needed) {
        return Err(AppError::new(ErrorCode::PlanForbidden, format!("the plan does not include {}", needed.as_str())));
    }
    Ok(Authorized { tenant, permission: needed, vendor: None })
}

/// Permissions over the whole tenant's money, history or settings, which a caller scoped to one
/// vendor never has whatever its roles: they would show or move other vendors' figures (the
/// ledger, payments and refunds of whole orders, the audit trail's inputs, the event feed and
/// webhooks carrying every order's events, the tenant's config).
const TENANT_WIDE: &[Permission] = &[
    Permission::PaymentRecord,
    Permission::RefundProcess,
    Permission::LedgerRead,
    Permission::ConfigRead,
    Permission::ConfigWrite,
    Permission::AuditRead,
    Permission::WebhookRead,
    Permission::WebhookManage,
];
