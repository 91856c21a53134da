//! The `WebhookDeliveries` port: deliveries, their attempts and each tenant endpoint's health,
//! in plain SQL that both databases run the same way (times as integer microseconds).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use application::ports::{
    AttemptRecord, DeliveryAttempt, DeliveryFilter, DeliveryNext, DeliveryPage, DeliveryQuery, DeliveryRecord,
    DeliveryStatus, DueDelivery, EndpointHealth, NewDelivery, StoreError, WebhookDeliveries,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::TenantId;
use sea_orm::{ConnectionTrait, DatabaseConnection, QueryResult, Statement, Value};
use uuid::Uuid;

use super::{
    database::Signals,
    errors::store_error,
    order_store::end_read,
    scope::{Scope, begin_read, begin_write},
};

/// Largest page served; a bigger `first` gets this many with `has_next_page` set.
const MAX_PAGE: u64 = 100;
/// Deliveries per insert statement: 5 values each, well under SQLite's bound-parameter limit.
const SCHEDULED_PER_INSERT: usize = 400;

pub(super) struct SeaWebhookDeliveries {
    pub(super) postgres: bool,
    pub(super) reader: DatabaseConnection,
    pub(super) writer: DatabaseConnection,
    pub(super) signals: Arc<Signals>,
    /// The tenant the last claim ended with: the next one starts after it (round robin).
    pub(super) claim_cursor: Mutex<String>,
    pub(super) _alive: Arc<()>,
}

impl SeaWebhookDeliveries {
    /// `$n` placeholders as written for PostgreSQL; SQLite reads the same numbers as `?n`.
    pub(super) fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        if self.postgres {
            Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
        } else {
            Statement::from_sql_and_values(sea_orm::DbBackend::Sqlite, sql.replace('$', "?"), values)
        }
    }
}

pub(super) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(super) fn time(us: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(us).ok_or_else(|| StoreError::Internal(format!("stored time {us} out of range")))
}

pub(super) fn column<T: sea_orm::TryGetable>(row: &QueryResult, name: &str) -> Result<T, StoreError> {
    row.try_get("", name).map_err(store_error)
}

pub(super) fn uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|_| StoreError::Internal(format!("stored id {text} is not a UUID")))
}

pub(super) fn tenant(text: &str) -> Result<TenantId, StoreError> {
    TenantId::new(text).map_err(|_| StoreError::Internal(format!("stored tenant id {text} is invalid")))
}

