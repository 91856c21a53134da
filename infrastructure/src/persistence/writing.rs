//! The statements that write an aggregate: insert with its children, and update with only the
//! shipments that changed. Generic over the connection so they run in a transaction or a savepoint.

use application::ports::{StoreError, Taken};
use domain::{
    TenantId,
    ledger::JournalEntry,
    order::{Order, Shipment},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, ExprTrait, IntoActiveModel, QueryFilter,
    QuerySelect,
    sea_query::{Expr, OnConflict},
};

use super::{
    entities::{journal_entries, journal_postings, order_lines, orders, returns, shipments, tracking_events},
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
    let rets = order
        .returns()
        .iter()
        .enumerate()
        .map(|(i, r)| mapping::return_row(order, i, r).map(IntoActiveModel::into_active_model))
        .collect::<Result<Vec<_>, _>>()?;
    returns::Entity::insert_many(rets).exec_without_returning(conn).await.map_err(store_error)?;
    insert_tracking(conn, order, 0).await?;
    insert_entries(conn, order.tenant_id(), order.journal().iter()).await
}

/// Appends the order's tracking events from index `from` on: they are never changed or removed.
async fn insert_tracking<C: ConnectionTrait>(conn: &C, order: &Order, from: usize) -> Result<(), StoreError> {
    let rows = order
        .tracking()
        .iter()
        .enumerate()
        .skip(from)
        .map(|(i, e)| mapping::tracking_row(order, i, e).map(IntoActiveModel::into_active_model))
        .collect::<Result<Vec<_>, _>>()?;
    if rows.is_empty() {
        return Ok(());
    }
    tracking_events::Entity::insert_many(rows).exec_without_returning(conn).await.map_err(store_error)?;
    Ok(())
}

/// Appends journal entries with their postings. An entry whose idempotency key another entry of
/// the tenant holds is not written (DO NOTHING keeps a PostgreSQL transaction usable) and the
/// whole write answers `Duplicate(JournalEntryKey)`, so the caller's transaction is dropped.
pub(super) async fn insert_entries<'a, C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    entries: impl Iterator<Item = &'a JournalEntry>,
) -> Result<(), StoreError> {
    let mut rows = Vec::new();
    let mut postings = Vec::new();
    for entry in entries {
        let (row, lines) = mapping::entry_rows(tenant, entry)?;
        rows.push(row.into_active_model());
        postings.extend(lines.into_iter().map(IntoActiveModel::into_active_model));
    }
    if rows.is_empty() {
        return Ok(());
    }
    let wanted = rows.len() as u64;
    let written = journal_entries::Entity::insert_many(rows)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(conn)
        .await
        .map_err(store_error)?;
    if written != wanted {
        return Err(StoreError::Duplicate(Taken::JournalEntryKey));
    }
    journal_postings::Entity::insert_many(postings).exec_without_returning(conn).await.map_err(store_error)?;
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
            return Ok(StoreError::Duplicate(Taken::ExternalRef));
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
        Some(_) => StoreError::Duplicate(Taken::OrderNumber),
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
    before: &Order,
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
    write_returns(conn, order, before).await?;
    insert_tracking(conn, order, before.tracking().len()).await?;
    let new_entries = order.journal().iter().filter(|e| !before.journal().iter().any(|b| b.id() == e.id()));
    insert_entries(conn, order.tenant_id(), new_entries).await?;
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

/// Returns are never removed from an order: new and changed ones are upserted in one statement.
async fn write_returns<C: ConnectionTrait>(conn: &C, order: &Order, before: &Order) -> Result<(), StoreError> {
    let changed: Vec<_> = order
        .returns()
        .iter()
        .enumerate()
        .filter(|(i, r)| before.returns().get(*i) != Some(*r))
        .map(|(i, r)| mapping::return_row(order, i, r).map(IntoActiveModel::into_active_model))
        .collect::<Result<_, _>>()?;
    if changed.is_empty() {
        return Ok(());
    }
    let wanted = changed.len() as u64;
    use returns::Column as R;
    let upsert = OnConflict::column(R::Id)
        .update_columns([R::Position, R::Status, R::Lines, R::Reason, R::DeclineReason, R::Refund, R::UpdatedAt])
        .action_and_where(
            Expr::col((returns::Entity, R::TenantId))
                .eq(Expr::col(("excluded", R::TenantId)))
                .and(Expr::col((returns::Entity, R::OrderId)).eq(Expr::col(("excluded", R::OrderId)))),
        )
        .to_owned();
    let written = returns::Entity::insert_many(changed)
        .on_conflict(upsert)
        .exec_without_returning(conn)
        .await
        .map_err(store_error)?;
    if written != wanted {
        return Err(StoreError::Internal(format!("a return id of order {} belongs to another order", order.id())));
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
            S::BookingCarrier,
            S::CarrierShipmentId,
            S::UpdatedAt,
        ])
        .action_and_where(
            Expr::col((shipments::Entity, S::TenantId))
                .eq(Expr::col(("excluded", S::TenantId)))
                .and(Expr::col((shipments::Entity, S::OrderId)).eq(Expr::col(("excluded", S::OrderId)))),
        )
        .to_owned()
}
