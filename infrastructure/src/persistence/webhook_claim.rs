//! How the dispatcher claims due deliveries, fairly between tenants and without sorting the
//! backlog: the tenants with pending deliveries are walked one index probe at a time, round
//! robin from where the last claim stopped, and each tenant with free slots gets the front of
//! its own due deliveries (`ix_webhook_deliveries_tenant_due`). A claim costs a few probes per
//! tenant looked at, whatever the size of any tenant's backlog.

use std::{collections::HashMap, time::Duration};

use application::ports::{DueDelivery, StoreError};
use chrono::{DateTime, Utc};
use domain::TenantId;
use sea_orm::{ConnectionTrait, DatabaseTransaction, Value};

use super::{
    errors::store_error,
    scope::{Scope, begin_read, begin_write},
    webhook_store::{SeaWebhookDeliveries, column, micros, tenant, uuid},
};

/// Tenants looked at per walk: each costs two index probes.
const TENANTS_PER_WALK: usize = 256;

/// A tenant with pending deliveries, as one walk found it.
struct Pending {
    tenant: String,
    /// Has a delivery due now and an endpoint that is not disabled.
    claimable: bool,
}

impl SeaWebhookDeliveries {
    pub(super) async fn claim(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
        per_tenant: usize,
        in_flight: &[(TenantId, usize)],
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let now_us = micros(now);
        let lease_until = now_us.saturating_add(i64::try_from(lease.as_micros()).unwrap_or(i64::MAX));
        let busy: HashMap<&str, usize> = in_flight.iter().map(|(t, n)| (t.as_str(), *n)).collect();
        // Only a hint for fairness: a poisoned lock's value is as good as any.
        let start = self.claim_cursor.lock().unwrap_or_else(|e| e.into_inner()).clone();

        // Platform: the dispatcher claims what is due across tenants, each within its share.
        let tx = begin_write(&self.writer, Scope::Platform).await?;
        // (tenant, how many) in the order found, at most `limit` in all.
        let mut shares: Vec<(String, usize)> = Vec::new();
        let mut left = limit;
        let mut after = start.clone();
        let mut wrapped = false;
        while left > 0 {
            let walk = self.walk(&tx, &after, now_us).await?;
            let walked_all = walk.len() < TENANTS_PER_WALK;
            for pending in &walk {
                // Back at where this claim started: every tenant has been looked at.
                if wrapped && pending.tenant.as_str() > start.as_str() {
                    left = 0;
                    break;
                }
                if !pending.claimable || left == 0 {
                    continue;
                }
                let room = per_tenant.saturating_sub(busy.get(pending.tenant.as_str()).copied().unwrap_or(0)).min(left);
                if room > 0 {
                    shares.push((pending.tenant.clone(), room));
                    left -= room;
                }
            }
            match walk.last() {
                Some(last) if !walked_all => after = last.tenant.clone(),
                // The end of the tenants: go round once, from the first.
                _ if !wrapped && !start.is_empty() => {
                    wrapped = true;
                    after = String::new();
                }
                _ => break,
            }
        }
        if shares.is_empty() {
            tx.commit().await.map_err(store_error)?;
            return Ok(Vec::new());
        }
        let mut claimed = self.lease(&tx, &shares, now_us, lease_until).await?;
        tx.commit().await.map_err(store_error)?;
        // After the commit, on the read pool: the write transaction (on SQLite, the one writer
        // that order commits also wait for) lasts only as long as the lease takes.
        self.attach_payloads(&mut claimed).await?;
        if let Some((last, _)) = shares.last() {
            last.clone_into(&mut self.claim_cursor.lock().unwrap_or_else(|e| e.into_inner()));
        }
        claimed.sort_by_key(|d| d.id);
        Ok(claimed)
    }

