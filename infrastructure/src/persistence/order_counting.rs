//! PostgreSQL: a new order's two counters (its number, and the order counted in its month) in a
//! transaction of their own, outside the order's.
//!
//! Why: each counter is one row per tenant. Taken inside the order's transaction, the row stayed
//! locked until that transaction committed, so a tenant's creates ran one at a time, each
//! holding the row through two client round trips and its commit; under load the server's own
//! scheduling stretched those round trips, and 61 % of the waiting connections were queued on
//! that row (pg_stat_activity, issue 9). Here the increments are one prepared statement run on
//! its own (an implicit transaction: no round trip inside it), which also sets the tenant scope
//! and an asynchronous commit for itself: the row is held for the statement only.
//!
//! Safe to commit asynchronously: the order that uses the number commits after this statement
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

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use application::ports::StoreError;
use domain::TenantId;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use super::{
    errors::store_error,
    order_tx::ORDER_NUMBER_COUNTER,
    scope::{Scope, begin_write},
};

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
        if !owed.is_empty()
            && let Err(e) = self.give_back_now(tenant, &owed).await
        {
            self.unused.add(tenant.as_str(), owed);
            return Err(e);
        }
        let limit = limit.map(|l| i64::try_from(l).unwrap_or(i64::MAX));
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            COUNT,
            [tenant.as_str().into(), month.into(), ORDER_NUMBER_COUNTER.into(), Value::BigInt(limit)],
        );
        let rows = self.pool.query_all_raw(statement).await.map_err(store_error)?;
        let row = rows.first().ok_or_else(|| StoreError::Internal("the order count answered no row".to_owned()))?;
        let number: Option<i64> = row.try_get("", "number").map_err(store_error)?;
        let used: Option<i64> = row.try_get("", "used").map_err(store_error)?;
        Ok(match (number, used) {
            (Some(number), Some(used)) => Counted { number, used, counted: true },
            _ => Counted { number: 0, used: over(limit), counted: false },
        })
    }

    /// Months' counts of orders never stored, taken off in the tenant's scope. Rare (a create
    /// that failed after its count), so a transaction of its own is cheap enough.
    async fn give_back_now(&self, tenant: &TenantId, owed: &[(String, i64)]) -> Result<(), StoreError> {
        let tx = begin_write(&self.pool, Scope::Tenant(tenant.as_str())).await?;
        for (month, n) in owed {
            let statement = Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE tenant_counters SET value = GREATEST(value - $1, 0) WHERE tenant_id = $2 AND name = $3",
                [(*n).into(), tenant.as_str().into(), month.as_str().into()],
            );
            tx.execute_raw(statement).await.map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)
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
fn over(limit: Option<i64>) -> i64 {
    limit.map_or(i64::MAX, |limit| limit.saturating_add(1))
}

/// The scope and the asynchronous commit are set by the statement itself, in the row it
/// inserts: the new row's tenant is what `set_config` answered, so the setting is made before
/// any row is written or checked against the row-level security policy (whose check reads it
/// per row). `$4` is the limit or NULL. The month first, guarded by the limit; the number only
/// for a month that counted the order.
const COUNT: &str = "\
WITH scope AS MATERIALIZED (\
  SELECT set_config('app.current_tenant', $1, true) AS tenant, set_config('synchronous_commit', 'off', true) AS sync), \
month AS (\
  INSERT INTO tenant_counters AS c (tenant_id, name, value) \
  SELECT scope.tenant, $2, 1 FROM scope WHERE $4::bigint IS NULL OR $4::bigint >= 1 \
  ON CONFLICT (tenant_id, name) DO UPDATE SET value = c.value + 1 WHERE $4::bigint IS NULL OR c.value < $4::bigint \
  RETURNING c.value), \
number AS (\
  INSERT INTO tenant_counters AS c (tenant_id, name, value) \
  SELECT scope.tenant, $3, 1 FROM scope, month \
  ON CONFLICT (tenant_id, name) DO UPDATE SET value = c.value + 1 \
  RETURNING c.value) \
SELECT (SELECT value FROM number) AS number, (SELECT value FROM month) AS used";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_the_limit_is_one_more_than_it() {
        assert_eq!(over(Some(5)), 6);
        assert_eq!(over(None), i64::MAX);
        assert_eq!(over(Some(i64::MAX)), i64::MAX);
    }
}
