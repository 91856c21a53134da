//! The Order aggregate (orders, lines, shipments) and the per-tenant bookkeeping next to it:
//! order-number counters, idempotency keys and the transactional outbox.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::persistence::keys::{self, UniqueKey};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let cols = Columns { postgres: manager.get_database_backend() == DbBackend::Postgres };

        manager.create_table(orders(&cols)).await?;
        // PostgreSQL checks a foreign key's target key when the child table is created, so the
        // keys of `orders` come before the tables that point at it.
        for key in [&keys::ORDERS_TENANT_ID, &keys::ORDERS_TENANT_NUMBER, &keys::ORDERS_TENANT_EXTERNAL_REF] {
            manager.create_index(unique_index(key)).await?;
        }
        manager.create_index(index("ix_orders_tenant_status_id", "orders", &["tenant_id", "status", "id"])).await?;
        manager
            .create_index(index("ix_orders_tenant_email_id", "orders", &["tenant_id", "customer_email", "id"]))
            .await?;

        manager.create_table(order_lines(&cols)).await?;
        manager
            .create_index(index("ix_order_lines_tenant_sku", "order_lines", &["tenant_id", "sku", "order_id"]))
            .await?;

        manager.create_table(shipments(&cols)).await?;
        manager.create_index(unique_index(&keys::SHIPMENTS_CARRIER_TRACKING)).await?;
        manager
            .create_index(index("ix_shipments_tenant_order", "shipments", &["tenant_id", "order_id", "position"]))
            .await?;

        manager.create_table(tenant_counters(&cols)).await?;
        manager.create_table(idempotency_keys(&cols)).await?;
        manager.create_table(outbox_events(&cols)).await?;
        // Partial: the relay only ever looks for what is still unpublished, and that set stays small.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX ix_outbox_events_unpublished ON outbox_events (occurred_at, id) \
                 WHERE published_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["outbox_events", "idempotency_keys", "tenant_counters", "shipments", "order_lines", "orders"] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

struct Columns {
    postgres: bool,
}

impl Columns {
    /// Ids are UUID text; newest-first paging compares them as bytes, which PostgreSQL only does
    /// under the "C" collation whatever the database default is. SQLite compares bytes anyway.
    fn id(&self, name: &'static str) -> ColumnDef {
        let mut col = ColumnDef::new(name);
        col.string().not_null();
        if self.postgres {
            col.extra("COLLATE \"C\"");
        }
        col
    }

    fn text(&self, name: &'static str) -> ColumnDef {
        ColumnDef::new(name).string().not_null().to_owned()
    }

    fn text_null(&self, name: &'static str) -> ColumnDef {
        ColumnDef::new(name).string().null().to_owned()
    }

    fn long_text_null(&self, name: &'static str) -> ColumnDef {
        ColumnDef::new(name).text().null().to_owned()
    }

    fn bigint(&self, name: &'static str) -> ColumnDef {
        ColumnDef::new(name).big_integer().not_null().to_owned()
    }

    fn timestamp(&self, name: &'static str) -> ColumnDef {
        ColumnDef::new(name).timestamp_with_time_zone().not_null().to_owned()
    }
}

fn orders(c: &Columns) -> TableCreateStatement {
    Table::create()
        .table("orders")
        .col(c.id("id"))
        .col(c.text("tenant_id"))
        .col(c.text("number"))
        .col(c.text_null("external_ref"))
        .col(c.text_null("customer_id"))
        .col(c.text("customer_name"))
        .col(c.text("customer_email"))
        .col(c.long_text_null("shipping_address"))
        .col(c.text("currency"))
        .col(c.text("status"))
        .col(c.bigint("version").check(Expr::col("version").gte(1)).to_owned())
        .col(c.timestamp("created_at"))
        .col(c.timestamp("updated_at"))
        .col(c.long_text_null("review"))
        .col(c.long_text_null("cancellation_reason"))
        .primary_key(&mut primary_key(&keys::ORDERS_PK))
        .to_owned()
}

