//! SQLite connections. One connection writes, a few read: SQLite allows one writer at a time
//! anyway, and queueing writers on a one-connection pool is fair and never fails with
//! SQLITE_BUSY, where competing connections would spin in the busy handler. WAL lets the
//! readers run beside the writer. An in-memory database lives in exactly one connection, so
//! there that connection serves reads as well.

use std::{
    sync::{Arc, Weak},
    time::Duration,
};

use application::ports::StoreError;
use sea_orm::{
    ConnAcquireErr, ConnectOptions, ConnectionTrait, DatabaseConnection, DbErr,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

use super::{
    database::{Backend, Database, Durability},
    errors::store_error,
    group_commit::GroupCommit,
};

/// More readers than cores buys little.
const READERS: u32 = 4;
/// How long a request waits for a connection (writers queue here) and start-up for the file.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// A writer outside this process (a CLI migration, a backup) may hold the lock briefly.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Batch statements differ by row count, so the cache holds more than the handful of shapes.
const STATEMENT_CACHE: usize = 512;
/// Checkpoints run beside the writer at this pace, so commits do not pay for them.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// The writer checkpoints itself only if the background checkpointer falls this far behind
/// (pages of 4 KiB); SQLite's default of 1000 would put one in the commit of about every
/// hundredth new order.
const WRITER_CHECKPOINT_PAGES: &str = "10000";

pub(super) async fn connect(url: &str, durability: Durability) -> Result<Database, StoreError> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    let writer = sea_orm::Database::connect(options(url, durability, 1, true)).await.map_err(store_error)?;
    let alive = Arc::new(());
    let reader = if in_memory {
        writer.clone()
    } else {
        let reader = sea_orm::Database::connect(options(url, durability, READERS, false)).await.map_err(store_error)?;
        tokio::spawn(checkpoint_in_background(reader.clone(), Arc::downgrade(&alive)));
        reader
    };
    let group = Some(Arc::new(GroupCommit::new(writer.clone())));
    Ok(Database {
        backend: Backend::Sqlite,
        reader,
        writer,
        alive,
        group,
        signals: Arc::default(),
        admin: None,
        secrets: None,
        background: None,
        counting: None,
    })
}

fn options(url: &str, durability: Durability, max_connections: u32, writer: bool) -> ConnectOptions {
    // Only the writer commits, so the readers' setting costs nothing; one setting for every
    // connection leaves no doubt about which one a checkpoint ran under.
    let synchronous = match durability {
        Durability::Full => SqliteSynchronous::Full,
        Durability::Normal => SqliteSynchronous::Normal,
    };
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .sqlx_logging(false)
        // One function sets them all: SeaORM keeps only the last one given.
        .map_sqlx_sqlite_opts(move |o| {
            let o = o
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .foreign_keys(true)
                .busy_timeout(BUSY_TIMEOUT)
                .statement_cache_capacity(STATEMENT_CACHE)
                .pragma("wal_autocheckpoint", WRITER_CHECKPOINT_PAGES);
            // Each command of a group commit runs in a savepoint, which journals the pages it
            // changes so that it can be rolled back alone. In memory, that sub-journal costs a
            // copy; in a temporary file (the default past 64 KiB) it cost about a hundred writes
            // per created order. Only the writer: a reader's sorts stay free to spill to disk.
            if writer { o.pragma("temp_store", "memory") } else { o }
        });
    if writer {
        // The writer keeps its prepared statements, and an in-memory database its contents.
        options.idle_timeout(None).max_lifetime(None);
    }
    options
}

/// A passive checkpoint copies committed pages from the WAL into the database file without
/// blocking readers or the writer; done here, the fsyncs it needs stay off the commit path.
async fn checkpoint_in_background(reader: DatabaseConnection, alive: Weak<()>) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if alive.strong_count() == 0 {
            return;
        }
        match reader.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)").await {
            Ok(_) => {}
            Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)) => return,
            Err(e) => tracing::warn!(error = %store_error(e), "background WAL checkpoint failed"),
        }
    }
}
