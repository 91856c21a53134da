//! PostgreSQL connections: one pool serves reads and writes; row locks serialize commands.

use std::{sync::Arc, time::Duration};

use application::ports::StoreError;
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, TransactionTrait};
use sea_orm_migration::MigratorTrait;

use super::{
    database::{Backend, Database},
    errors::store_error,
    migrations::Migrator,
};

/// Enough for a burst of requests on a small host without exhausting PostgreSQL's default 100.
const MAX_CONNECTIONS: u32 = 16;
/// How long a request waits for a connection, and how long start-up retries an unreachable server.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Batch statements differ by row count, so the cache holds more than the handful of shapes.
const STATEMENT_CACHE: usize = 512;
/// Connections idle longer than this are pinged before use; busy ones are trusted.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);
/// No statement runs longer: a runaway query cannot hold a connection (and its locks) for good.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(15);
/// A statement waiting this long for a lock gives up, so a stuck transaction makes the requests
/// behind it fail fast instead of queueing them all.
pub(super) const LOCK_TIMEOUT: Duration = Duration::from_secs(5);
/// The server ends a session that sits in an open transaction this long (a task that stalled
/// between statements): its locks are released rather than held until the process dies.
const IDLE_IN_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);
/// The planner's default (4) prices an index's heap fetches as if from a spinning disk. With it,
/// a page of a big tenant's orders of one status (or of a small tenant's orders, unfiltered) was
/// read by walking `pk_orders` newest first and dropping thousands of other rows (0.9-1.6 ms at
/// 1.9M orders), not off the (tenant, status, id) / (tenant, id) index made for it (0.04-0.08
/// ms). 1.1 is the usual value for SSDs or a working set in memory; it is this session's, not
/// the server's, so an operator's own setting for other clients stays as it is.
const RANDOM_PAGE_COST: &str = "1.1";

pub(super) async fn connect(url: &str, schema: Option<&str>) -> Result<Database, StoreError> {
    let mut options = options(url);
    if let Some(schema) = schema {
        create_schema(url, schema).await?;
        options.set_schema_search_path(schema);
    }
    let pool = sea_orm::Database::connect(options).await.map_err(store_error)?;
    Ok(Database {
        backend: Backend::Postgres,
        reader: pool.clone(),
        writer: pool,
        alive: Arc::new(()),
        group: None,
        signals: Arc::default(),
    })
}

async fn create_schema(url: &str, schema: &str) -> Result<(), StoreError> {
    let valid = !schema.is_empty()
        && schema.len() <= 63
        && schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(StoreError::Internal(format!(
            "schema name '{schema}' must be 1-63 lower-case letters, digits or '_'"
        )));
    }
    let mut options = options(url);
    options.max_connections(1).min_connections(0);
    let admin = sea_orm::Database::connect(options).await.map_err(store_error)?;
    // The name was checked above, so quoting it is enough; DDL takes no bind parameters.
    admin.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"")).await.map_err(store_error)?;
    admin.close().await.map_err(store_error)
}

fn options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(MAX_CONNECTIONS)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(false)
        // Startup parameters, so every connection the pool ever opens has them, from its first
        // statement on; a SET after connecting would miss connections opened later.
        .map_sqlx_postgres_opts(|o| {
            o.statement_cache_capacity(STATEMENT_CACHE).options([
                ("statement_timeout", millis(STATEMENT_TIMEOUT)),
                ("lock_timeout", millis(LOCK_TIMEOUT)),
                ("idle_in_transaction_session_timeout", millis(IDLE_IN_TRANSACTION_TIMEOUT)),
                ("random_page_cost", RANDOM_PAGE_COST.to_owned()),
            ])
        });
    options
}

fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// Migrations run in one transaction that lifts the statement timeout: building an index over a
/// large table may take longer than any request should. `SET LOCAL` ends with the transaction,
/// so the connection goes back to the pool with its limits. The lock timeout stays: a migration
/// that cannot get its table lock soon fails and changes nothing, rather than queueing every
/// request behind it. (No migration may therefore need to run outside a transaction.)
pub(super) async fn migrate(pool: &DatabaseConnection) -> Result<(), StoreError> {
    let tx = pool.begin().await.map_err(store_error)?;
    tx.execute_unprepared("SET LOCAL statement_timeout = 0").await.map_err(store_error)?;
    Migrator::up(&tx, None).await.map_err(store_error)?;
    tx.commit().await.map_err(store_error)
}
