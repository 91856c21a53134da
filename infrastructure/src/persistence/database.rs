//! Connections to SQLite or PostgreSQL, chosen by the URL, and the entry points the composition
//! root uses: migrate, then hand out the `OrderStore`.

use std::{sync::Arc, time::Duration};

use application::ports::{OrderStore, StoreError};
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use sea_orm_migration::MigratorTrait;

use super::{errors::store_error, migrations::Migrator, order_store::SeaOrderStore};

/// Enough for a burst of requests on a small host without exhausting PostgreSQL's default 100.
const POSTGRES_MAX_CONNECTIONS: u32 = 16;
/// WAL lets readers run beside the writer; more of them than cores buys little.
const SQLITE_READERS: u32 = 4;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// A writer outside this process (a CLI migration, a backup) may hold SQLite's lock briefly.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Batch statements differ by row count, so the cache holds more than the handful of shapes.
const STATEMENT_CACHE: usize = 512;
/// Connections idle longer than this are pinged before use; busy ones are trusted.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// The database of one process: a read pool and a write pool (the same pool on PostgreSQL).
#[derive(Clone)]
pub struct Database {
    backend: Backend,
    pub(super) reader: DatabaseConnection,
    pub(super) writer: DatabaseConnection,
}

impl std::fmt::Debug for Database {
    // The pools' own Debug output may include connection options; the backend is all that is safe.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("backend", &self.backend_name()).finish_non_exhaustive()
    }
}

impl Database {
    /// `sqlite://path?mode=rwc`, `sqlite::memory:` or `postgres://...`.
    pub async fn connect(url: &str) -> Result<Database, StoreError> {
        match backend_of(url)? {
            Backend::Sqlite => connect_sqlite(url).await,
            Backend::Postgres => connect_postgres(url, None).await,
        }
    }

    /// PostgreSQL only: every connection works in `schema` (created if missing), so tests can
    /// each have a fresh, isolated schema in one database.
    pub async fn connect_in_schema(url: &str, schema: &str) -> Result<Database, StoreError> {
        if backend_of(url)? != Backend::Postgres {
            return Err(StoreError::Internal("schemas are only supported on PostgreSQL".to_owned()));
        }
        let valid = !schema.is_empty()
            && schema.len() <= 63
            && schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return Err(StoreError::Internal(format!(
                "schema name '{schema}' must be 1-63 lower-case letters, digits or '_'"
            )));
        }
        let mut options = postgres_options(url);
        options.max_connections(1).min_connections(0);
        let admin = sea_orm::Database::connect(options).await.map_err(store_error)?;
        // The name was checked above, so quoting it is enough; DDL takes no bind parameters.
        admin.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"")).await.map_err(store_error)?;
        admin.close().await.map_err(store_error)?;
        connect_postgres(url, Some(schema)).await
    }

    /// Applies the migrations not yet applied; running it again changes nothing.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.writer, None).await.map_err(store_error)
    }

    pub fn order_store(&self) -> Arc<dyn OrderStore> {
        Arc::new(SeaOrderStore { reader: self.reader.clone(), writer: self.writer.clone() })
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Closes the pools; on SQLite the last connection to close checkpoints the WAL.
    pub async fn close(&self) -> Result<(), StoreError> {
        self.reader.close_by_ref().await.map_err(store_error)?;
        self.writer.close_by_ref().await.map_err(store_error)
    }
}

fn backend_of(url: &str) -> Result<Backend, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        // The URL itself stays out of the message: it may carry a password.
        Err(StoreError::Internal("database URL must start with sqlite: or postgres://".to_owned()))
    }
}

async fn connect_postgres(url: &str, schema: Option<&str>) -> Result<Database, StoreError> {
    let mut options = postgres_options(url);
    if let Some(schema) = schema {
        options.set_schema_search_path(schema);
    }
    let pool = sea_orm::Database::connect(options).await.map_err(store_error)?;
    Ok(Database { backend: Backend::Postgres, reader: pool.clone(), writer: pool })
}

fn postgres_options(url: &str) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(POSTGRES_MAX_CONNECTIONS)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(|o| o.statement_cache_capacity(STATEMENT_CACHE));
    options
}

/// One connection writes, a few read. SQLite allows one writer at a time anyway; queueing
/// writers on the pool is fair and never fails with SQLITE_BUSY, where competing connections
/// would spin in the busy handler. An in-memory database lives in exactly one connection, so
/// there the single connection serves reads as well.
async fn connect_sqlite(url: &str) -> Result<Database, StoreError> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let writer = sea_orm::Database::connect(sqlite_options(url, 1, true)).await.map_err(store_error)?;
    let reader = if in_memory {
        writer.clone()
    } else {
        sea_orm::Database::connect(sqlite_options(url, SQLITE_READERS, false)).await.map_err(store_error)?
    };
    Ok(Database { backend: Backend::Sqlite, reader, writer })
}

fn sqlite_options(url: &str, max_connections: u32, keep_alive: bool) -> ConnectOptions {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .statement_cache_capacity(STATEMENT_CACHE)
        });
    if keep_alive {
        // The writer keeps its prepared statements, and an in-memory database its contents.
        options.idle_timeout(None).max_lifetime(None);
    }
    options
}
