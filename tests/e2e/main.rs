//! End-to-end tests: the real router over real HTTP on a real database, with tokens verified
//! against a real local JWKS server. One binary for the whole suite (fast CI builds).
//!
//! Without `TEST_DATABASE_URL` every test gets a fresh SQLite file; with it, a fresh PostgreSQL
//! schema (and an unreachable server fails the test rather than skipping it).

mod support;

mod access;
mod attacks;
mod audit;
mod auth;
mod carrier_booking;
mod concurrency;
mod config_admin;
mod durability;
mod event_feed;
mod events_fairness;
mod events_kill_9;
mod events_redis_outage;
mod events_two_instances;
mod fleet_rate_limits;
mod graphiql_offline;
mod http_edges;
mod idempotency;
mod isolation;
mod ledger;
mod metrics;
mod orders_flow;
mod plan_limits;
mod provider;
mod redis_add_order;
mod repository;
mod returns;
mod schema_drift;
mod secrets_at_rest;
mod subscriptions;
mod tenant_routing;
mod transitions;
mod validate_flows;
mod validation;
mod vendor_scope;
mod webhooks_in;
mod webhooks_out;
