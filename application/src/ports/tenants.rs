use async_trait::async_trait;
use domain::TenantId;

use super::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantStatus {
    Active,
    Suspended,
}

/// The tenant's own operational settings (TenantConfig), with the spec's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    pub auto_confirm_orders: bool,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self { auto_confirm_orders: true }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantProfile {
    pub id: TenantId,
    pub plan: String,
    pub status: TenantStatus,
    pub settings: TenantSettings,
}

#[async_trait]
pub trait TenantDirectory: Send + Sync {
    async fn tenant(&self, id: &TenantId) -> Result<Option<TenantProfile>, StoreError>;
}
