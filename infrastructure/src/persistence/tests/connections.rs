//! How connections are set up: SQLite's durability and PostgreSQL's session limits. Not contracts
//! (each concerns one backend), so plain tests beside them.

use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

use super::harness::TestDb;
use crate::persistence::{Database, Durability};

async fn show(conn: &impl ConnectionTrait, sql: &str) -> String {
    let row =
        conn.query_one_raw(Statement::from_string(conn.get_database_backend(), sql)).await.unwrap().expect("one row");
    // SQLite answers PRAGMA synchronous with a number, PostgreSQL answers SHOW with text.
    row.try_get_by_index::<i64>(0).map(|n| n.to_string()).or_else(|_| row.try_get_by_index::<String>(0)).unwrap()
}

async fn synchronous(db: &Database) -> (String, String) {
    (show(&db.writer, "PRAGMA synchronous").await, show(&db.reader, "PRAGMA synchronous").await)
}

/// 2 is FULL, 1 is NORMAL, on the writer and the readers alike.
#[tokio::test]
async fn sqlite_durability_sets_synchronous() {
    let dir = TestDb::sqlite().await;
    let url = dir.sqlite_url().expect("a SQLite test database");
    for (db, expected) in [
        (Database::connect_durable(&url).await.unwrap(), "2"),
        (Database::connect_with(&url, Durability::Full).await.unwrap(), "2"),
        (Database::connect(&url).await.unwrap(), "1"),
    ] {
        assert_eq!(synchronous(&db).await, (expected.to_owned(), expected.to_owned()));
        db.close().await.unwrap();
    }
    dir.finish().await;
}

/// Every pooled connection carries the limits (and the planner's page cost), and a migration lifts
/// only the statement timeout, only for itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_carry_session_timeouts() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set; PostgreSQL test skipped");
        return;
    };
    // Each open transaction holds a connection of its own, so these are three connections.
    let mut held = Vec::new();
    for _ in 0..3 {
        let tx = db.db.writer.begin().await.unwrap();
        assert_eq!(show(&tx, "SHOW statement_timeout").await, "15s");
        assert_eq!(show(&tx, "SHOW lock_timeout").await, "5s");
        assert_eq!(show(&tx, "SHOW idle_in_transaction_session_timeout").await, "30s");
        assert_eq!(show(&tx, "SHOW random_page_cost").await, "1.1");
        held.push(tx);
    }
    drop(held);
    db.db.migrate().await.unwrap();
    let after = show(&db.db.writer, "SHOW statement_timeout").await;
    assert_eq!(after, "15s", "SET LOCAL ended with the migration");
    db.finish().await;
}

/// The SQLite this workspace builds keeps a prepared statement's plan whatever is bound to it
/// (`.cargo/config.toml`), so statements with `LIMIT ?` stay prepared instead of being parsed
/// and planned again on every run.
#[tokio::test]
async fn sqlite_keeps_its_query_plans_stable() {
    let db = TestDb::sqlite().await;
    let options: Vec<String> = db
        .db
        .reader
        .query_all_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA compile_options"))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect();
    assert!(options.iter().any(|o| o == "ENABLE_QPSG"), "{options:?}");
    db.finish().await;
}

/// The writer keeps its savepoints' journal in memory (2) and readers keep the default (0);
/// every connection checks foreign keys and waits out a lock held outside the process.
#[tokio::test]
async fn sqlite_writer_and_readers_have_their_settings() {
    let dir = TestDb::sqlite().await;
    let url = dir.sqlite_url().expect("a SQLite test database");
    let db = Database::connect_durable(&url).await.unwrap();
    assert_eq!(
        (show(&db.writer, "PRAGMA temp_store").await, show(&db.reader, "PRAGMA temp_store").await),
        ("2".into(), "0".into())
    );
    for conn in [&db.writer, &db.reader] {
        assert_eq!(show(conn, "PRAGMA foreign_keys").await, "1");
        assert_eq!(show(conn, "PRAGMA busy_timeout").await, "5000");
        assert_eq!(show(conn, "PRAGMA journal_mode").await, "wal");
    }
    db.close().await.unwrap();
    dir.finish().await;
}
