//! PostgreSQL: a transaction's last small writes sent as one statement.
//!
//! A new order's number is taken last, and its counter row stays locked until the commit; every
//! round trip between the two lengthens the queue of concurrent creates behind that row. So the
//! writes a command makes after its last read (renumbering, the outbox events, the idempotency
//! key, the audit record) wait here and go with the commit as one statement: each a
//! data-modifying `WITH` part, which PostgreSQL runs exactly once whether or not the final
//! `SELECT` reads it; that `SELECT` counts the rows of the writes that must have a count.
//!
//! Only writes that do not read each other's rows are sent this way (the parts of one statement
//! share a snapshot): inserts of independent rows, and the renumbering of an order inserted by
//! an earlier statement.

use application::ports::StoreError;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, Value};

use super::{
    errors::store_error,
    writing::{Expect, Shortfall, Write, check_count, run},
};

/// Sends `writes` in one round trip (as they are, when there is only one).
pub(super) async fn send(tx: &DatabaseTransaction, writes: Vec<Write>) -> Result<(), StoreError> {
    if writes.len() < 2 {
        return run(tx, writes).await;
    }
    let (statement, checks) = combine(writes);
    let rows = tx.query_all_raw(statement).await.map_err(store_error)?;
    let row = rows.first().ok_or_else(|| StoreError::Internal("a combined write answered no row".into()))?;
    for (i, (wanted, short)) in checks.into_iter().enumerate() {
        check_count(tx, row, &format!("c{i}"), wanted, short).await?;
    }
    Ok(())
}

/// `WITH w0 AS (…), w1 AS (… RETURNING 1) SELECT (SELECT count(*) FROM w1) AS c0`, with the
/// parameters of each part renumbered after the ones before it.
fn combine(writes: Vec<Write>) -> (Statement, Vec<(u64, Shortfall)>) {
    let mut parts = Vec::with_capacity(writes.len());
    let mut counts = Vec::new();
    let mut checks = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for (i, write) in writes.into_iter().enumerate() {
        let Statement { sql, values: own, .. } = write.statement;
        let sql = shift_parameters(&sql, values.len());
        values.extend(own.map(|v| v.0).unwrap_or_default());
        match write.expect {
            Expect::Any => parts.push(format!("w{i} AS ({sql})")),
            Expect::Rows(wanted, short) => {
                parts.push(format!("w{i} AS ({sql} RETURNING 1)"));
                counts.push(format!("(SELECT count(*) FROM w{i}) AS c{}", checks.len()));
                checks.push((wanted, short));
            }
        }
    }
    let select = if counts.is_empty() { "1 AS c".to_owned() } else { counts.join(", ") };
    let sql = format!("WITH {} SELECT {select}", parts.join(", "));
    (Statement::from_sql_and_values(DbBackend::Postgres, sql, values), checks)
}

/// `$n` becomes `$(n + by)`. The statements are sea-query's, with every value a parameter, so a
/// `$` followed by digits is always a parameter.
fn shift_parameters(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_renumbered_after_the_earlier_parts() {
        assert_eq!(shift_parameters("SELECT $1, $2, $10", 3), "SELECT $4, $5, $13");
        assert_eq!(shift_parameters("SELECT $1", 0), "SELECT $1");
        assert_eq!(shift_parameters("SELECT '$'", 2), "SELECT '$'");
    }

    #[test]
    fn counted_writes_are_selected_and_the_others_only_run() {
        let write = |sql: &str, values: Vec<Value>, expect| Write {
            statement: Statement::from_sql_and_values(DbBackend::Postgres, sql, values),
            expect,
        };
        let (statement, checks) = combine(vec![
            write("UPDATE t SET a = $1 WHERE id = $2", vec![1.into(), "x".into()], Expect::Any),
            write(
                "INSERT INTO k VALUES ($1) ON CONFLICT DO NOTHING",
                vec!["key".into()],
                Expect::Rows(1, Shortfall::Error(StoreError::Internal("taken".into()))),
            ),
        ]);
        assert_eq!(
            statement.sql,
            "WITH w0 AS (UPDATE t SET a = $1 WHERE id = $2), \
             w1 AS (INSERT INTO k VALUES ($3) ON CONFLICT DO NOTHING RETURNING 1) \
             SELECT (SELECT count(*) FROM w1) AS c0"
        );
        assert_eq!(statement.values.unwrap().0.len(), 3);
        assert_eq!(checks.len(), 1);
    }
}