#[async_trait]
impl WebhookDeliveries for SeaWebhookDeliveries {
    async fn schedule(&self, deliveries: &[NewDelivery]) -> Result<(), StoreError> {
        if deliveries.is_empty() {
            return Ok(());
        }
        // Platform: one call schedules the deliveries of every tenant an event batch touched.
        let tx = begin_write(&self.writer, Scope::Platform).await?;
        for chunk in deliveries.chunks(SCHEDULED_PER_INSERT) {
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 5);
            let mut rows = Vec::with_capacity(chunk.len());
            for d in chunk {
                let n = values.len();
                rows.push(format!(
                    "(${}, ${}, ${}, ${}, 'PENDING', 0, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 5
                ));
                values.extend([
                    d.id.to_string().into(),
                    d.tenant_id.as_str().into(),
                    d.event_id.to_string().into(),
                    d.event_type.as_str().into(),
                    micros(d.created_at).into(),
                ]);
            }
            let sql = format!(
                "INSERT INTO webhook_deliveries \
                 (id, tenant_id, event_id, event_type, status, attempts, created_at_us, next_attempt_at_us) \
                 VALUES {} ON CONFLICT (tenant_id, event_id) DO NOTHING",
                rows.join(", ")
            );
            tx.execute_raw(self.statement(&sql, values)).await.map_err(store_error)?;
        }
        tx.commit().await.map_err(store_error)?;
        self.signals.deliveries.notify_one();
        Ok(())
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
        per_tenant: usize,
        in_flight: &[(TenantId, usize)],
    ) -> Result<Vec<DueDelivery>, StoreError> {
        self.claim(now, lease, limit, per_tenant, in_flight).await
    }

    async fn record_attempts(
        &self,
        attempts: &[(DeliveryAttempt, DeliveryNext)],
    ) -> Result<Vec<(TenantId, EndpointHealth)>, StoreError> {
        self.store_attempts(attempts).await
    }

    async fn health(&self, tenant: &TenantId) -> Result<EndpointHealth, StoreError> {
        let tx = begin_read(&self.reader, Scope::Tenant(tenant.as_str())).await?;
        let health = read_health(self, &tx, tenant).await?;
        end_read(tx, health).await
    }

    async fn disable_endpoint(&self, tenant: &TenantId, at: DateTime<Utc>, reason: &str) -> Result<(), StoreError> {
        let tx = begin_write(&self.writer, Scope::Tenant(tenant.as_str())).await?;
        tx.execute_raw(self.statement(
            "INSERT INTO webhook_endpoints (tenant_id, disabled_at_us, disabled_reason) VALUES ($1, $2, $3) \
             ON CONFLICT (tenant_id) DO UPDATE SET disabled_at_us = excluded.disabled_at_us, \
             disabled_reason = excluded.disabled_reason",
            vec![tenant.as_str().into(), micros(at).into(), reason.into()],
        ))
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)
    }

    async fn enable_endpoint(&self, tenant: &TenantId) -> Result<(), StoreError> {
        let tx = begin_write(&self.writer, Scope::Tenant(tenant.as_str())).await?;
        tx.execute_raw(self.statement(
            "UPDATE webhook_endpoints SET disabled_at_us = NULL, disabled_reason = NULL, failing_since_us = NULL \
             WHERE tenant_id = $1",
            vec![tenant.as_str().into()],
        ))
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        self.signals.deliveries.notify_one();
        Ok(())
    }

    async fn redeliver(&self, tenant: &TenantId, id: Uuid, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let tx = begin_write(&self.writer, Scope::Tenant(tenant.as_str())).await?;
        let done = tx
            .execute_raw(self.statement(
                "UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at_us = $1, lease_until_us = NULL \
                 WHERE tenant_id = $2 AND id = $3",
                vec![micros(now).into(), tenant.as_str().into(), id.to_string().into()],
            ))
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        let found = done.rows_affected() > 0;
        if found {
            self.signals.deliveries.notify_one();
        }
        Ok(found)
    }

    /// Served by `ix_webhook_deliveries_tenant_id (tenant_id, id)`; `created_at_us` is checked
    /// on the tenant's rows.
    async fn redeliver_since(
        &self,
        tenant: &TenantId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let tx = begin_write(&self.writer, Scope::Tenant(tenant.as_str())).await?;
        let done = tx
            .execute_raw(self.statement(
                "UPDATE webhook_deliveries SET status = 'PENDING', next_attempt_at_us = $1, lease_until_us = NULL \
                 WHERE tenant_id = $2 AND created_at_us >= $3",
                vec![micros(now).into(), tenant.as_str().into(), micros(since).into()],
            ))
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        let count = done.rows_affected();
        if count > 0 {
            self.signals.deliveries.notify_one();
        }
        Ok(count)
    }

    async fn find(&self, tenant: &TenantId, id: Uuid) -> Result<Option<DeliveryRecord>, StoreError> {
        let page = self.fetch(tenant, &DeliveryFilter::default(), None, Some(id), 1).await?;
        Ok(page.deliveries.into_iter().next())
    }

    async fn list(&self, tenant: &TenantId, query: &DeliveryQuery) -> Result<DeliveryPage, StoreError> {
        self.fetch(tenant, &query.filter, query.after, None, query.first.min(MAX_PAGE)).await
    }
}

