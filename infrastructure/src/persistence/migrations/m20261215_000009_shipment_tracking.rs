//! Issue 11: what carriers report about shipments (`shipment_tracking_events`, part of the Order
//! aggregate, appended and never changed), the receipts of inbound webhook deliveries that were
//! acted on (`webhook_receipts`, the replay guard), and an index to find a shipment by its
//! tracking reference within a tenant or, on the provider's route, across tenants.
//!
//! Receipt times are integer microseconds since the epoch, compared in SQL the same way on both
//! databases.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        manager.create_table(tracking_events(postgres)).await?;
        let db = manager.get_connection();
        for statement in [
            "CREATE INDEX ix_tracking_events_tenant_order ON shipment_tracking_events (tenant_id, order_id, position)"
                .to_owned(),
            "CREATE TABLE webhook_receipts (
                tenant_id TEXT NOT NULL,
                route TEXT NOT NULL,
                delivery_key TEXT NOT NULL,
                resource_id TEXT NULL,
                received_at_us BIGINT NOT NULL,
                expires_at_us BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, route, delivery_key)
            )"
            .to_owned(),
            // A carrier names a shipment by its reference only: the tenant's route looks it up
            // within the tenant, the provider's route across tenants.
            "CREATE INDEX ix_shipments_tracking_reference ON shipments (tracking_reference, tenant_id)".to_owned(),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_shipments_tracking_reference").await?;
        for table in ["webhook_receipts", "shipment_tracking_events"] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// As the other children of an order: ids under the "C" collation on PostgreSQL, times as the
/// shipments' own, and rows filed under their order's tenant only.
fn tracking_events(postgres: bool) -> TableCreateStatement {
    let id = |name: &'static str| {
        let mut col = ColumnDef::new(name);
        col.string().not_null();
        if postgres {
            col.extra("COLLATE \"C\"");
        }
        col
    };
    let text = |name: &'static str| ColumnDef::new(name).string().not_null().to_owned();
    let time = |name: &'static str| ColumnDef::new(name).timestamp_with_time_zone().not_null().to_owned();
    Table::create()
        .table("shipment_tracking_events")
        .col(id("id").primary_key())
        .col(text("tenant_id"))
        .col(id("order_id"))
        .col(id("shipment_id"))
        .col(ColumnDef::new("position").integer().not_null())
        .col(text("carrier_status"))
        .col(ColumnDef::new("status").string().null())
        .col(text("raw_reference"))
        .col(time("occurred_at"))
        .col(time("recorded_at"))
        .foreign_key(
            ForeignKey::create()
                .name("fk_tracking_events_order")
                .from("shipment_tracking_events", ("tenant_id", "order_id"))
                .to("orders", ("tenant_id", "id"))
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}
