//! The tenant's pull feed of events. Merged into the root query type (see `graphql::mod`).

use std::sync::Arc;

use application::events::FeedListQuery;
use async_graphql::{Context, ID, InputObject, Object, connection::Connection};

use crate::graphql::{
    context::{principal, services},
    errors::query,
    query::connection,
    types::{EVENT_PAGE_COST, OrderEvent},
    visibility,
};

#[derive(InputObject, Default)]
pub struct EventFilter {
    /// Exact event types, e.g. `["order.created", "shipment.delivered"]`; absent or empty means
    /// every type. At most 50.
    pub types: Option<Vec<String>>,
    /// Only the events of this order.
    pub aggregate_id: Option<ID>,
}

#[derive(Default)]
pub struct EventFeedQuery;

#[Object]
impl EventFeedQuery {
    /// Every event of the tenant, oldest first: what the outbound webhook sends, for a partner
    /// to pull, or to catch up with after being down. Keep the last `pageInfo.endCursor` and pass
    /// it as `after`: the order never changes, and a cursor stays valid for good. Events are
    /// kept at least 90 days. On PostgreSQL the last ten seconds' events are held back, so that
    /// a page never ends before an event still committing. `first` ≤ 100 (default 20).
    #[graphql(
        visible = "visibility::webhook_read",
        complexity = "EVENT_PAGE_COST + first.unwrap_or(20).clamp(1, 100) as usize * child_complexity"
    )]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<EventFilter>,
    ) -> async_graphql::Result<Connection<String, OrderEvent>> {
        let filter = filter.unwrap_or_default();
        let q = FeedListQuery {
            first: first.map(i64::from),
            after,
            types: filter.types,
            aggregate_id: filter.aggregate_id.map(|id| id.0),
        };
        let page = query(services(ctx).event_feed.feed(principal(ctx)?, q).await)?;
        Ok(connection(page.events, page.has_next_page, |e| (e.id.to_string(), OrderEvent(Arc::new(e)))))
    }
}
