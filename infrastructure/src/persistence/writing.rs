//! The statements that write an aggregate: insert with its children, and update with only the
//! shipments that changed. Generic over the connection so they run in a transaction or a savepoint.

use application::ports::StoreError;
use domain::order::{Order, Shipment};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, ExprTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
    sea_query::{Expr, OnConflict},
};

use super::{
    entities::{order_lines, orders, shipments},
    errors::store_error,
    mapping,
};

/// A unique violation aborts a PostgreSQL transaction; inside a savepoint only the savepoint is
/// lost, so both backends leave the caller's transaction usable after `Duplicate`.
pub(super) async fn settle(savepoint: DatabaseTransaction, written: Result<(), StoreError>) -> Result<(), StoreError> {
    match written {
        Ok(()) => savepoint.commit().await.map_err(store_error),
        Err(e) => {
            savepoint.rollback().await.map_err(store_error)?;
            Err(e)
        }
    }
}

pub(super) async fn insert_order<C: ConnectionTrait>(conn: &C, order: &Order) -> Result<(), StoreError> {
    let row = mapping::order_row(order)?;
    // DO NOTHING rather than an error keeps a PostgreSQL transaction usable, so a caller can
    // answer a taken externalRef with the existing order from the same transaction.
    let inserted = orders::Entity::insert(row.into_active_model())
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(conn)
        .await
        .map_err(store_error)?;
    if inserted == 0 {
        return Err(taken_key(conn, order).await?);
    }
    let lines = mapping::line_rows(order)?.into_iter().map(IntoActiveModel::into_active_model);
    order_lines::Entity::insert_many(lines).exec_without_returning(conn).await.map_err(store_error)?;
    let ships = order
        .shipments()
        .iter()
        .enumerate()
        .map(|(i, s)| mapping::shipment_row(order, i, s).map(IntoActiveModel::into_active_model))
        .collect::<Result<Vec<_>, _>>()?;
    shipments::Entity::insert_many(ships).exec_without_returning(conn).await.map_err(store_error)?;
    Ok(())
}

/// Which unique key an order insert ran into, in caller terms.
async fn taken_key<C: ConnectionTrait>(conn: &C, order: &Order) -> Result<StoreError, StoreError> {
    let tenant = orders::Column::TenantId.eq(order.tenant_id().as_str());
    if let Some(external_ref) = order.external_ref() {
        let holder = orders::Entity::find()
            .select_only()
            .column(orders::Column::Id)
            .filter(tenant.clone())
            .filter(orders::Column::ExternalRef.eq(external_ref))
            .into_tuple::<String>()
            .one(conn)
            .await
            .map_err(store_error)?;
        if holder.is_some() {
            return Ok(StoreError::Duplicate("externalRef".to_owned()));
        }
    }
    let holder = orders::Entity::find()
        .select_only()
        .column(orders::Column::Id)
        .filter(tenant)
        .filter(orders::Column::Number.eq(order.number()))
        .into_tuple::<String>()
        .one(conn)
        .await
        .map_err(store_error)?;
    Ok(match holder {
        Some(_) => StoreError::Duplicate("number".to_owned()),
        None => StoreError::Internal(format!("order id {} is already taken", order.id())),
    })
}

/// What `update_order` must write to bring the stored shipments to the aggregate's.
pub(super) struct ShipmentChanges<'a> {
    /// New, changed or moved shipments, with their index in the aggregate.
    upserts: Vec<(usize, &'a Shipment)>,
    removed: Vec<String>,
    /// A tracking reference appears that was not stored before and may be taken by another order.
    pub(super) sets_tracking_reference: bool,
}

