//! The GraphQL schema.

pub mod config_inputs;
pub mod config_ops;
pub mod context;
pub mod document_cost;
pub mod errors;
pub mod event_feed_ops;
pub mod inputs;
pub mod live_events;
pub mod mutation;
pub mod query;
pub mod query_budget;
pub mod subscription;
pub mod types;
pub mod visibility;
pub mod webhook_ops;

use async_graphql::{MergedObject, Schema};

use crate::{Services, graphql::subscription::SubscriptionRoot};

/// Every query: the order operations, the configuration operations, the webhook deliveries and
/// the event feed.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(query::Query, config_ops::ConfigQuery, webhook_ops::WebhookQuery, event_feed_ops::EventFeedQuery);

/// Every mutation: the order operations and the configuration operations.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(mutation::Mutation, config_ops::ConfigMutation, webhook_ops::WebhookMutation);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Deepest query accepted; the deepest useful one (shipment → order → lines → unitPrice) is ~6.
pub const MAX_DEPTH: usize = 12;
/// Highest query complexity accepted until per-plan limits apply.
pub const MAX_COMPLEXITY: usize = 5_000;

pub fn build_schema(services: Services) -> AppSchema {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        .data(services)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .extension(query_budget::PlanComplexityLimit)
        .finish()
}

/// The SDL that `schema.graphql` must equal. Built without services: it only describes types.
pub fn sdl() -> String {
    Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot).finish().sdl()
}
