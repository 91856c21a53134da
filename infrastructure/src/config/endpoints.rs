//! The `WebhookEndpoints` port: the tenants' outbound webhooks as this instance serves them,
//! brought up to date with the store when a decision depends on a change made elsewhere.

use application::ports::{StoreError, WebhookEndpoint, WebhookEndpoints};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::TenantId;

use super::ConfigService;

#[async_trait]
impl WebhookEndpoints for ConfigService {
    fn endpoint(&self, tenant: &TenantId) -> Option<WebhookEndpoint> {
        self.catalog.outbound_webhook(tenant)
    }

    /// One indexed read of the store's revision, unless a check that began at or after `at`
    /// completed already (the poller's, or a concurrent catch-up's).
    async fn catch_up(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        if self.checked_since(at.timestamp_micros()) {
            return Ok(());
        }
        if self.refresh().await? {
            tracing::info!(revision = self.catalog.revision(), "config changed; now serving it");
        }
        Ok(())
    }
}
