//! The migration that makes tracking references unique per tenant, applied to data written
//! before it: carriers as the old code stored them (as spelled), the old key across tenants.

use application::ports::{StoreError, Taken};
use domain::order::Order;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr};
use sea_orm_migration::MigratorTrait;

use super::fixtures::{at, dispatch, order, ship, written};
use crate::persistence::{Database, entities::shipments, migrations::Migrator};

/// Stores a dispatched order, then gives its shipment the carrier the old code would have
/// written: the provider as spelled.
async fn stored_before(db: &Database, tenant_id: &str, number: &str, provider: &str, tracking: &str) -> Order {
    let mut o = order(tenant_id, number);
    let id = ship(&mut o, 1, Some(provider), at(1));
    dispatch(&mut o, id, tracking, at(2));
    let mut tx = db.order_store().begin(o.tenant_id()).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.commit().await.unwrap();
    shipments::Entity::update_many()
        .col_expr(shipments::Column::Carrier, Expr::val(provider))
        .filter(shipments::Column::Id.eq(id.to_string()))
        .exec(&db.owner_connection().await)
        .await
        .unwrap();
    o
}

/// Rolls the schema back to just before the tracking migration, and says how many migrations
/// that undid (later migrations go down with it).
async fn before_tracking_migration(db: &Database) -> usize {
    let names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    let at = names.iter().position(|n| n.contains("tracking_per_tenant")).expect("the tracking migration");
    let undone = names.len() - at;
    Migrator::down(&db.owner_connection().await, Some(undone as u32)).await.unwrap();
    undone
}

async fn carriers(db: &Database) -> Vec<String> {
    let mut all: Vec<String> = shipments::Entity::find()
        .select_only()
        .column(shipments::Column::Carrier)
        .into_tuple()
        .all(&db.owner_connection().await)
        .await
        .unwrap();
    all.sort();
    all
}

pub async fn tracking_migration_normalises_carriers(db: &Database) {
    before_tracking_migration(db).await;
    stored_before(db, "acme", "ORD-000001", "DHL", "TRK-1").await;
    stored_before(db, "globex", "ORD-000001", "dhl", "TRK-1").await;
    stored_before(db, "globex", "ORD-000002", "Aramex", "TRK-1").await;
    assert_eq!(carriers(db).await, ["Aramex", "DHL", "dhl"]);

    db.migrate().await.unwrap();
    assert_eq!(carriers(db).await, ["aramex", "dhl", "dhl"]);
    // The new key holds: acme's reference is taken within acme, whatever the spelling.
    let mut again = order("acme", "ORD-000002");
    let id = ship(&mut again, 1, Some("Dhl"), at(1));
    dispatch(&mut again, id, "TRK-1", at(2));
    let mut tx = db.order_store().begin(again.tenant_id()).await.unwrap();
    let call = tx.insert_order(&again).await;
    assert_eq!(written(tx, call).await, Err(StoreError::Duplicate(Taken::TrackingReference)));
}

pub async fn tracking_migration_refuses_a_clash_within_a_tenant(db: &Database) {
    let undone = before_tracking_migration(db).await;
    stored_before(db, "acme", "ORD-000001", "DHL", "TRK-1").await;
    stored_before(db, "acme", "ORD-000002", "dhl", "TRK-1").await;

    let refused = db.migrate().await;
    assert!(matches!(&refused, Err(StoreError::Internal(m)) if m.contains("tracking reference")), "{refused:?}");
    assert_eq!(carriers(db).await, ["DHL", "dhl"], "rolled back");
    assert_eq!(Migrator::get_pending_migrations(&db.owner_connection().await).await.unwrap().len(), undone);
}
