//! The GraphQL schema.

pub mod context;
pub mod errors;
pub mod inputs;
pub mod mutation;
pub mod query;
pub mod types;
pub mod visibility;

use async_graphql::{EmptySubscription, Schema};

use crate::Services;

pub type AppSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Deepest query accepted; the deepest useful one (shipment → order → lines → unitPrice) is ~6.
pub const MAX_DEPTH: usize = 12;
/// Highest query complexity accepted until per-plan limits apply.
pub const MAX_COMPLEXITY: usize = 5_000;

pub fn build_schema(services: Services) -> AppSchema {
    Schema::build(query::Query, mutation::Mutation, EmptySubscription)
        .data(services)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

/// The SDL that `schema.graphql` must equal. Built without services: it only describes types.
pub fn sdl() -> String {
    Schema::build(query::Query, mutation::Mutation, EmptySubscription).finish().sdl()
}
