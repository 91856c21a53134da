//! The `OutboxRelayStore` port: unpublished outbox rows, oldest first, handed to the event bus
//! and marked published once the bus has them.
//!
//! PostgreSQL: the batch is read `FOR UPDATE SKIP LOCKED` inside a transaction that first takes
//! a transaction-scoped advisory lock, so one relay of the fleet works at a time and events of
//! one order leave in the order they were written; the others find the lock taken and wait for
//! their next turn. The rows stay locked while the bus takes them, so a second relay can never
//! publish them too. SQLite has one process: it reads, publishes, then marks.

use application::ports::{EventBus, EventEnvelope, OutboxRelayStore, RelayError, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::TenantId;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    sea_query::{Expr, LockBehavior, LockType},
};
use uuid::Uuid;

use super::{
    entities::outbox_events,
    errors::store_error,
    scope::{Scope, begin_read, begin_write},
};

pub(super) struct SeaOutboxRelay {
    pub(super) postgres: bool,
    pub(super) reader: DatabaseConnection,
    pub(super) writer: DatabaseConnection,
    pub(super) _alive: std::sync::Arc<()>,
}

/// The advisory lock's key: per schema, so isolated test schemas in one database do not wait
/// for each other.
const RELAY_LOCK: &str =
    "SELECT pg_try_advisory_xact_lock(hashtext(current_schema() || ':tenant-oms:outbox-relay')) AS taken";

#[async_trait]
impl OutboxRelayStore for SeaOutboxRelay {
    async fn relay_batch(&self, limit: usize, bus: &dyn EventBus) -> Result<usize, RelayError> {
        if self.postgres { self.relay_locked(limit, bus).await } else { self.relay_single(limit, bus).await }
    }

    /// No index serves `published_at >= since`: a scan of the outbox, once per loss of the bus.
    async fn republish_since(&self, since: DateTime<Utc>) -> Result<u64, StoreError> {
        let tx = begin_write(&self.writer, Scope::Platform).await?;
        let marked = outbox_events::Entity::update_many()
            .col_expr(outbox_events::Column::PublishedAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(outbox_events::Column::PublishedAt.gte(since))
            .exec(&tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(marked.rows_affected)
    }
}

impl SeaOutboxRelay {
    async fn relay_locked(&self, limit: usize, bus: &dyn EventBus) -> Result<usize, RelayError> {
        // Platform: the relay publishes every tenant's events, in the order they were written.
        let tx = begin_read(&self.writer, Scope::Platform).await?;
        let backend = tx.get_database_backend();
        let taken = tx
            .query_one_raw(Statement::from_string(backend, RELAY_LOCK))
            .await
            .map_err(store_error)?
            .map(|row| row.try_get::<bool>("", "taken"))
            .transpose()
            .map_err(store_error)?
            .unwrap_or(false);
        if !taken {
            return Ok(0);
        }
        let rows = unpublished(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .all(&tx)
            .await
            .map_err(store_error)?;
        if rows.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
        let events = rows.into_iter().map(envelope).collect::<Result<Vec<_>, _>>()?;
        bus.publish(&events).await?;
        mark_published(&tx, ids).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(events.len())
    }

    async fn relay_single(&self, limit: usize, bus: &dyn EventBus) -> Result<usize, RelayError> {
        let read = begin_read(&self.reader, Scope::Platform).await?;
        let rows = unpublished(limit).all(&read).await.map_err(store_error)?;
        read.commit().await.map_err(store_error)?;
        if rows.is_empty() {
            return Ok(0);
        }
        let ids: Vec<String> = rows.iter().map(|row| row.id.clone()).collect();
        let events = rows.into_iter().map(envelope).collect::<Result<Vec<_>, _>>()?;
        bus.publish(&events).await?;
        let tx = begin_write(&self.writer, Scope::Platform).await?;
        mark_published(&tx, ids).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(events.len())
    }
}

/// Served by the partial index `ix_outbox_events_unpublished (occurred_at, id)`.
fn unpublished(limit: usize) -> sea_orm::Select<outbox_events::Entity> {
    outbox_events::Entity::find()
        .filter(outbox_events::Column::PublishedAt.is_null())
        .order_by_asc(outbox_events::Column::OccurredAt)
        .order_by_asc(outbox_events::Column::Id)
        .limit(u64::try_from(limit).unwrap_or(u64::MAX))
}

async fn mark_published(tx: &impl ConnectionTrait, ids: Vec<String>) -> Result<(), StoreError> {
    outbox_events::Entity::update_many()
        .col_expr(outbox_events::Column::PublishedAt, Expr::value(Utc::now()))
        .filter(outbox_events::Column::Id.is_in(ids))
        .exec(tx)
        .await
        .map_err(store_error)?;
    Ok(())
}

fn envelope(row: outbox_events::Model) -> Result<EventEnvelope, StoreError> {
    let corrupt = |what: &str| StoreError::Internal(format!("outbox event {}: {what}", row.id));
    Ok(EventEnvelope {
        id: Uuid::parse_str(&row.id).map_err(|_| corrupt("id is not a UUID"))?,
        tenant_id: TenantId::new(&row.tenant_id).map_err(|_| corrupt("invalid tenant id"))?,
        event_type: row.event_type.clone(),
        aggregate_id: row.aggregate_id.clone(),
        aggregate_version: row.aggregate_version,
        occurred_at: row.occurred_at,
        payload: row.payload.clone(),
    })
}
