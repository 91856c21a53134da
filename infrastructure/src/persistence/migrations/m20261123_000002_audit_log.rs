//! The audit trail: one row per state-changing call, written with the change it records (or on
//! its own for a refused call) and read newest first by tenant admins.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::persistence::keys;

const TABLE: &str = "audit_log";

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        manager.create_table(audit_log(postgres)).await?;
        // Every query is one tenant's, newest first (id DESC), optionally narrowed to one value
        // of a filter column: each index serves one of those shapes, cursor included.
        for (name, columns) in [
            ("ix_audit_log_tenant_id", &["tenant_id", "id"][..]),
            ("ix_audit_log_tenant_order_id", &["tenant_id", "order_id", "id"]),
            ("ix_audit_log_tenant_actor_id", &["tenant_id", "actor", "id"]),
            ("ix_audit_log_tenant_action_id", &["tenant_id", "action", "id"]),
        ] {
            manager.create_index(index(name, columns)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TABLE).if_exists().to_owned()).await
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

fn audit_log(postgres: bool) -> TableCreateStatement {
    // Ids compare as bytes for newest-first paging: PostgreSQL needs the "C" collation for that,
    // as on the other tables; SQLite compares bytes anyway.
    let id = |name: &'static str, nullable: bool| {
        let mut col = ColumnDef::new(name);
        col.string();
        if nullable {
            col.null();
        } else {
            col.not_null();
        }
        if postgres {
            col.extra("COLLATE \"C\"");
        }
        col
    };
    let key = &keys::AUDIT_LOG_PK;
    let mut pk = Index::create();
    pk.name(key.name);
    for col in key.columns {
        pk.col(*col);
    }
    Table::create()
        .table(TABLE)
        .col(id("id", false))
        .col(ColumnDef::new("tenant_id").string().not_null())
        .col(ColumnDef::new("actor").string().not_null())
        .col(ColumnDef::new("action").string().not_null())
        .col(id("order_id", true))
        .col(ColumnDef::new("target_ids").text().not_null())
        .col(ColumnDef::new("input").text().not_null())
        .col(ColumnDef::new("outcome").string().not_null())
        .col(ColumnDef::new("request_id").string().null())
        .col(ColumnDef::new("occurred_at").timestamp_with_time_zone().not_null())
        .primary_key(&mut pk)
        .to_owned()
}

fn index(name: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(TABLE);
    for col in columns {
        index.col(*col);
    }
    index
}
