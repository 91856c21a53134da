//! Issue 13: a caller scoped to one vendor lists only the orders holding that vendor's lines.
//! Found through this index, as a SKU filter is through `ix_order_lines_tenant_sku`: the
//! vendor's order ids, newest first, read from the index until the page is full.

use sea_orm_migration::prelude::*;

const NAME: &str = "ix_order_lines_tenant_vendor";

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut index = Index::create();
        index.name(NAME).table("order_lines");
        for col in ["tenant_id", "vendor_id", "order_id"] {
            index.col(col);
        }
        manager.create_index(index).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(NAME).table("order_lines").to_owned()).await
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
