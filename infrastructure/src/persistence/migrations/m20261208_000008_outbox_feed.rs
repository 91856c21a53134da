//! Issue 10: the tenant's pull feed `events(first, after, filter)` pages a tenant's outbox
//! events by id, oldest first, with the last id seen as its cursor. Without this index the
//! database read every tenant's events in id order (the primary key) to find one tenant's.
//! Event ids are UUIDv7 text under the "C" collation on PostgreSQL, so the index order is the
//! order the events happened in. Order timelines use `ix_outbox_events_tenant_aggregate`.

use sea_orm_migration::prelude::*;

const NAME: &str = "ix_outbox_events_tenant_id";

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut index = Index::create();
        index.name(NAME).table("outbox_events");
        for col in ["tenant_id", "id"] {
            index.col(col);
        }
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(NAME).table("outbox_events").to_owned()).await
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
