//! SQLite: a command's statements sent to the writer together.
//!
//! sqlx runs each SQLite connection on a worker thread of its own, so every statement costs a
//! hand-off to that thread and back; and the group commit's writer is one connection, held by
//! one command at a time. Those hand-offs, not SQLite's own work, limited the rate of creates:
//! a create was about twelve of them. So a command's writes wait here until it next needs an
//! answer (a read, a counter) or commits, and go then as one compound statement that ends with
//! that read: a create costs two hand-offs.
//!
//! sqlx binds the `?` parameters of a compound statement in order across its statements. A
//! write that must have a row count is followed by `SELECT changes()`, whose one row tells. A
//! statement that fails stops the ones after it; the command's savepoint undoes the ones
//! before it.

use application::ports::StoreError;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, QueryResult, Statement, Value};

use super::{
    errors::store_error,
    writing::{Expect, Shortfall, Write, check_count},
};

/// The check row that follows a counted write.
const CHECK: &str = "SELECT changes() AS deferred_rows";

/// Statements waiting to be sent, with the row counts they must have.
#[derive(Default)]
pub(super) struct Deferred {
    sql: String,
    values: Vec<Value>,
    checks: Vec<(u64, Shortfall)>,
}

impl Deferred {
    /// A statement of no parameters and no count (a savepoint's).
    pub(super) fn push_sql(&mut self, sql: &str) {
        self.append(sql);
    }

    pub(super) fn push(&mut self, write: Write) {
        self.push_statement(write.statement);
        if let Expect::Rows(wanted, short) = write.expect {
            self.append(CHECK);
            self.checks.push((wanted, short));
        }
    }

    /// A statement whose parameters follow the ones before it.
    fn push_statement(&mut self, statement: Statement) {
        let Statement { sql, values, db_backend } = statement;
        debug_assert_eq!(db_backend, DbBackend::Sqlite);
        debug_assert!(!sql.contains('$'), "numbered parameters would not bind across a compound statement");
        self.append(&sql);
        self.values.extend(values.map(|v| v.0).unwrap_or_default());
    }

    fn append(&mut self, sql: &str) {
        if !self.sql.is_empty() {
            self.sql.push_str(";\n");
        }
        self.sql.push_str(sql);
    }

    /// Sends what waits, then `read` if given, in one statement; answers with `read`'s rows.
    pub(super) async fn send(
        &mut self,
        tx: &DatabaseTransaction,
        read: Option<Statement>,
    ) -> Result<Vec<QueryResult>, StoreError> {
        if let Some(read) = read {
            self.push_statement(read);
        } else if self.checks.is_empty() {
            let Deferred { sql, values, .. } = std::mem::take(self);
            if !sql.is_empty() {
                tx.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
                    .await
                    .map_err(store_error)?;
            }
            return Ok(Vec::new());
        }
        let Deferred { sql, values, checks } = std::mem::take(self);
        let mut rows = tx
            .query_all_raw(Statement::from_sql_and_values(DbBackend::Sqlite, sql, values))
            .await
            .map_err(store_error)?;
        if rows.len() < checks.len() {
            return Err(StoreError::Internal("a compound statement answered fewer check rows than it asked".into()));
        }
        let read_rows = rows.split_off(checks.len());
        for (row, (wanted, short)) in rows.iter().zip(checks) {
            check_count(tx, row, "deferred_rows", wanted, short).await?;
        }
        Ok(read_rows)
    }
}

/// Statements that only read, as one compound statement: their texts joined, their parameters
/// in order.
pub(super) fn compound<const N: usize>(statements: [Statement; N]) -> Statement {
    let mut joined = Deferred::default();
    for statement in statements {
        joined.push_statement(statement);
    }
    Statement::from_sql_and_values(DbBackend::Sqlite, joined.sql, joined.values)
}
