//! PostgreSQL: a new order's two counters (its number, and the order counted in its month) in a
//! transaction of their own, outside the order's.
//!
//! Why: each counter is one row per tenant. Taken inside the order's transaction, the row stayed
//! locked until that transaction committed, so a tenant's creates ran one at a time, each
//! holding the row through two client round trips and its commit; under load the server's own
//! scheduling stretched those round trips, and 61 % of the waiting connections were queued on
//! that row (pg_stat_activity, issue 9). Here the increments are one message in the simple query
//! protocol (the scope, then the upserts: PostgreSQL runs them as one implicit transaction with
//! no round trip inside it), committed asynchronously: the row is held for the statement only.
//!
//! Safe to commit asynchronously: the order that uses the number commits after this message
//! did, so its commit record follows this one in the WAL, and flushing it flushes this too. A
//! crash can lose only increments whose orders never committed.
//!
//! What it costs, and why it is acceptable:
//! - A number is not handed out again when its order's transaction ends without a commit (a
//!   lost race, a key taken at commit, a crash): a tenant's numbers stay unique and increasing
//!   and may skip one. A create refused for the quota takes no number (the limit is in the
//!   statement).
//! - The month's count is given back when the transaction ends without a commit (`Unreturned`),
//!   with the tenant's next count: the quota is the one place a count matters, so nothing reads
//!   it before that. A process that stops with counts not yet given back, or a commit whose
//!   outcome is unknown, leaves the month counted too high: the quota errs toward refusing,
//!   never toward admitting an order over it.
//!
//! Values go into the message as literals (the simple protocol has no parameters), quoted by
//! sea-query's PostgreSQL writer.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use application::ports::StoreError;
use domain::TenantId;
use sea_orm::{
    DatabaseConnection, Value,
    sea_query::{PostgresQueryBuilder, QueryBuilder},
    sqlx::{self, Row},
};

use super::errors::from_sqlx;

const ORDER_NUMBER: &str = "order_number";

/// Where counts are taken, and what is owed back to them.
#[derive(Clone)]
pub(super) struct Counting {
    /// A small pool of its own: a count never waits behind the requests' transactions.
    pool: DatabaseConnection,
    unused: Arc<Unused>,
}

/// Months' counts whose orders were never stored, per tenant, given back with that tenant's next
/// count (whose scope admits that tenant's rows only).
#[derive(Default)]
struct Unused(Mutex<HashMap<String, HashMap<String, i64>>>);

/// What a count answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counted {
    pub number: i64,
    /// The month's count with this order; over the limit when nothing was counted.
    pub used: i64,
    pub counted: bool,
}

impl Counting {
    pub(super) fn new(pool: DatabaseConnection) -> Self {
        Self { pool, unused: Arc::default() }
    }

    pub(super) fn pool(&self) -> &DatabaseConnection {
        &self.pool
    }

    /// Numbers a new order of `tenant` and counts it in `month`, unless the month already holds
    /// `limit` orders: then nothing changes.
    pub(super) async fn count(
        &self,
        tenant: &TenantId,
        month: &str,
        limit: Option<u64>,
    ) -> Result<Counted, StoreError> {
        let owed = self.unused.take(tenant.as_str());
        let sql = count_sql(tenant.as_str(), month, limit, &owed);
        let answer = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).fetch_all(self.pool.get_postgres_connection_pool()).await;
        let rows = match answer {
            Ok(rows) => rows,
            Err(e) => {
                // The message was one transaction: nothing of it, the give-backs included, happened.
                self.unused.add(tenant.as_str(), owed);
                return Err(from_sqlx(e));
            }
        };
        let row = rows
            .iter()
            .find(|row| row.try_column("number").is_ok())
            .ok_or_else(|| StoreError::Internal("the order count answered no row".to_owned()))?;
        let number: Option<i64> = row.try_get("number").map_err(from_sqlx)?;
        let used: Option<i64> = row.try_get("used").map_err(from_sqlx)?;
        Ok(match (number, used) {
            (Some(number), Some(used)) => Counted { number, used, counted: true },
            _ => Counted { number: 0, used: over(limit), counted: false },
        })
    }

    /// The month's count of an order that will not be stored, owed back.
    fn give_back(&self, tenant: &str, month: &str) {
        self.unused.add(tenant, vec![(month.to_owned(), 1)]);
    }
}

