//! Database errors in port terms. A `Conflict`'s text reaches the client as it is, so it is
//! fixed and says nothing of the schema; the driver's words and the constraint go to the log here.
//! `Unavailable` and `Internal` carry the driver's words: the application only logs those and
//! answers "internal error". No message carries the statement text or the connection URL.

use application::ports::StoreError;
use sea_orm::{
    DbErr, RuntimeErr,
    sqlx::{self, error::ErrorKind},
};

use super::keys::{self, Violation};

/// The whole of what a client learns about a transaction that lost to a concurrent one.
pub(super) const CONCURRENT_CHANGE: &str = "a concurrent change interfered; retry";

pub(super) fn store_error(err: DbErr) -> StoreError {
    match err {
        DbErr::ConnectionAcquire(e) => StoreError::Unavailable(format!("no database connection available: {e}")),
        DbErr::Conn(e) => StoreError::Unavailable(format!("cannot reach the database: {e}")),
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => sqlx_error(&e),
        other => StoreError::Internal(other.to_string()),
    }
}

/// An error of sqlx used directly, not through SeaORM.
pub(super) fn from_sqlx(err: sqlx::Error) -> StoreError {
    sqlx_error(&err)
}

fn sqlx_error(err: &sqlx::Error) -> StoreError {
    match err {
        sqlx::Error::Database(db) => database_error(db.as_ref()),
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
        other => StoreError::Internal(other.to_string()),
    }
}

fn database_error(db: &dyn sqlx::error::DatabaseError) -> StoreError {
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    if db.kind() == ErrorKind::UniqueViolation {
        return match violated_key(db) {
            Some(key) => match key.violation {
                Violation::Duplicate(taken) => {
                    tracing::debug!(key = key.name, "unique key taken");
                    StoreError::Duplicate(taken)
                }
                Violation::LostRace => {
                    tracing::warn!(key = key.name, "a concurrent writer took a unique key first");
                    StoreError::Conflict(CONCURRENT_CHANGE.to_owned())
                }
                Violation::Bug => StoreError::Internal(format!("unique key {} violated", key.name)),
            },
            None => StoreError::Internal(format!("unique constraint violated: {}", db.message())),
        };
    }
    match code.as_str() {
        // PostgreSQL: serialization failure, deadlock. The transaction lost a race; a retry may win.
        "40001" | "40P01" => {
            tracing::warn!(code = %code, error = db.message(), "transaction lost to a concurrent one");
            StoreError::Conflict(CONCURRENT_CHANGE.to_owned())
        }
        // PostgreSQL: connection exceptions, shutdown, too many connections, out of resources;
        // and the session limits `postgres` sets: lock or statement timeout, idle transaction.
        c if c.starts_with("08")
            || c.starts_with("53")
            || c.starts_with("57P")
            || matches!(c, "55P03" | "57014" | "25P03") =>
        {
            StoreError::Unavailable(format!("database error {c}: {}", db.message()))
        }
        // SQLite: SQLITE_BUSY and its extended codes (517 = BUSY_SNAPSHOT, 261 = BUSY_RECOVERY).
        "5" | "261" | "517" => StoreError::Unavailable(format!("database is busy: {}", db.message())),
        c => StoreError::Internal(format!("database error {c}: {}", db.message())),
    }
}

/// PostgreSQL names the violated index; SQLite lists its columns after a fixed prefix.
fn violated_key(db: &dyn sqlx::error::DatabaseError) -> Option<&'static keys::UniqueKey> {
    if let Some(name) = db.constraint() {
        return keys::ALL.into_iter().find(|k| k.name == name);
    }
    let columns = db.message().strip_prefix("UNIQUE constraint failed: ")?;
    keys::ALL.into_iter().find(|k| k.sqlite_signature() == columns)
}
