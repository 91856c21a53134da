//! Provider operations: plans and tenants as the SaaS provider's administrators see them.

use std::sync::Arc;

use crate::{
    AppError, ErrorCode, ProviderAdmin,
    paging::page_size,
    ports::{PlanView, ProviderDirectory, TenantView},
};

pub struct Platform {
    directory: Arc<dyn ProviderDirectory>,
}

#[derive(Debug, Clone)]
pub struct TenantPage {
    pub tenants: Vec<TenantView>,
    pub has_next_page: bool,
}

/// Provider operations need the provider IdP's admin role, which carries `platform:admin`.
fn require_admin(admin: &ProviderAdmin) -> Result<(), AppError> {
    if admin.is_admin {
        Ok(())
    } else {
        Err(AppError::new(ErrorCode::Forbidden, "provider operations need the provider's admin role (platform:admin)"))
    }
}

impl Platform {
    pub fn new(directory: Arc<dyn ProviderDirectory>) -> Self {
        Self { directory }
    }

    pub async fn plans(&self, admin: &ProviderAdmin) -> Result<Vec<PlanView>, AppError> {
        require_admin(admin)?;
        Ok(self.directory.plans().await?)
    }

    /// Tenants by id; `after` is the id of the last tenant of the previous page.
    pub async fn tenants(
        &self,
        admin: &ProviderAdmin,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Result<TenantPage, AppError> {
        require_admin(admin)?;
        let first = page_size(first)? as usize;
        let mut tenants: Vec<TenantView> =
            self.directory.tenants().await?.into_iter().filter(|t| after.is_none_or(|a| t.id.as_str() > a)).collect();
        let has_next_page = tenants.len() > first;
        tenants.truncate(first);
        Ok(TenantPage { tenants, has_next_page })
    }

    pub async fn tenant(&self, admin: &ProviderAdmin, id: &str) -> Result<Option<TenantView>, AppError> {
        require_admin(admin)?;
        Ok(self.directory.tenants().await?.into_iter().find(|t| t.id == id))
    }
}