impl Unused {
    fn take(&self, tenant: &str) -> Vec<(String, i64)> {
        let mut owed = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        owed.remove(tenant).map(|months| months.into_iter().collect()).unwrap_or_default()
    }

    fn add(&self, tenant: &str, months: Vec<(String, i64)>) {
        if months.is_empty() {
            return;
        }
        let mut owed = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tenant = owed.entry(tenant.to_owned()).or_default();
        for (month, n) in months {
            *tenant.entry(month).or_default() += n;
        }
    }
}

/// The months a transaction counted; given back when it is dropped armed (it ended without a
/// commit being sent).
pub(super) struct Unreturned {
    counting: Counting,
    tenant: String,
    months: Vec<String>,
}

impl Unreturned {
    pub(super) fn new(counting: Counting, tenant: &TenantId) -> Self {
        Self { counting, tenant: tenant.as_str().to_owned(), months: Vec::new() }
    }

    pub(super) fn counting(&self) -> &Counting {
        &self.counting
    }

    pub(super) fn counted(&mut self, month: &str) {
        self.months.push(month.to_owned());
    }

    /// The commit is being sent: from now on the counts stay, whatever it answers (a commit
    /// whose answer was lost may have happened).
    pub(super) fn disarm(&mut self) {
        self.months.clear();
    }
}

impl Drop for Unreturned {
    fn drop(&mut self) {
        for month in self.months.drain(..) {
            self.counting.give_back(&self.tenant, &month);
        }
    }
}

/// The count that means "over the limit": nothing stored holds it.
fn over(limit: Option<u64>) -> i64 {
    limit.map_or(i64::MAX, |limit| i64::try_from(limit).unwrap_or(i64::MAX - 1).saturating_add(1))
}

fn literal(value: impl Into<Value>) -> String {
    PostgresQueryBuilder.value_to_string(&value.into())
}

/// The scope and the asynchronous commit, the counts owed back, then the two increments: the
/// number only when the month admitted the order.
fn count_sql(tenant: &str, month: &str, limit: Option<u64>, owed: &[(String, i64)]) -> String {
    let t = literal(tenant);
    let mut sql =
        format!("SELECT set_config('app.current_tenant', {t}, true), set_config('synchronous_commit', 'off', true);\n");
    for (owed_month, n) in owed {
        sql.push_str(&format!(
            "UPDATE tenant_counters SET value = GREATEST(value - {n}, 0) WHERE tenant_id = {t} AND name = {};\n",
            literal(owed_month.as_str())
        ));
    }
    let limit = limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
    let (first, more) = match limit {
        Some(l) => (format!(" WHERE 1 <= {l}"), format!(" WHERE c.value < {l}")),
        None => (String::new(), String::new()),
    };
    sql.push_str(&format!(
        "WITH month AS (\
           INSERT INTO tenant_counters AS c (tenant_id, name, value) SELECT {t}, {m}, 1{first} \
           ON CONFLICT (tenant_id, name) DO UPDATE SET value = c.value + 1{more} RETURNING c.value), \
         number AS (\
           INSERT INTO tenant_counters AS c (tenant_id, name, value) SELECT {t}, {n}, 1 FROM month \
           ON CONFLICT (tenant_id, name) DO UPDATE SET value = c.value + 1 RETURNING c.value) \
         SELECT (SELECT value FROM number) AS number, (SELECT value FROM month) AS used",
        m = literal(month),
        n = literal(ORDER_NUMBER),
    ));
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_literals() {
        let sql = count_sql("it's", "orders:2026-12", None, &[]);
        assert!(sql.contains(r"E'it\'s'"), "quoted and escaped: {sql}");
        assert!(!sql.contains("WHERE 1 <="), "no limit, no condition: {sql}");
    }

    #[test]
    fn the_limit_guards_both_the_first_count_and_the_next() {
        let sql = count_sql("acme", "orders:2026-12", Some(3), &[("orders:2026-11".to_owned(), 2)]);
        assert!(sql.contains("WHERE 1 <= 3") && sql.contains("WHERE c.value < 3"), "{sql}");
        assert!(sql.contains("GREATEST(value - 2, 0) WHERE tenant_id = 'acme' AND name = 'orders:2026-11'"), "{sql}");
    }

    #[test]
    fn over_the_limit_is_one_more_than_it() {
        assert_eq!(over(Some(5)), 6);
        assert_eq!(over(None), i64::MAX);
        assert_eq!(over(Some(u64::MAX)), i64::MAX);
    }
}
