//! Storing the dispatcher's finished attempts, a batch per transaction: the attempts in one
//! insert, the deliveries in one update per distinct next state (every success shares one),
//! and each endpoint's health touched only when it changes (a success clears a failure streak
//! that exists; a failure starts one that does not), so a healthy endpoint's row is never
//! written and concurrent batches of one tenant do not queue on it.

use std::collections::HashMap;

use application::ports::{DeliveryAttempt, DeliveryNext, DeliveryStatus, EndpointHealth, StoreError};
use chrono::{DateTime, Utc};
use domain::TenantId;
use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};

use super::{
    errors::store_error,
    scope::{Scope, begin_write},
    webhook_store::{SeaWebhookDeliveries, describe_failure, micros, read_health},
};

/// Rows per insert statement: 8 values each, well under SQLite's bound-parameter limit.
const ROWS_PER_INSERT: usize = 200;

/// What a batch says about one tenant's endpoint, its attempts taken in time order.
#[derive(Default)]
struct Streak {
    last_success: Option<DateTime<Utc>>,
    /// The first failure after the last success of the batch (or of all, with none).
    first_failure_after: Option<DateTime<Utc>>,
}

impl SeaWebhookDeliveries {
    pub(super) async fn store_attempts(
        &self,
        attempts: &[(DeliveryAttempt, DeliveryNext)],
    ) -> Result<Vec<(TenantId, EndpointHealth)>, StoreError> {
        if attempts.is_empty() {
            return Ok(Vec::new());
        }
        // Platform: a batch holds the attempts of every tenant the dispatcher served.
        let tx = begin_write(&self.writer, Scope::Platform).await?;
        for chunk in attempts.chunks(ROWS_PER_INSERT) {
            self.insert_attempts(&tx, chunk).await?;
        }
        self.update_deliveries(&tx, attempts).await?;
        let failing = self.update_health(&tx, attempts).await?;
        let mut health = Vec::with_capacity(failing.len());
        for tenant in failing {
            let h = read_health(self, &tx, &tenant).await?;
            health.push((tenant, h));
        }
        tx.commit().await.map_err(store_error)?;
        Ok(health)
    }

    async fn insert_attempts(
        &self,
        tx: &DatabaseTransaction,
        chunk: &[(DeliveryAttempt, DeliveryNext)],
    ) -> Result<(), StoreError> {
        let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 8);
        let mut rows = Vec::with_capacity(chunk.len());
        for (attempt, _) in chunk {
            let outcome = &attempt.outcome;
            let first = values.len() + 1;
            rows.push(format!("({})", (first..first + 8).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")));
            values.extend([
                attempt.id.to_string().into(),
                attempt.delivery_id.to_string().into(),
                attempt.tenant_id.as_str().into(),
                micros(attempt.attempted_at).into(),
                outcome.status.map(i32::from).into(),
                i64::try_from(outcome.latency.as_millis()).unwrap_or(i64::MAX).into(),
                outcome.response_excerpt.as_str().into(),
                outcome.failure.as_ref().map(describe_failure).into(),
            ]);
        }
        let sql = format!(
            "INSERT INTO webhook_attempts \
             (id, delivery_id, tenant_id, attempted_at_us, status_code, latency_ms, response_excerpt, failure) \
             VALUES {}",
            rows.join(", ")
        );
        tx.execute_raw(self.statement(&sql, values)).await.map_err(store_error)?;
        Ok(())
    }

    /// One update per distinct (status, next attempt): all successes together, each retry time
    /// on its own. A redelivery asked for while the attempt was in flight cleared the lease and
    /// made the delivery due again: the attempt is kept, the redelivery is not overwritten.
    async fn update_deliveries(
        &self,
        tx: &DatabaseTransaction,
        attempts: &[(DeliveryAttempt, DeliveryNext)],
    ) -> Result<(), StoreError> {
        let mut groups: HashMap<(DeliveryStatus, Option<i64>), Vec<String>> = HashMap::new();
        for (attempt, next) in attempts {
            let key = match next {
                DeliveryNext::Succeeded => (DeliveryStatus::Succeeded, None),
                DeliveryNext::RetryAt(at) => (DeliveryStatus::Pending, Some(micros(*at))),
                DeliveryNext::Failed => (DeliveryStatus::Failed, None),
            };
            groups.entry(key).or_default().push(attempt.delivery_id.to_string());
        }
        for ((status, next_us), ids) in groups {
            let marks: Vec<String> = (3..3 + ids.len()).map(|i| format!("${i}")).collect();
            let mut values: Vec<Value> = vec![status.as_str().into(), next_us.into()];
            values.extend(ids.into_iter().map(Value::from));
            let sql = format!(
                "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at_us = $2, \
                 lease_until_us = NULL WHERE lease_until_us IS NOT NULL AND id IN ({})",
                marks.join(", ")
            );
            tx.execute_raw(self.statement(&sql, values)).await.map_err(store_error)?;
        }
        Ok(())
    }

    /// Keeps each tenant's failure streak; answers the tenants whose last attempt in the batch
    /// failed (their streak may now be long enough to disable the endpoint).
    async fn update_health(
        &self,
        tx: &DatabaseTransaction,
        attempts: &[(DeliveryAttempt, DeliveryNext)],
    ) -> Result<Vec<TenantId>, StoreError> {
        let mut streaks: HashMap<&TenantId, Streak> = HashMap::new();
        let mut in_order: Vec<&DeliveryAttempt> = attempts.iter().map(|(a, _)| a).collect();
        in_order.sort_by_key(|a| a.attempted_at);
        for attempt in in_order {
            let streak = streaks.entry(&attempt.tenant_id).or_default();
            if attempt.outcome.succeeded() {
                streak.last_success = Some(attempt.attempted_at);
                streak.first_failure_after = None;
            } else if streak.first_failure_after.is_none() {
                streak.first_failure_after = Some(attempt.attempted_at);
            }
        }
        let mut failing = Vec::new();
        for (tenant, streak) in streaks {
            let sql = match (streak.last_success, streak.first_failure_after) {
                (Some(_), None) => {
                    // Writes (and locks) the row only when a streak is there to clear.
                    tx.execute_raw(self.statement(
                        "UPDATE webhook_endpoints SET failing_since_us = NULL \
                         WHERE tenant_id = $1 AND failing_since_us IS NOT NULL",
                        vec![tenant.as_str().into()],
                    ))
                    .await
                    .map_err(store_error)?;
                    continue;
                }
                // A success in the batch ended the old streak; the new one began after it.
                (Some(_), Some(_)) => {
                    "INSERT INTO webhook_endpoints (tenant_id, failing_since_us) VALUES ($1, $2) \
                     ON CONFLICT (tenant_id) DO UPDATE SET failing_since_us = excluded.failing_since_us"
                }
                (None, Some(_)) => {
                    "INSERT INTO webhook_endpoints (tenant_id, failing_since_us) VALUES ($1, $2) \
                     ON CONFLICT (tenant_id) DO UPDATE SET failing_since_us = excluded.failing_since_us \
                     WHERE webhook_endpoints.failing_since_us IS NULL"
                }
                (None, None) => continue,
            };
            let since = streak.first_failure_after.map(micros);
            tx.execute_raw(self.statement(sql, vec![tenant.as_str().into(), since.into()]))
                .await
                .map_err(store_error)?;
            failing.push(tenant.clone());
        }
        Ok(failing)
    }
}