impl<'a> ShipmentChanges<'a> {
    pub(super) fn between(before: &[Shipment], order: &'a Order) -> Self {
        let now = order.shipments();
        let upserts: Vec<(usize, &Shipment)> =
            now.iter().enumerate().filter(|(i, s)| before.get(*i) != Some(*s)).collect();
        let removed = before.iter().filter(|b| !now.iter().any(|s| s.id == b.id)).map(|b| b.id.to_string()).collect();
        let sets_tracking_reference = upserts.iter().any(|(_, s)| {
            s.tracking_reference.is_some()
                && before.iter().find(|b| b.id == s.id).is_none_or(|b| {
                    (b.carrier(), b.tracking_reference.as_deref()) != (s.carrier(), s.tracking_reference.as_deref())
                })
        });
        Self { upserts, removed, sets_tracking_reference }
    }
}

pub(super) async fn update_order<C: ConnectionTrait>(
    conn: &C,
    order: &Order,
    expected_version: i64,
    changes: &ShipmentChanges<'_>,
) -> Result<(), StoreError> {
    let row = mapping::order_row(order)?;
    let updated = orders::Entity::update_many()
        .col_expr(orders::Column::ExternalRef, Expr::val(row.external_ref))
        .col_expr(orders::Column::CustomerId, Expr::val(row.customer_id))
        .col_expr(orders::Column::CustomerName, Expr::val(row.customer_name))
        .col_expr(orders::Column::CustomerEmail, Expr::val(row.customer_email))
        .col_expr(orders::Column::ShippingAddress, Expr::val(row.shipping_address))
        .col_expr(orders::Column::Status, Expr::val(row.status))
        .col_expr(orders::Column::Version, Expr::val(row.version))
        .col_expr(orders::Column::UpdatedAt, Expr::val(row.updated_at))
        .col_expr(orders::Column::Review, Expr::val(row.review))
        .col_expr(orders::Column::CancellationReason, Expr::val(row.cancellation_reason))
        .filter(orders::Column::TenantId.eq(row.tenant_id.as_str()))
        .filter(orders::Column::Id.eq(row.id.as_str()))
        .filter(orders::Column::Version.eq(expected_version))
        .exec(conn)
        .await
        .map_err(store_error)?;
    if updated.rows_affected == 0 {
        return Err(StoreError::Conflict(format!("order {} is no longer at version {expected_version}", order.id())));
    }

    // Removed first, so a tracking reference they held is free for the rows written next.
    if !changes.removed.is_empty() {
        shipments::Entity::delete_many()
            .filter(shipments::Column::TenantId.eq(row.tenant_id.as_str()))
            .filter(shipments::Column::OrderId.eq(row.id.as_str()))
            .filter(shipments::Column::Id.is_in(changes.removed.iter().map(String::as_str)))
            .exec(conn)
            .await
            .map_err(store_error)?;
    }
    if changes.upserts.is_empty() {
        return Ok(());
    }
    let rows = changes
        .upserts
        .iter()
        .map(|(i, s)| mapping::shipment_row(order, *i, s).map(IntoActiveModel::into_active_model))
        .collect::<Result<Vec<_>, _>>()?;
    let written = shipments::Entity::insert_many(rows)
        .on_conflict(upsert_shipment())
        .exec_without_returning(conn)
        .await
        .map_err(store_error)?;
    if written != changes.upserts.len() as u64 {
        return Err(StoreError::Internal(format!("a shipment id of order {} belongs to another order", order.id())));
    }
    Ok(())
}

/// Insert new shipments and overwrite changed ones in one statement. The guard keeps a shipment
/// id that belongs to another order (or tenant) from being overwritten; the row count exposes it.
fn upsert_shipment() -> OnConflict {
    use shipments::Column as S;
    OnConflict::column(S::Id)
        .update_columns([
            S::Position,
            S::Status,
            S::Mode,
            S::Provider,
            S::Carrier,
            S::Items,
            S::Address,
            S::Package,
            S::Pickup,
            S::TrackingReference,
            S::LabelUrl,
            S::CostMinor,
            S::CostCurrency,
            S::UpdatedAt,
        ])
        .action_and_where(
            Expr::col((shipments::Entity, S::TenantId))
                .eq(Expr::col(("excluded", S::TenantId)))
                .and(Expr::col((shipments::Entity, S::OrderId)).eq(Expr::col(("excluded", S::OrderId)))),
        )
        .to_owned()
}
