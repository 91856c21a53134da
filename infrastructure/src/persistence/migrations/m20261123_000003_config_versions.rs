//! Versioned configuration documents (plans, tenants, tenant configs): every change appends a
//! row; the store-wide revision lets instances notice each other's changes by polling one value.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::persistence::keys::{self, UniqueKey};

const TABLE: &str = "config_versions";

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        manager.create_table(config_versions(postgres)).await?;
        // Serves `revision()` (MAX is one step down the index) as well as uniqueness. The primary
        // key already serves "latest version of (kind, key)" and newest-first history: both
        // backends walk a B-tree backwards, so a descending copy of it would only cost writes.
        let key = &keys::CONFIG_VERSIONS_REVISION;
        let mut revision = Index::create();
        revision.name(key.name).table(key.table).unique();
        for col in key.columns {
            revision.col(*col);
        }
        manager.create_index(revision).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(TABLE).if_exists().to_owned()).await?;
        // The revision counter lives in `tenant_counters` under a tenant id no tenant can have.
        let forget_counter = Query::delete()
            .from_table("tenant_counters")
            .and_where(Expr::col("tenant_id").eq(""))
            .and_where(Expr::col("name").eq("config_revision"))
            .to_owned();
        manager.exec_stmt(forget_counter).await
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

fn config_versions(postgres: bool) -> TableCreateStatement {
    // `current()` lists documents by (kind, key): PostgreSQL sorts them byte-wise, like SQLite,
    // only under the "C" collation.
    let name = |name: &'static str| {
        let mut col = ColumnDef::new(name);
        col.string().not_null();
        if postgres {
            col.extra("COLLATE \"C\"");
        }
        col
    };
    Table::create()
        .table(TABLE)
        .col(name("kind"))
        .col(name("key"))
        .col(ColumnDef::new("version").big_integer().not_null().check(Expr::col("version").gte(1)))
        // Text, not JSON/JSONB: the document must come back exactly as written.
        .col(ColumnDef::new("document").text().not_null())
        .col(ColumnDef::new("changed_by").string().not_null())
        .col(ColumnDef::new("changed_at").timestamp_with_time_zone().not_null())
        .col(ColumnDef::new("summary").text().not_null())
        .col(ColumnDef::new("revision").big_integer().not_null().check(Expr::col("revision").gte(1)))
        .primary_key(&mut primary_key(&keys::CONFIG_VERSIONS_PK))
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
