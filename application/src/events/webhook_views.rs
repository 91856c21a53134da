//! The tenant's side of outbound webhooks: its deliveries and their attempts (`webhook:read`),
//! sending one again, or all of them since a time, and re-enabling a disabled endpoint
//! (`webhook:manage`, audited).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::{
    AppError, Permission, Principal,
    audit_trail::{AuditDraft, settle},
    paging::{cursor, page_size},
    ports::{
        AuditLog, Clock, DeliveryFilter, DeliveryPage, DeliveryQuery, DeliveryRecord, DeliveryStatus, EndpointHealth,
        IdGenerator, TenantDirectory, WebhookDeliveries,
    },
    session::authorize,
};

#[derive(Debug, Clone, Default)]
pub struct DeliveryListQuery {
    pub first: Option<i64>,
    pub after: Option<String>,
    pub event_type: Option<String>,
    pub status: Option<DeliveryStatus>,
}

pub struct WebhookDeliveryService {
    tenants: Arc<dyn TenantDirectory>,
    deliveries: Arc<dyn WebhookDeliveries>,
    log: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RedeliverInput<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RedeliverSinceInput {
    since: DateTime<Utc>,
}

impl WebhookDeliveryService {
    pub fn new(
        tenants: Arc<dyn TenantDirectory>,
        deliveries: Arc<dyn WebhookDeliveries>,
        log: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self { tenants, deliveries, log, clock, ids }
    }

    pub async fn deliveries(&self, p: &Principal, query: DeliveryListQuery) -> Result<DeliveryPage, AppError> {
        authorize(self.tenants.as_ref(), p, Permission::WebhookRead).await?;
        let first = page_size(query.first)?;
        let after = cursor(query.after.as_deref())?;
        if first == 0 {
            return Ok(DeliveryPage { deliveries: Vec::new(), has_next_page: false });
        }
        let filter = DeliveryFilter { event_type: query.event_type, status: query.status };
        Ok(self.deliveries.list(&p.tenant_id, &DeliveryQuery { first, after, filter }).await?)
    }

    pub async fn endpoint_health(&self, p: &Principal) -> Result<EndpointHealth, AppError> {
        authorize(self.tenants.as_ref(), p, Permission::WebhookRead).await?;
        Ok(self.deliveries.health(&p.tenant_id).await?)
    }

    /// Sends the delivery again (its `webhook-id` unchanged), soon, whatever its state.
    pub async fn redeliver(&self, p: &Principal, id: &str) -> Result<DeliveryRecord, AppError> {
        let draft = AuditDraft::new(p, "redeliverWebhook", &RedeliverInput { id });
        let result = async {
            authorize(self.tenants.as_ref(), p, Permission::WebhookManage).await?;
            let not_found = || AppError::not_found("webhook delivery", id).with_field(&["input", "id"]);
            let id = uuid::Uuid::parse_str(id).map_err(|_| not_found())?;
            if !self.deliveries.redeliver(&p.tenant_id, id, self.clock.now()).await? {
                return Err(not_found());
            }
            self.deliveries.find(&p.tenant_id, id).await?.ok_or_else(not_found)
        }
        .await;
        settle(&*self.log, &*self.clock, &*self.ids, draft, result).await
    }

    /// Sends every delivery created since `since` again (each with its `webhook-id`), soon:
    /// for a partner that lost what it had received. A time in the future is a mistake, not
    /// an empty request.
    pub async fn redeliver_since(&self, p: &Principal, since: DateTime<Utc>) -> Result<u64, AppError> {
        let draft = AuditDraft::new(p, "redeliverWebhooks", &RedeliverSinceInput { since });
        let result = async {
            authorize(self.tenants.as_ref(), p, Permission::WebhookManage).await?;
            let now = self.clock.now();
            if since > now {
                return Err(AppError::validation(&["input", "since"], "since must not be in the future"));
            }
            Ok(self.deliveries.redeliver_since(&p.tenant_id, since, now).await?)
        }
        .await;
        settle(&*self.log, &*self.clock, &*self.ids, draft, result).await
    }

    /// Re-enables a disabled endpoint: its waiting deliveries resume.
    pub async fn enable_endpoint(&self, p: &Principal) -> Result<EndpointHealth, AppError> {
        let draft = AuditDraft::new(p, "enableWebhookEndpoint", &serde_json::json!({}));
        let result = async {
            authorize(self.tenants.as_ref(), p, Permission::WebhookManage).await?;
            self.deliveries.enable_endpoint(&p.tenant_id).await?;
            Ok(self.deliveries.health(&p.tenant_id).await?)
        }
        .await;
        settle(&*self.log, &*self.clock, &*self.ids, draft, result).await
    }
}
