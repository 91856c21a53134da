//! Subscriptions, served over graphql-ws at `/graphql/ws` (see `http::ws`).

use async_graphql::{Context, ID, Subscription};
use futures::{Stream, StreamExt};

use crate::graphql::{
    context::{principal, services},
    errors::query,
    types::OrderEvent,
    visibility,
};

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// The events of an order of the caller's tenant as they happen, from the moment of
    /// subscribing (`order:read`). Best effort: events missed while disconnected are not
    /// replayed. An id that names no order of the tenant yields no events (never an error that
    /// would tell whether another tenant has it).
    #[graphql(visible = "visibility::order_read")]
    async fn order_events(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = OrderEvent>> {
        let services = services(ctx);
        let scope = query(services.orders.watch_order_events(principal(ctx)?, &order_id).await)?;
        let events = services.live_events.subscribe().filter(move |event| scope.admits(event));
        Ok(events.map(OrderEvent))
    }
}
