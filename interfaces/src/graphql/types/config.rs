//! The tenant's own settings as its admins see them: a secret is only ever "configured or not".

use application::ports::{ConfigChangeView, OutboundWebhookView, TenantConfigView};
use async_graphql::{ComplexObject, Context, SimpleObject};
use chrono::{DateTime, Utc};

use crate::graphql::{
    context::{principal, services},
    errors::query,
};

#[derive(SimpleObject, Clone, Debug)]
pub struct RoleGrant {
    pub role: String,
    pub permissions: Vec<String>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct OutboundWebhook {
    pub url: String,
    pub events: Vec<String>,
    /// Whether a signing secret is set (it is never shown).
    pub has_secret: bool,
}

impl From<OutboundWebhookView> for OutboundWebhook {
    fn from(w: OutboundWebhookView) -> Self {
        OutboundWebhook { url: w.url, events: w.events, has_secret: w.has_secret }
    }
}

/// One version of the tenant config: who changed what, when (values are not repeated here).
#[derive(SimpleObject, Clone, Debug)]
pub struct ConfigChange {
    pub version: i64,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
    pub summary: String,
}

impl From<ConfigChangeView> for ConfigChange {
    fn from(c: ConfigChangeView) -> Self {
        ConfigChange { version: c.version, changed_by: c.changed_by, changed_at: c.changed_at, summary: c.summary }
    }
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct TenantConfig {
    /// Percent, as a decimal string.
    pub restocking_fee_percent: Option<String>,
    /// Decimal string, read in the order's currency.
    pub max_refund_amount: Option<String>,
    pub auto_confirm_orders: bool,
    /// `null`: the default roles apply (vendor, tenant_admin).
    pub roles: Option<Vec<RoleGrant>>,
    pub outbound_webhook: Option<OutboundWebhook>,
    /// 0 until the first change; pass it as `expectedVersion`.
    pub version: i64,
    pub changed_by: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
}

#[ComplexObject]
impl TenantConfig {
    /// Earlier versions, newest first; `before` is a version number.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        before: Option<i64>,
    ) -> async_graphql::Result<Vec<ConfigChange>> {
        let changes = query(services(ctx).tenant_configs.history(principal(ctx)?, first.map(i64::from), before).await)?;
        Ok(changes.into_iter().map(ConfigChange::from).collect())
    }
}

impl From<TenantConfigView> for TenantConfig {
    fn from(c: TenantConfigView) -> Self {
        TenantConfig {
            restocking_fee_percent: c.restocking_fee_percent,
            max_refund_amount: c.max_refund_amount,
            auto_confirm_orders: c.auto_confirm_orders,
            roles: c
                .roles
                .map(|roles| roles.into_iter().map(|(role, permissions)| RoleGrant { role, permissions }).collect()),
            outbound_webhook: c.outbound_webhook.map(Into::into),
            version: c.version,
            changed_by: c.changed_by,
            changed_at: c.changed_at,
        }
    }
}
