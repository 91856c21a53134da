//! Issue 10: the dispatcher claims each tenant's due deliveries on their own (a tenant's
//! oldest first, at most its free slots) instead of ranking every pending delivery of every
//! tenant on each claim, which cost a sort of the whole backlog per claim. The tenants with
//! pending deliveries are found by walking this index one tenant at a time, and each tenant's
//! due deliveries are the front of its part of the index. The old index by due time alone
//! served only the ranking.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_webhook_deliveries_tenant_due ON webhook_deliveries (tenant_id, next_attempt_at_us) \
             WHERE status = 'PENDING'",
        )
        .await?;
        db.execute_unprepared("DROP INDEX ix_webhook_deliveries_due").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at_us) WHERE status = 'PENDING'",
        )
        .await?;
        db.execute_unprepared("DROP INDEX ix_webhook_deliveries_tenant_due").await?;
        Ok(())
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
