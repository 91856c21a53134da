//! Driven adapters: persistence (SeaORM on SQLite or PostgreSQL), configuration, identity, the
//! event bus (Redis Streams).

pub mod config;
pub mod event_bus;
pub mod identity;
pub mod persistence;
