//! Issue 11: a shipment booked through the tenant's carrier API keeps the carrier's own id for
//! it, recorded before its postage is bought (so a retried dispatch buys that booking, never a
//! second) and named by the carrier's webhooks. `booking_carrier` is the carrier API it was
//! booked with (`easypost`); the label URL and the postage cost already have their columns
//! (`label_url`, `cost_minor`, `cost_currency`).
//!
//! The index finds a shipment by the carrier's id, per carrier, for the provider-level tracking
//! webhook. It is not unique: tenants book with accounts of their own, and one tenant's booking
//! must never be able to block (or reveal) another's; the webhook treats two holders as ambiguous.

use sea_orm_migration::prelude::*;

const TABLE: &str = "shipments";
const INDEX: &str = "ix_shipments_booking_carrier_shipment_id";
const COLUMNS: [&str; 2] = ["booking_carrier", "carrier_shipment_id"];

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time. A column kept by `down` stays.
        for column in COLUMNS {
            if !manager.has_column(TABLE, column).await? {
                manager
                    .alter_table(
                        Table::alter().table(TABLE).add_column(ColumnDef::new(column).text().null()).to_owned(),
                    )
                    .await?;
            }
        }
        let mut index = Index::create();
        index.name(INDEX).table(TABLE);
        for column in COLUMNS {
            index.col(column);
        }
        manager.create_index(index).await
    }

    /// Drops the index only: the columns hold the carrier's ids of postage that was bought,
    /// which a rollback must not throw away (an older binary ignores them; `up` reuses them).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name(INDEX).table(TABLE).to_owned()).await
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
