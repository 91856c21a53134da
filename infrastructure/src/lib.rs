//! Driven adapters: persistence (SeaORM on SQLite or PostgreSQL), configuration, identity.

pub mod config;
pub mod identity;
pub mod persistence;
