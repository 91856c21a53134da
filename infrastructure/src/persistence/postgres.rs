//! PostgreSQL connections: one pool serves reads and writes; row locks serialize commands.

use std::{sync::Arc, time::Duration};

use application::ports::StoreError;
use sea_orm::{ConnectOptions, ConnectionTrait};

use super::{
    database::{Backend, Database},
    errors::store_error,
};

/// Enough for a burst of requests on a small host without exhausting PostgreSQL's default 100.
const MAX_CONNECTIONS: u32 = 16;
/// How long a request waits for a connection, and how long start-up retries an unreachable server.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Batch statements differ by row count, so the cache holds more than the handful of shapes.
const STATEMENT_CACHE: usize = 512;
/// Connections idle longer than this are pinged before use; busy ones are trusted.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

pub(super) async fn connect(url: &str, schema: Option<&str>) -> Result<Database, StoreError> {
    let mut options = options(url);
    if let Some(schema) = schema {
        create_schema(url, schema).await?;
        options.set_schema_search_path(schema);
    }
    let pool = sea_orm::Database::connect(options).await.map_err(store_error)?;
    Ok(Database { backend: Backend::Postgres, reader: pool.clone(), writer: pool, alive: Arc::new(()) })
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
        .map_sqlx_postgres_opts(|o| o.statement_cache_capacity(STATEMENT_CACHE));
    options
}