    /// Up to `TENANTS_PER_WALK` tenants with pending deliveries after `after`, in id order:
    /// each found with one probe of the index for the next tenant id, then judged claimable
    /// with one probe of its earliest due time.
    async fn walk(&self, tx: &DatabaseTransaction, after: &str, now_us: i64) -> Result<Vec<Pending>, StoreError> {
        let sql = format!(
            "WITH RECURSIVE pending(tenant_id, n) AS ( \
               SELECT (SELECT MIN(tenant_id) FROM webhook_deliveries WHERE status = 'PENDING' AND tenant_id > $1), 1 \
               UNION ALL \
               SELECT (SELECT MIN(d.tenant_id) FROM webhook_deliveries d \
                       WHERE d.status = 'PENDING' AND d.tenant_id > p.tenant_id), p.n + 1 \
               FROM pending p WHERE p.tenant_id IS NOT NULL AND p.n < {TENANTS_PER_WALK}) \
             SELECT p.tenant_id, CASE WHEN EXISTS ( \
                 SELECT 1 FROM webhook_deliveries d WHERE d.tenant_id = p.tenant_id AND d.status = 'PENDING' \
                   AND d.next_attempt_at_us <= $2) \
               AND NOT EXISTS (SELECT 1 FROM webhook_endpoints e \
                 WHERE e.tenant_id = p.tenant_id AND e.disabled_at_us IS NOT NULL) THEN 1 ELSE 0 END AS claimable \
             FROM pending p WHERE p.tenant_id IS NOT NULL ORDER BY p.tenant_id"
        );
        let rows =
            tx.query_all_raw(self.statement(&sql, vec![after.into(), now_us.into()])).await.map_err(store_error)?;
        rows.iter()
            .map(|row| {
                Ok(Pending { tenant: column(row, "tenant_id")?, claimable: column::<i32>(row, "claimable")? == 1 })
            })
            .collect()
    }

    /// Leases each tenant's share of its oldest due deliveries, in one statement.
    async fn lease(
        &self,
        tx: &DatabaseTransaction,
        shares: &[(String, usize)],
        now_us: i64,
        lease_until: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let mut values: Vec<Value> = vec![lease_until.into(), now_us.into()];
        let mut arms = Vec::with_capacity(shares.len());
        for (tenant, room) in shares {
            values.push(tenant.as_str().into());
            arms.push(format!(
                "SELECT id FROM (SELECT id FROM webhook_deliveries WHERE tenant_id = ${} AND status = 'PENDING' \
                 AND next_attempt_at_us <= $2 AND (lease_until_us IS NULL OR lease_until_us <= $2) \
                 ORDER BY next_attempt_at_us LIMIT {room}) t{}",
                values.len(),
                values.len()
            ));
        }
        // The lease test is repeated outside the subquery: on PostgreSQL a concurrent claimer
        // that waited for the row re-checks only the outer condition, and finds it leased.
        let sql = format!(
            "UPDATE webhook_deliveries SET lease_until_us = $1 \
             WHERE status = 'PENDING' AND (lease_until_us IS NULL OR lease_until_us <= $2) AND id IN ({}) \
             RETURNING id, tenant_id, event_id, event_type, attempts",
            arms.join(" UNION ALL ")
        );
        let rows = tx.query_all_raw(self.statement(&sql, values)).await.map_err(store_error)?;
        rows.iter()
            .map(|row| {
                let attempts: i32 = column(row, "attempts")?;
                Ok(DueDelivery {
                    id: uuid(&column::<String>(row, "id")?)?,
                    tenant_id: tenant(&column::<String>(row, "tenant_id")?)?,
                    event_id: uuid(&column::<String>(row, "event_id")?)?,
                    event_type: column(row, "event_type")?,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    payload: String::new(),
                })
            })
            .collect()
    }

    /// The event each delivery sends, read in one query.
    async fn attach_payloads(&self, claimed: &mut [DueDelivery]) -> Result<(), StoreError> {
        if claimed.is_empty() {
            return Ok(());
        }
        // Every tenant's events: the platform scope.
        let tx = begin_read(&self.reader, Scope::Platform).await?;
        let marks: Vec<String> = (1..=claimed.len()).map(|i| format!("${i}")).collect();
        let payloads = tx
            .query_all_raw(self.statement(
                &format!("SELECT id, payload FROM outbox_events WHERE id IN ({})", marks.join(", ")),
                claimed.iter().map(|d| Value::from(d.event_id.to_string())).collect(),
            ))
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        let mut by_event: HashMap<String, String> = HashMap::with_capacity(payloads.len());
        for row in &payloads {
            by_event.insert(column(row, "id")?, column(row, "payload")?);
        }
        for delivery in claimed {
            delivery.payload = by_event.remove(&delivery.event_id.to_string()).ok_or_else(|| {
                StoreError::Internal(format!("delivery {} names an event that is not stored", delivery.id))
            })?;
        }
        Ok(())
    }
}
