//! Issue 10: outbound webhook deliveries, their attempts and each tenant endpoint's health, and
//! an index the relay's in-order claim uses.
//!
//! Times that are compared in SQL (due, lease) are integer microseconds since the epoch: the
//! same comparison on both databases, whatever text form a driver gives timestamps.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Ids compare as bytes for newest-first paging: PostgreSQL needs the "C" collation.
        let id = if manager.get_database_backend() == DbBackend::Postgres { "TEXT COLLATE \"C\"" } else { "TEXT" };
        let db = manager.get_connection();
        for statement in [
            format!(
                "CREATE TABLE webhook_deliveries (
                    id {id} NOT NULL PRIMARY KEY,
                    tenant_id TEXT NOT NULL,
                    event_id TEXT NOT NULL,
                    event_type TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    created_at_us BIGINT NOT NULL,
                    next_attempt_at_us BIGINT NULL,
                    lease_until_us BIGINT NULL
                )"
            ),
            // The bus delivers at least once; this key makes the tenant receive each event once.
            "CREATE UNIQUE INDEX ux_webhook_deliveries_tenant_event ON webhook_deliveries (tenant_id, event_id)".to_owned(),
            // The dispatcher's claim: only pending rows, by due time.
            "CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at_us) WHERE status = 'PENDING'"
                .to_owned(),
            // The tenant's newest-first listing, optionally by event type or status.
            "CREATE INDEX ix_webhook_deliveries_tenant_id ON webhook_deliveries (tenant_id, id)".to_owned(),
            format!(
                "CREATE TABLE webhook_attempts (
                    id {id} NOT NULL PRIMARY KEY,
                    delivery_id {id} NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
                    tenant_id TEXT NOT NULL,
                    attempted_at_us BIGINT NOT NULL,
                    status_code INTEGER NULL,
                    latency_ms BIGINT NOT NULL,
                    response_excerpt TEXT NOT NULL,
                    failure TEXT NULL
                )"
            ),
            "CREATE INDEX ix_webhook_attempts_delivery ON webhook_attempts (delivery_id, id)".to_owned(),
            "CREATE TABLE webhook_endpoints (
                tenant_id TEXT NOT NULL PRIMARY KEY,
                failing_since_us BIGINT NULL,
                disabled_at_us BIGINT NULL,
                disabled_reason TEXT NULL
            )"
            .to_owned(),
            // The relay reads unpublished events oldest first; the partial index of the first
            // migration serves that. Order timelines read one aggregate's events.
            "CREATE INDEX ix_outbox_events_tenant_aggregate ON outbox_events (tenant_id, aggregate_id, aggregate_version)"
                .to_owned(),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_outbox_events_tenant_aggregate").await?;
        for table in ["webhook_attempts", "webhook_deliveries", "webhook_endpoints"] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
