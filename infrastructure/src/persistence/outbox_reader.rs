//! The `OutboxReader` port: an order's timeline and the tenant's pull feed, one keyset query per
//! page, in SQL both databases run the same way.

use std::time::Duration;

use application::ports::{EventEnvelope, EventPage, FeedQuery, OutboxReader, StoreError, TimelineQuery};
use async_trait::async_trait;
use domain::TenantId;
use sea_orm::{DatabaseConnection, EntityTrait, Statement, Value};
use uuid::Uuid;

use super::{
    entities::outbox_events,
    errors::store_error,
    order_store::end_read,
    postgres::LOCK_TIMEOUT,
    scope::{Scope, begin_read},
};

/// Every column of the row, as the entity reads it.
const COLUMNS: &str = "id, tenant_id, event_type, aggregate_id, aggregate_version, occurred_at, payload, published_at";

pub(super) struct SeaOutboxReader {
    pub(super) postgres: bool,
    pub(super) reader: DatabaseConnection,
    pub(super) _alive: std::sync::Arc<()>,
}

impl SeaOutboxReader {
    /// `$n` placeholders as written for PostgreSQL; SQLite reads the same numbers as `?n`.
    fn statement(&self, sql: &str, values: Vec<Value>) -> Statement {
        if self.postgres {
            Statement::from_sql_and_values(sea_orm::DbBackend::Postgres, sql, values)
        } else {
            Statement::from_sql_and_values(sea_orm::DbBackend::Sqlite, sql.replace('$', "?"), values)
        }
    }

    /// Runs a page query of the tenant's that asked for one row more than `first`.
    async fn page(
        &self,
        tenant: &TenantId,
        sql: &str,
        values: Vec<Value>,
        first: u64,
    ) -> Result<EventPage, StoreError> {
        let tx = begin_read(&self.reader, Scope::Tenant(tenant.as_str())).await?;
        let rows = outbox_events::Entity::find()
            .from_raw_sql(self.statement(sql, values))
            .all(&tx)
            .await
            .map_err(store_error)?;
        let mut rows = end_read(tx, rows).await?;
        let has_next_page = rows.len() as u64 > first;
        rows.truncate(usize::try_from(first).unwrap_or(usize::MAX));
        let events = rows.into_iter().map(envelope).collect::<Result<Vec<_>, _>>()?;
        Ok(EventPage { events, has_next_page })
    }
}

fn limit(first: u64) -> Value {
    i64::try_from(first.saturating_add(1)).unwrap_or(i64::MAX).into()
}

#[async_trait]
impl OutboxReader for SeaOutboxReader {
    /// SQLite has one writer, which draws event ids inside its write lock: ids commit in order.
    /// On PostgreSQL a transaction draws its event ids near its end, then may still wait for
    /// the tenant's counter rows (at most the lock timeout) before it commits; twice that
    /// covers the wait and the few statements around it.
    fn settle(&self) -> Duration {
        if self.postgres { LOCK_TIMEOUT * 2 } else { Duration::ZERO }
    }

    /// Served by `ix_outbox_events_tenant_aggregate (tenant_id, aggregate_id, aggregate_version)`;
    /// the events of one version (a handful) are ordered by id after it. The cursor's version is
    /// looked up in the same statement, so a page is one query.
    async fn timeline(&self, tenant: &TenantId, query: &TimelineQuery) -> Result<EventPage, StoreError> {
        let mut values: Vec<Value> = vec![tenant.as_str().into(), query.aggregate_id.as_str().into()];
        let mut sql = format!("SELECT {COLUMNS} FROM outbox_events WHERE tenant_id = $1 AND aggregate_id = $2");
        if let Some(after) = query.after {
            values.push(after.to_string().into());
            sql.push_str(
                " AND (aggregate_version, id) > (SELECT c.aggregate_version, c.id FROM outbox_events c \
                 WHERE c.tenant_id = $1 AND c.aggregate_id = $2 AND c.id = $3)",
            );
        }
        values.push(limit(query.first));
        sql.push_str(&format!(" ORDER BY aggregate_version, id LIMIT ${}", values.len()));
        self.page(tenant, &sql, values, query.first).await
    }

    /// Served by `ix_outbox_events_tenant_id (tenant_id, id)`: the cursor is the id itself, so
    /// a cursor stays valid whatever happens to the row it names.
    async fn feed(&self, tenant: &TenantId, query: &FeedQuery) -> Result<EventPage, StoreError> {
        let mut values: Vec<Value> = vec![tenant.as_str().into()];
        let mut sql = format!("SELECT {COLUMNS} FROM outbox_events WHERE tenant_id = $1");
        let mut bind = |sql: &mut String, condition: &str, value: Value| {
            values.push(value);
            sql.push_str(&format!(" AND {condition} ${}", values.len()));
        };
        if let Some(after) = query.after {
            bind(&mut sql, "id >", after.to_string().into());
        }
        if let Some(before) = query.before {
            bind(&mut sql, "id <", before.to_string().into());
        }
        if let Some(aggregate_id) = &query.aggregate_id {
            bind(&mut sql, "aggregate_id =", aggregate_id.as_str().into());
        }
        if !query.types.is_empty() {
            let first_mark = values.len() + 1;
            values.extend(query.types.iter().map(|t| Value::from(t.as_str())));
            let marks: Vec<String> = (first_mark..=values.len()).map(|i| format!("${i}")).collect();
            sql.push_str(&format!(" AND event_type IN ({})", marks.join(", ")));
        }
        values.push(limit(query.first));
        sql.push_str(&format!(" ORDER BY id LIMIT ${}", values.len()));
        self.page(tenant, &sql, values, query.first).await
    }
}

fn envelope(row: outbox_events::Model) -> Result<EventEnvelope, StoreError> {
    let corrupt = |what: &str| StoreError::Internal(format!("outbox event {}: {what}", row.id));
    Ok(EventEnvelope {
        id: Uuid::parse_str(&row.id).map_err(|_| corrupt("id is not a UUID"))?,
        tenant_id: TenantId::new(&row.tenant_id).map_err(|_| corrupt("invalid tenant id"))?,
        event_type: row.event_type,
        aggregate_id: row.aggregate_id,
        aggregate_version: row.aggregate_version,
        occurred_at: row.occurred_at,
        payload: row.payload,
    })
}