fn order_lines(c: &Columns) -> TableCreateStatement {
    Table::create()
        .table("order_lines")
        .col(c.text("tenant_id"))
        .col(c.id("order_id"))
        .col(ColumnDef::new("position").integer().not_null())
        .col(c.text("sku"))
        .col(c.text("vendor_id"))
        .col(ColumnDef::new("name").text().not_null())
        .col(c.bigint("quantity").check(Expr::col("quantity").gt(0)).to_owned())
        .col(c.bigint("unit_price_minor").check(Expr::col("unit_price_minor").gte(0)).to_owned())
        .col(ColumnDef::new("weight_kg").double().null())
        .primary_key(&mut primary_key(&keys::ORDER_LINES_PK))
        .foreign_key(&mut belongs_to_order("fk_order_lines_order", "order_lines"))
        .to_owned()
}

fn shipments(c: &Columns) -> TableCreateStatement {
    Table::create()
        .table("shipments")
        .col(c.id("id"))
        .col(c.text("tenant_id"))
        .col(c.id("order_id"))
        .col(ColumnDef::new("position").integer().not_null())
        .col(c.text("status"))
        .col(c.text("mode"))
        .col(c.text_null("provider"))
        .col(c.text("carrier"))
        .col(ColumnDef::new("items").text().not_null())
        .col(c.long_text_null("address"))
        .col(c.long_text_null("package"))
        .col(c.long_text_null("pickup"))
        .col(c.text_null("tracking_reference"))
        .col(c.long_text_null("label_url"))
        .col(ColumnDef::new("cost_minor").big_integer().null().check(Expr::col("cost_minor").gte(0)))
        .col(c.text_null("cost_currency"))
        .col(c.timestamp("created_at"))
        .col(c.timestamp("updated_at"))
        .primary_key(&mut primary_key(&keys::SHIPMENTS_PK))
        .foreign_key(&mut belongs_to_order("fk_shipments_order", "shipments"))
        .to_owned()
}

fn tenant_counters(c: &Columns) -> TableCreateStatement {
    Table::create()
        .table("tenant_counters")
        .col(c.text("tenant_id"))
        .col(c.text("name"))
        .col(c.bigint("value"))
        .primary_key(&mut primary_key(&keys::TENANT_COUNTERS_PK))
        .to_owned()
}

fn idempotency_keys(c: &Columns) -> TableCreateStatement {
    Table::create()
        .table("idempotency_keys")
        .col(c.text("tenant_id"))
        .col(c.text("key"))
        .col(c.text("operation"))
        .col(c.text("fingerprint"))
        .col(c.text("resource_id"))
        .col(c.timestamp("created_at"))
        .primary_key(&mut primary_key(&keys::IDEMPOTENCY_KEYS_PK))
        .to_owned()
}

fn outbox_events(c: &Columns) -> TableCreateStatement {
    Table::create()
        .table("outbox_events")
        .col(c.id("id"))
        .col(c.text("tenant_id"))
        .col(c.text("event_type"))
        .col(c.text("aggregate_id"))
        .col(c.bigint("aggregate_version"))
        .col(c.timestamp("occurred_at"))
        .col(ColumnDef::new("payload").text().not_null())
        .col(ColumnDef::new("published_at").timestamp_with_time_zone().null())
        .primary_key(&mut primary_key(&keys::OUTBOX_EVENTS_PK))
        .to_owned()
}

/// Children point at (tenant_id, id) rather than id alone, so the database itself refuses a
/// child row filed under a tenant other than its order's.
fn belongs_to_order(name: &'static str, table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, ("tenant_id", "order_id"))
        .to("orders", ("tenant_id", "id"))
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn primary_key(key: &UniqueKey) -> IndexCreateStatement {
    debug_assert!(key.primary);
    let mut pk = Index::create();
    pk.name(key.name);
    for col in key.columns {
        pk.col(*col);
    }
    pk
}

fn unique_index(key: &UniqueKey) -> IndexCreateStatement {
    debug_assert!(!key.primary);
    index(key.name, key.table, key.columns).unique().to_owned()
}

fn index(name: &'static str, table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for col in columns {
        index.col(*col);
    }
    index
}
