//! PostgreSQL connections: one pool serves reads and writes; row locks serialize commands.

use std::{sync::Arc, time::Duration};

use application::ports::StoreError;
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, TransactionTrait};
use sea_orm_migration::MigratorTrait;

use super::{
    database::{Backend, Database},
    errors::store_error,
    migrations::Migrator,
    order_counting::Counting,
    row_security,
};

/// Enough for a burst of requests on a small host without exhausting PostgreSQL's default 100.
const MAX_CONNECTIONS: u32 = 16;
/// The background workers' own pool: the relay, the fan-out, the dispatcher and the config
/// poll each hold one connection at a time.
const BACKGROUND_CONNECTIONS: u32 = 4;
/// New orders' counts (`order_counting`): each holds a connection for one round trip.
const COUNTING_CONNECTIONS: u32 = 4;
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
    if let Some(schema) = schema {
        check_schema_name(schema)?;
    }
    // Before the pool opens its first connection: a privileged user's connections switch to the
    // app role as they open, so the role must exist by then.
    let admin = admin_connection(url, None).await?;
    if let Some(schema) = schema {
        // The name was checked above, so quoting it is enough; DDL takes no bind parameters.
        admin.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"")).await.map_err(store_error)?;
    }
    admin.execute_unprepared(&row_security::ensure_role_sql()).await.map_err(store_error)?;
    admin.close().await.map_err(store_error)?;

    let pool = app_pool(url, schema, MAX_CONNECTIONS).await?;
    let background = app_pool(url, schema, BACKGROUND_CONNECTIONS).await?;
    let counting = app_pool(url, schema, COUNTING_CONNECTIONS).await?;
    Ok(Database {
        backend: Backend::Postgres,
        reader: pool.clone(),
        writer: pool,
        alive: Arc::new(()),
        group: None,
        signals: Arc::default(),
        admin: Some(Arc::new(Admin { url: url.to_owned(), schema: schema.map(str::to_owned) })),
        secrets: None,
        background: Some(background),
        counting: Some(Counting::new(counting)),
    })
}

/// A pool whose connections query as the app role, held to row-level security.
async fn app_pool(url: &str, schema: Option<&str>, size: u32) -> Result<DatabaseConnection, StoreError> {
    let mut options = options(url, schema);
    options.max_connections(size);
    let enter_app_role = row_security::enter_app_role_sql();
    options.map_sqlx_postgres_pool_opts(move |pool| {
        let sql = enter_app_role.clone();
        pool.after_connect(move |conn, _| {
            let sql = sql.clone();
            Box::pin(async move {
                sea_orm::sqlx::Executor::execute(conn, sea_orm::sqlx::AssertSqlSafe(sql)).await.map(|_| ())
            })
        })
    });
    sea_orm::Database::connect(options).await.map_err(store_error)
}

/// Where migrations connect: the URL's own user (the tables' owner), in the deployment's schema.
pub(super) struct Admin {
    url: String,
    schema: Option<String>,
}

/// One connection as the URL's user, without the switch to the app role: for DDL only.
async fn admin_connection(url: &str, schema: Option<&str>) -> Result<DatabaseConnection, StoreError> {
    let mut options = options(url, schema);
    options.max_connections(1).min_connections(0);
    sea_orm::Database::connect(options).await.map_err(store_error)
}

fn check_schema_name(schema: &str) -> Result<(), StoreError> {
    let valid = !schema.is_empty()
        && schema.len() <= 63
        && schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if valid {
        Ok(())
    } else {
        Err(StoreError::Internal(format!("schema name '{schema}' must be 1-63 lower-case letters, digits or '_'")))
    }
}

fn options(url: &str, schema: Option<&str>) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    let schema = schema.map(str::to_owned);
    options
        .max_connections(MAX_CONNECTIONS)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(false)
        // Startup parameters, so every connection the pool ever opens has them, from its first
        // statement on; a SET after connecting would miss connections opened later.
        .map_sqlx_postgres_opts(move |o| {
            let o = o.statement_cache_capacity(STATEMENT_CACHE).options([
                ("statement_timeout", millis(STATEMENT_TIMEOUT)),
                ("lock_timeout", millis(LOCK_TIMEOUT)),
                ("idle_in_transaction_session_timeout", millis(IDLE_IN_TRANSACTION_TIMEOUT)),
                ("random_page_cost", RANDOM_PAGE_COST.to_owned()),
            ]);
            match &schema {
                // Checked by `check_schema_name`: nothing to quote.
                Some(schema) => o.options([("search_path", schema.clone())]),
                None => o,
            }
        });
    options
}

fn millis(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// Migrations run on a connection of their own as the URL's user (the pool's connections may
/// have switched to the app role, which owns nothing), in one transaction that lifts the statement timeout: building an index over a
/// large table may take longer than any request should. `SET LOCAL` ends with the transaction,
/// so the connection goes back to the pool with its limits. The lock timeout stays: a migration
/// that cannot get its table lock soon fails and changes nothing, rather than queueing every
/// request behind it. (No migration may therefore need to run outside a transaction.)
#[cfg(test)]
pub(super) async fn owner_connection(admin: &Admin) -> Result<DatabaseConnection, StoreError> {
    admin_connection(&admin.url, admin.schema.as_deref()).await
}

pub(super) async fn migrate(admin: &Admin) -> Result<(), StoreError> {
    let conn = admin_connection(&admin.url, admin.schema.as_deref()).await?;
    let tx = conn.begin().await.map_err(store_error)?;
    tx.execute_unprepared("SET LOCAL statement_timeout = 0").await.map_err(store_error)?;
    Migrator::up(&tx, None).await.map_err(store_error)?;
    row_security::secure_schema(&tx).await.map_err(store_error)?;
    tx.commit().await.map_err(store_error)?;
    conn.close().await.map_err(store_error)
}
