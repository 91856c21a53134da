//! Driven adapters: persistence (SeaORM on SQLite or PostgreSQL), configuration, identity,
//! outbound webhooks.

pub mod config;
pub mod identity;
pub mod persistence;
pub mod webhooks_out;
