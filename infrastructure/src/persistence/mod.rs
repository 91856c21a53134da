//! Persistence of the Order aggregate with SeaORM: one code path for SQLite and PostgreSQL.
//!
//! Layout: `database` (the public handle) with `sqlite` and `postgres` (their connections),
//! `entities` (row shapes), `migrations` (the schema), `keys` (unique key names shared by both),
//! `mapping` (domain <-> rows), `loading` (whole-aggregate reads: the rows, then `children` in
//! one query), `listing` (the rows of a page of orders), `writing` (insert, and update of what
//! changed), `order_store` / `order_tx` / `audit_store` / `config_store` / `outbox_relay` /
//! `outbox_reader` / `webhook_store` (the ports), `errors` (database errors in port terms).
//! Nothing but `Database` leaves this module.

mod audit_store;
mod children;
mod combined;
mod config_store;
mod database;
mod deferred;
mod entities;
mod errors;
mod group_commit;
mod keys;
mod listing;
mod loading;
mod mapping;
mod migrations;
mod order_counting;
mod order_store;
mod order_tx;
mod outbox_reader;
mod outbox_relay;
mod postgres;
mod row_security;
mod scope;
mod sqlite;
mod sqlite_reads;
#[cfg(test)]
mod tests;
mod webhook_attempts;
mod webhook_claim;
mod webhook_store;
mod writing;

pub use database::{Database, Durability, PoolUsage, Signals};
