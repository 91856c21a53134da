//! Issue 4: returns (part of the Order aggregate, like shipments) and the tenant's journal —
//! entries with their postings, written in the transaction of the order change that caused them.

use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::persistence::keys::{self, UniqueKey};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        manager.create_table(returns(postgres)).await?;
        manager
            .create_index(index("ix_returns_tenant_order", "returns", &["tenant_id", "order_id", "position"]))
            .await?;

        manager.create_table(journal_entries(postgres)).await?;
        // The idempotency key is unique per tenant in the database itself: two concurrent
        // replays can never both write an entry.
        manager.create_index(unique_index(&keys::JOURNAL_ENTRIES_TENANT_KEY)).await?;
        manager
            .create_index(index("ix_journal_entries_tenant_order", "journal_entries", &["tenant_id", "order_id", "id"]))
            .await?;
        manager.create_index(index("ix_journal_entries_tenant_id", "journal_entries", &["tenant_id", "id"])).await?;

        manager.create_table(journal_postings(postgres)).await?;
        manager
            .create_index(index(
                "ix_journal_postings_tenant_account",
                "journal_postings",
                &["tenant_id", "account", "entry_id"],
            ))
            .await?;
        manager
            .create_index(index("ix_journal_postings_tenant_order", "journal_postings", &["tenant_id", "order_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["journal_postings", "journal_entries", "returns"] {
            manager.drop_table(Table::drop().table(table).if_exists().to_owned()).await?;
        }
        Ok(())
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// Ids compare as bytes for keyset paging: PostgreSQL needs the "C" collation for that.
fn id(name: &'static str, postgres: bool) -> ColumnDef {
    let mut col = ColumnDef::new(name);
    col.string().not_null();
    if postgres {
        col.extra("COLLATE \"C\"");
    }
    col
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).string().not_null().to_owned()
}

fn returns(postgres: bool) -> TableCreateStatement {
    Table::create()
        .table("returns")
        .col(id("id", postgres))
        .col(text("tenant_id"))
        .col(id("order_id", postgres))
        .col(ColumnDef::new("position").integer().not_null())
        .col(text("status"))
        .col(ColumnDef::new("lines").text().not_null())
        .col(ColumnDef::new("reason").text().null())
        .col(ColumnDef::new("decline_reason").text().null())
        .col(ColumnDef::new("refund").text().null())
        .col(ColumnDef::new("created_at").timestamp_with_time_zone().not_null())
        .col(ColumnDef::new("updated_at").timestamp_with_time_zone().not_null())
        .primary_key(&mut primary_key(&keys::RETURNS_PK))
        .foreign_key(&mut belongs_to_order("fk_returns_order", "returns"))
        .to_owned()
}

fn journal_entries(postgres: bool) -> TableCreateStatement {
    // order_id is nullable (entries of no order may come), so no foreign key to orders: the
    // entry is written by the same transaction as its order, and entries are never deleted.
    Table::create()
        .table("journal_entries")
        .col(id("id", postgres))
        .col(text("tenant_id"))
        .col(ColumnDef::new("order_id").string().null())
        .col(text("kind"))
        .col(text("idempotency_key"))
        .col(ColumnDef::new("reference").string().null())
        .col(ColumnDef::new("method").string().null())
        .col(ColumnDef::new("occurred_at").timestamp_with_time_zone().not_null())
        .primary_key(&mut primary_key(&keys::JOURNAL_ENTRIES_PK))
        .to_owned()
}

fn journal_postings(postgres: bool) -> TableCreateStatement {
    Table::create()
        .table("journal_postings")
        .col(id("entry_id", postgres))
        .col(ColumnDef::new("position").integer().not_null())
        .col(text("tenant_id"))
        .col(ColumnDef::new("order_id").string().null())
        .col(text("account"))
        .col(text("side"))
        .col(ColumnDef::new("amount_minor").big_integer().not_null().check(Expr::col("amount_minor").gt(0)))
        .col(text("currency"))
        .primary_key(&mut primary_key(&keys::JOURNAL_POSTINGS_PK))
        .foreign_key(
            &mut ForeignKey::create()
                .name("fk_journal_postings_entry")
                .from("journal_postings", "entry_id")
                .to("journal_entries", "id")
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned(),
        )
        .to_owned()
}

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
