//! The one place transactions begin: each is opened in a scope, which on PostgreSQL is what the
//! row-level security policies (`row_security`) admit.
//!
//! - `Scope::Tenant(id)` sets `app.current_tenant` for the transaction: every table with a
//!   `tenant_id` shows and accepts that tenant's rows only, so a query that forgot its tenant
//!   filter still cannot reach another tenant.
//! - `Scope::Platform` sets `app.platform = 'on'`: the rows of every tenant, for the few code
//!   paths whose job spans tenants (the outbox relay, the webhook dispatcher's claims, platform
//!   audit records, the config store's revision counter, operators' counts). Each is a visible
//!   `Scope::Platform` at its call site; grep for it to review them all.
//!
//! Both settings are `set_config(…, true)`: local to the transaction, gone at its end, so a
//! pooled connection never carries one request's tenant into the next. Outside a transaction
//! neither is set and the policies show no rows (they fail closed).
//!
//! Cost: one statement after `BEGIN` (sea-orm's `begin` sends `BEGIN` alone and waits for it, so
//! the two cannot share a round trip). SQLite has no row-level security: there the scope only
//! decides nothing, and a read begins a deferred transaction, which costs no I/O.

use application::ports::StoreError;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};

use super::errors::store_error;

/// Whose rows a transaction may see and write.
#[derive(Clone, Copy, Debug)]
pub(super) enum Scope<'a> {
    Tenant(&'a str),
    Platform,
}

/// A write transaction. IMMEDIATE takes SQLite's write lock at BEGIN: a transaction that read
/// first and wrote later could otherwise fail to upgrade its lock. PostgreSQL ignores the mode.
pub(super) async fn begin_write(
    conn: &DatabaseConnection,
    scope: Scope<'_>,
) -> Result<DatabaseTransaction, StoreError> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    let tx = conn.begin_with_options(options).await.map_err(store_error)?;
    enter(&tx, scope).await?;
    Ok(tx)
}

/// A read transaction: the reads in it see one snapshot and, on PostgreSQL, one scope.
pub(super) async fn begin_read(conn: &DatabaseConnection, scope: Scope<'_>) -> Result<DatabaseTransaction, StoreError> {
    let tx = conn.begin().await.map_err(store_error)?;
    enter(&tx, scope).await?;
    Ok(tx)
}

/// Sets the scope of a transaction just begun (PostgreSQL; nothing to do on SQLite).
pub(super) async fn enter(tx: &impl ConnectionTrait, scope: Scope<'_>) -> Result<(), StoreError> {
    if tx.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let statement = match scope {
        Scope::Tenant(tenant) => Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT set_config('app.current_tenant', $1, true)",
            [tenant.into()],
        ),
        Scope::Platform => Statement::from_string(DbBackend::Postgres, "SELECT set_config('app.platform', 'on', true)"),
    };
    tx.execute_raw(statement).await.map_err(store_error)?;
    Ok(())
}
