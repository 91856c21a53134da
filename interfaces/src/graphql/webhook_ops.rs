//! Outbound webhooks: the tenant's deliveries, sending one or all since a time again, and
//! re-enabling a disabled endpoint. Merged into the root query and mutation types (see `graphql::mod`).

use application::events::DeliveryListQuery;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject, connection::Connection};
use chrono::{DateTime, Utc};

use crate::graphql::{
    context::{mutation_principal, principal, services},
    errors::{UserError, payload, query, respond},
    query::connection,
    types::{WebhookDelivery, WebhookDeliveryStatus, WebhookEndpointStatus},
    visibility,
};

#[derive(InputObject, Default)]
pub struct WebhookDeliveryFilter {
    /// Exact event type, e.g. `order.created`.
    pub event_type: Option<String>,
    pub status: Option<WebhookDeliveryStatus>,
}

#[derive(InputObject)]
pub struct RedeliverWebhookInput {
    /// A delivery's id (from `webhookDeliveries`).
    pub id: ID,
}

#[derive(SimpleObject, Default)]
pub struct RedeliverWebhookPayload {
    pub delivery: Option<WebhookDelivery>,
    pub user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RedeliverWebhooksInput {
    /// Every delivery created at or after this time is sent again; not in the future.
    pub since: DateTime<Utc>,
}

#[derive(SimpleObject, Default)]
pub struct RedeliverWebhooksPayload {
    /// How many deliveries were made due again.
    pub count: Option<i64>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct WebhookEndpointPayload {
    pub endpoint: Option<WebhookEndpointStatus>,
    pub user_errors: Vec<UserError>,
}

payload!(RedeliverWebhookPayload, RedeliverWebhooksPayload, WebhookEndpointPayload);

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// Deliveries to the tenant's outbound webhook, newest first, each with its attempts.
    #[graphql(
        visible = "visibility::webhook_read",
        complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<WebhookDeliveryFilter>,
    ) -> async_graphql::Result<Connection<String, WebhookDelivery>> {
        let filter = filter.unwrap_or_default();
        let q = DeliveryListQuery {
            first: first.map(i64::from),
            after,
            event_type: filter.event_type,
            status: filter.status.map(Into::into),
        };
        let page = query(services(ctx).webhooks.deliveries(principal(ctx)?, q).await)?;
        Ok(connection(page.deliveries, page.has_next_page, |d| (d.id.to_string(), WebhookDelivery(d))))
    }

    /// Whether the tenant's outbound webhook is failing or disabled.
    #[graphql(visible = "visibility::webhook_read")]
    async fn webhook_endpoint(&self, ctx: &Context<'_>) -> async_graphql::Result<WebhookEndpointStatus> {
        Ok(query(services(ctx).webhooks.endpoint_health(principal(ctx)?).await)?.into())
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Sends a delivery again, with the same `webhook-id`, whatever its state.
    #[graphql(visible = "visibility::webhook_manage")]
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        input: RedeliverWebhookInput,
    ) -> async_graphql::Result<RedeliverWebhookPayload> {
        let r = services(ctx).webhooks.redeliver(mutation_principal(ctx).await?, input.id.as_str()).await;
        respond(r, |d| RedeliverWebhookPayload { delivery: Some(WebhookDelivery(d)), user_errors: vec![] })
    }

    /// Sends every delivery created since `since` again, soon, whatever its state, each with its
    /// own `webhook-id`: for a partner that lost what it had received.
    #[graphql(visible = "visibility::webhook_manage")]
    async fn redeliver_webhooks(
        &self,
        ctx: &Context<'_>,
        input: RedeliverWebhooksInput,
    ) -> async_graphql::Result<RedeliverWebhooksPayload> {
        let r = services(ctx).webhooks.redeliver_since(mutation_principal(ctx).await?, input.since).await;
        respond(r, |count| RedeliverWebhooksPayload {
            count: Some(i64::try_from(count).unwrap_or(i64::MAX)),
            user_errors: vec![],
        })
    }

    /// Re-enables a disabled outbound webhook: the deliveries that waited are sent.
    #[graphql(visible = "visibility::webhook_manage")]
    async fn enable_webhook_endpoint(&self, ctx: &Context<'_>) -> async_graphql::Result<WebhookEndpointPayload> {
        let r = services(ctx).webhooks.enable_endpoint(mutation_principal(ctx).await?).await;
        respond(r, |h| WebhookEndpointPayload { endpoint: Some(h.into()), user_errors: vec![] })
    }
}
