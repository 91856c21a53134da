//! Schema migrations, applied in order by `Database::migrate`. A released migration is never
//! edited: changes go into a new file, so every database converges on the same schema.

mod m20250601_000001_order_tables;
mod m20261123_000002_audit_log;
mod m20261123_000003_config_versions;
mod m20261123_000004_ledger;
mod m20261124_000005_tracking_per_tenant;
mod m20261130_000006_orders_tenant_created;
mod m20261201_000007_webhook_deliveries;
mod m20261208_000008_outbox_feed;
mod m20261215_000009_shipment_tracking;
mod m20261216_000010_carrier_bookings;
mod m20261217_000011_vendor_scope;
mod m20261218_000012_row_level_security;
mod m20261220_000014_webhook_due_per_tenant;

use sea_orm_migration::{MigrationTrait, MigratorTrait};

pub(super) struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250601_000001_order_tables::Migration),
            Box::new(m20261123_000002_audit_log::Migration),
            Box::new(m20261123_000003_config_versions::Migration),
            Box::new(m20261123_000004_ledger::Migration),
            Box::new(m20261124_000005_tracking_per_tenant::Migration),
            Box::new(m20261130_000006_orders_tenant_created::Migration),
            Box::new(m20261201_000007_webhook_deliveries::Migration),
            Box::new(m20261208_000008_outbox_feed::Migration),
            Box::new(m20261215_000009_shipment_tracking::Migration),
            Box::new(m20261216_000010_carrier_bookings::Migration),
            Box::new(m20261217_000011_vendor_scope::Migration),
            Box::new(m20261218_000012_row_level_security::Migration),
            Box::new(m20261220_000014_webhook_due_per_tenant::Migration),
        ]
    }
}
