//! Issue 9: `orders(filter: {createdAfter, createdBefore})` had no index to find a tenant's
//! orders of a time window: the database walked the tenant's orders newest first and dropped
//! every one outside the window, so a window months back read most of the tenant (seconds with a
//! million orders, `cargo bench --bench scale`). SQLite now reads the window from this index and
//! sorts it. PostgreSQL's planner still prefers the newest-first walk for a narrow window (it
//! assumes matching rows are spread evenly over the ids, and they are clustered by time), so
//! there the query itself must change; ending in `id`, the index also serves a list ordered by
//! (created_at, id).

use sea_orm_migration::prelude::*;

const NAME: &str = "ix_orders_tenant_created_id";

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut index = Index::create();
        index.name(NAME).table("orders");
        for col in ["tenant_id", "created_at", "id"] {
            index.col(col);
        }
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(NAME).table("orders").to_owned()).await
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
