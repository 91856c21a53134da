//! `me`: who the caller is, as the server understands the token.

use std::sync::Arc;

use crate::{
    AppError, ErrorCode, Principal,
    ports::{TenantDirectory, TenantProfile, TenantStatus},
};

#[derive(Debug, Clone)]
pub struct Me {
    pub principal: Principal,
    pub plan: String,
}

pub struct Session {
    tenants: Arc<dyn TenantDirectory>,
}

impl Session {
    pub fn new(tenants: Arc<dyn TenantDirectory>) -> Self {
        Self { tenants }
    }

    pub async fn me(&self, p: &Principal) -> Result<Me, AppError> {
        let tenant = active_tenant(self.tenants.as_ref(), p).await?;
        Ok(Me { principal: p.clone(), plan: tenant.plan })
    }
}

/// The caller's tenant must exist and be active for any call. Plan and role checks join here.
pub(crate) async fn active_tenant(tenants: &dyn TenantDirectory, p: &Principal) -> Result<TenantProfile, AppError> {
    let tenant = tenants
        .tenant(&p.tenant_id)
        .await?
        .ok_or_else(|| AppError::unauthenticated("the token's tenant is not configured"))?;
    if tenant.status == TenantStatus::Suspended {
        return Err(AppError::new(ErrorCode::TenantSuspended, "this tenant is suspended"));
    }
    Ok(tenant)
}
