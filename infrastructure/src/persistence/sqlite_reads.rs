//! SQLite: a whole order read in one hand-off.
//!
//! sqlx runs each SQLite connection on a thread of its own and hands every statement to it and
//! back. A read in a transaction of its own was four of those (BEGIN, the order's row, its
//! children, COMMIT); here the four go as one compound statement on one pooled connection, so a
//! read sees one snapshot and costs one hand-off.

use application::ports::StoreError;
use sea_orm::{
    QueryResult, Statement, Values,
    sqlx::{AssertSqlSafe, SqlitePool},
};
use sea_query_sqlx::SqlxValues;

use super::errors::from_sqlx;

/// Runs `read` (statements that only read) in a transaction of its own, in one hand-off, and
/// answers with its rows.
pub(super) async fn in_one_snapshot(pool: &SqlitePool, read: Statement) -> Result<Vec<QueryResult>, StoreError> {
    let mut conn = pool.acquire().await.map_err(from_sqlx)?;
    let sql = format!("BEGIN;\n{};\nCOMMIT", read.sql);
    let values = SqlxValues(read.values.unwrap_or(Values(Vec::new())));
    // Built by sea-query from the store's own statements; every value is a bound parameter.
    match sea_orm::sqlx::query_with(AssertSqlSafe(sql), values).fetch_all(&mut *conn).await {
        Ok(rows) => Ok(rows.into_iter().map(QueryResult::from).collect()),
        Err(e) => {
            // The statement may have stopped inside its transaction: the connection goes, not
            // back to the pool with a transaction open.
            let _ = conn.close().await;
            Err(from_sqlx(e))
        }
    }
}