impl SeaWebhookDeliveries {
    /// Newest first, `first` of them, each with its attempts: two queries whatever the page.
    async fn fetch(
        &self,
        tenant: &TenantId,
        filter: &DeliveryFilter,
        after: Option<Uuid>,
        only: Option<Uuid>,
        first: u64,
    ) -> Result<DeliveryPage, StoreError> {
        let mut sql = String::from(
            "SELECT id, event_id, event_type, status, created_at_us, next_attempt_at_us \
             FROM webhook_deliveries WHERE tenant_id = $1",
        );
        let mut values: Vec<Value> = vec![tenant.as_str().into()];
        let mut bind = |sql: &mut String, condition: &str, value: Value| {
            values.push(value);
            sql.push_str(&format!(" AND {condition} ${}", values.len()));
        };
        if let Some(event_type) = &filter.event_type {
            bind(&mut sql, "event_type =", event_type.as_str().into());
        }
        if let Some(status) = filter.status {
            bind(&mut sql, "status =", status.as_str().into());
        }
        if let Some(after) = after {
            bind(&mut sql, "id <", after.to_string().into());
        }
        if let Some(id) = only {
            bind(&mut sql, "id =", id.to_string().into());
        }
        values.push(i64::try_from(first + 1).unwrap_or(i64::MAX).into());
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", values.len()));
        let tx = begin_read(&self.reader, Scope::Tenant(tenant.as_str())).await?;
        let mut rows = tx.query_all_raw(self.statement(&sql, values)).await.map_err(store_error)?;
        let has_next_page = rows.len() as u64 > first;
        rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
        let mut deliveries = Vec::with_capacity(rows.len());
        for row in &rows {
            let status: String = column(row, "status")?;
            let next: Option<i64> = column(row, "next_attempt_at_us")?;
            deliveries.push(DeliveryRecord {
                id: uuid(&column::<String>(row, "id")?)?,
                event_id: uuid(&column::<String>(row, "event_id")?)?,
                event_type: column(row, "event_type")?,
                status: DeliveryStatus::parse(&status)
                    .ok_or_else(|| StoreError::Internal(format!("stored delivery status {status} is unknown")))?,
                created_at: time(column(row, "created_at_us")?)?,
                next_attempt_at: next.map(time).transpose()?,
                attempts: Vec::new(),
            });
        }
        if deliveries.is_empty() {
            return end_read(tx, DeliveryPage { deliveries, has_next_page }).await;
        }
        let marks: Vec<String> = (1..=deliveries.len()).map(|i| format!("${i}")).collect();
        let attempts = tx
            .query_all_raw(self.statement(
                &format!(
                    "SELECT delivery_id, attempted_at_us, status_code, latency_ms, response_excerpt, failure \
                     FROM webhook_attempts WHERE delivery_id IN ({}) ORDER BY delivery_id, id",
                    marks.join(", ")
                ),
                deliveries.iter().map(|d| Value::from(d.id.to_string())).collect(),
            ))
            .await
            .map_err(store_error)?;
        let mut by_delivery: HashMap<Uuid, Vec<AttemptRecord>> = HashMap::new();
        for row in &attempts {
            let status: Option<i32> = column(row, "status_code")?;
            let latency: i64 = column(row, "latency_ms")?;
            by_delivery.entry(uuid(&column::<String>(row, "delivery_id")?)?).or_default().push(AttemptRecord {
                attempted_at: time(column(row, "attempted_at_us")?)?,
                status_code: status.and_then(|s| u16::try_from(s).ok()),
                latency: Duration::from_millis(u64::try_from(latency).unwrap_or(0)),
                response_excerpt: column(row, "response_excerpt")?,
                failure: column(row, "failure")?,
            });
        }
        for delivery in &mut deliveries {
            delivery.attempts = by_delivery.remove(&delivery.id).unwrap_or_default();
        }
        end_read(tx, DeliveryPage { deliveries, has_next_page }).await
    }
}

pub(super) async fn read_health(
    store: &SeaWebhookDeliveries,
    db: &impl ConnectionTrait,
    tenant: &TenantId,
) -> Result<EndpointHealth, StoreError> {
    let row = db
        .query_one_raw(store.statement(
            "SELECT failing_since_us, disabled_at_us, disabled_reason FROM webhook_endpoints WHERE tenant_id = $1",
            vec![tenant.as_str().into()],
        ))
        .await
        .map_err(store_error)?;
    let Some(row) = row else { return Ok(EndpointHealth::default()) };
    let failing: Option<i64> = column(&row, "failing_since_us")?;
    let disabled: Option<i64> = column(&row, "disabled_at_us")?;
    Ok(EndpointHealth {
        failing_since: failing.map(time).transpose()?,
        disabled_at: disabled.map(time).transpose()?,
        disabled_reason: column(&row, "disabled_reason")?,
    })
}

pub(super) fn describe_failure(failure: &application::ports::AttemptFailure) -> String {
    use application::ports::AttemptFailure as F;
    match failure {
        F::Timeout => "timeout".to_owned(),
        F::Connect(why) => format!("connect: {why}"),
        F::AddressRefused(why) => format!("address refused: {why}"),
        F::Status(code) => format!("status {code}"),
    }
}
