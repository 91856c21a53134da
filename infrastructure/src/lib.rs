//! Driven adapters: persistence (SeaORM on SQLite or PostgreSQL), configuration, identity, the
//! event bus (Redis Streams), inbound and outbound webhooks, carriers.

pub mod carriers;
pub mod config;
pub mod event_bus;
pub mod identity;
pub mod persistence;
pub mod rate_limits;
pub mod secrets;
pub mod webhooks_in;
pub mod webhooks_out;
