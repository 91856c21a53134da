//! Issue 8: a tracking reference is unique per tenant and carrier, no longer across tenants (a
//! tenant could learn that another holds a reference, and squat it). The carrier is compared
//! ignoring case and surrounding spaces, so `carrier` is rewritten to `keys::carrier_key` first.

use sea_orm_migration::prelude::*;

use crate::persistence::keys::{self, UniqueKey};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dropped first: two tenants' spellings of one carrier may become equal, which the
        // old key, unique across tenants, would refuse.
        drop_index(manager, &keys::SHIPMENTS_CARRIER_TRACKING).await?;
        normalise_carriers(manager).await?;
        refuse_clashes(manager).await?;
        manager.create_index(unique_index(&keys::SHIPMENTS_TENANT_CARRIER_TRACKING)).await
    }

    /// Carriers stay normalised: the old key only ever got stricter from that.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_index(manager, &keys::SHIPMENTS_TENANT_CARRIER_TRACKING).await?;
        manager.create_index(unique_index(&keys::SHIPMENTS_CARRIER_TRACKING)).await
    }

    /// SQLite would otherwise run DDL without a transaction and could stop half way.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// One UPDATE per distinct spelling, computed by the same function the mapping writes with:
/// carriers are a handful of provider names, however many shipments there are.
async fn normalise_carriers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    let spellings = conn.query_all(&Query::select().distinct().column("carrier").from("shipments").to_owned()).await?;
    for row in spellings {
        let carrier: String = row.try_get("", "carrier")?;
        let key = keys::carrier_key(&carrier);
        if key != carrier {
            let rewrite = Query::update()
                .table("shipments")
                .value("carrier", key)
                .and_where(Expr::col("carrier").eq(carrier))
                .to_owned();
            manager.exec_stmt(rewrite).await?;
        }
    }
    Ok(())
}

/// Within one tenant, a reference stored under two spellings of one carrier would break the new
/// key. Said plainly here (the transaction rolls back), rather than as the index's own error.
async fn refuse_clashes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let clashes = Query::select()
        .expr(Expr::val(1))
        .from("shipments")
        .and_where(Expr::col("tracking_reference").is_not_null())
        .group_by_columns(["tenant_id", "carrier", "tracking_reference"])
        .and_having(Expr::col(Asterisk).count().gt(1))
        .limit(1)
        .to_owned();
    if manager.get_connection().query_one(&clashes).await?.is_some() {
        return Err(DbErr::Migration(
            "a tenant holds one tracking reference on two shipments whose carriers differ only in case or \
             spaces; give one of them another reference, then migrate again"
                .to_owned(),
        ));
    }
    Ok(())
}

async fn drop_index(manager: &SchemaManager<'_>, key: &UniqueKey) -> Result<(), DbErr> {
    manager.drop_index(Index::drop().name(key.name).table(key.table).to_owned()).await
}

fn unique_index(key: &UniqueKey) -> IndexCreateStatement {
    debug_assert!(!key.primary);
    let mut index = Index::create();
    index.name(key.name).table(key.table).unique();
    for col in key.columns {
        index.col(*col);
    }
    index
}
