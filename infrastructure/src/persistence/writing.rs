//! The statements that write an aggregate: insert with its children, and update with only the
//! shipments that changed. They are planned here as [`Write`]s, each with the row count it
//! must have, and run by the transaction: on PostgreSQL one by one as they come, on SQLite
//! together with the command's next read or its commit (`deferred`).

use application::ports::{StoreError, Taken};
use domain::{
    TenantId,
    ledger::JournalEntry,
    order::{Order, Shipment},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, ExprTrait, IntoActiveModel, QueryFilter,
    QueryResult, QuerySelect, QueryTrait, Statement,
    sea_query::{Expr, OnConflict},
};

use super::{
    entities::{journal_entries, journal_postings, order_lines, orders, returns, shipments, tracking_events},
    errors::store_error,
    mapping,
};

/// One statement of a write, with the row count it must have.
pub(super) struct Write {
    pub statement: Statement,
    pub expect: Expect,
}

/// What a write's row count must be.
pub(super) enum Expect {
    /// Any count: a refusal is an error of the statement itself.
    Any,
    /// Exactly this many rows, or the write fails with the shortfall.
    Rows(u64, Shortfall),
}

/// Why a write wrote fewer rows than it must.
#[derive(Clone)]
pub(super) enum Shortfall {
    Error(StoreError),
    /// A new order ran into one of the tenant's unique keys (PostgreSQL's DO NOTHING): which
    /// one takes a look ([`taken_key`]).
    OrderKeyTaken {
        tenant: String,
        external_ref: Option<String>,
        number: String,
        id: String,
    },
}

impl Write {
    pub(super) fn any(statement: Statement) -> Self {
        Write { statement, expect: Expect::Any }
    }

    pub(super) fn rows(statement: Statement, wanted: u64, short: StoreError) -> Self {
        Write { statement, expect: Expect::Rows(wanted, Shortfall::Error(short)) }
    }
}

/// Whether a refused insert must leave the transaction usable. PostgreSQL aborts a transaction
/// on any error, so its inserts that can run into a caller's key do nothing and are counted.
/// SQLite undoes the failed statement only, so there they fail with the key they ran into and
/// stop the statements sent with them (which may depend on the row).
fn keeps_transaction_usable(backend: DbBackend) -> bool {
    backend == DbBackend::Postgres
}

/// Runs writes one by one, each checked as it ends (PostgreSQL).
pub(super) async fn run<C: ConnectionTrait>(conn: &C, writes: Vec<Write>) -> Result<(), StoreError> {
    for write in writes {
        let affected = conn.execute_raw(write.statement).await.map_err(store_error)?.rows_affected();
        if let Expect::Rows(wanted, short) = write.expect
            && affected != wanted
        {
            return Err(shortfall(conn, short).await);
        }
    }
    Ok(())
}

/// A counted write sent with others: its count, read from `column` of `row`, must be `wanted`.
pub(super) async fn check_count<C: ConnectionTrait>(
    conn: &C,
    row: &QueryResult,
    column: &str,
    wanted: u64,
    short: Shortfall,
) -> Result<(), StoreError> {
    let written: i64 = row.try_get("", column).map_err(store_error)?;
    if u64::try_from(written).ok() == Some(wanted) { Ok(()) } else { Err(shortfall(conn, short).await) }
}

/// The error a write that fell short ends in.
pub(super) async fn shortfall<C: ConnectionTrait>(conn: &C, short: Shortfall) -> StoreError {
    match short {
        Shortfall::Error(e) => e,
        Shortfall::OrderKeyTaken { tenant, external_ref, number, id } => {
            taken_key(conn, &tenant, external_ref.as_deref(), &number, &id).await.unwrap_or_else(|e| e)
        }
    }
}

/// A unique violation aborts a PostgreSQL transaction; inside a savepoint only the savepoint is
/// lost, so the caller's transaction stays usable after `Duplicate`.
pub(super) async fn run_in_savepoint(tx: &DatabaseTransaction, writes: Vec<Write>) -> Result<(), StoreError> {
    use sea_orm::TransactionTrait;
    let savepoint = tx.begin().await.map_err(store_error)?;
    match run(&savepoint, writes).await {
        Ok(()) => savepoint.commit().await.map_err(store_error),
        Err(e) => {
            savepoint.rollback().await.map_err(store_error)?;
            Err(e)
        }
    }
}

/// An order with all its children.
pub(super) fn insert_order(order: &Order, backend: DbBackend) -> Result<Vec<Write>, StoreError> {
    let row = mapping::order_row(order)?;
    let mut writes = Vec::new();
    if keeps_transaction_usable(backend) {
        // DO NOTHING rather than an error keeps a PostgreSQL transaction usable, so a caller can
        // answer a taken externalRef with the existing order from the same transaction.
        let insert =
            orders::Entity::insert(row.into_active_model()).on_conflict(OnConflict::new().do_nothing().to_owned());
        let short = Shortfall::OrderKeyTaken {
            tenant: order.tenant_id().as_str().to_owned(),
            external_ref: order.external_ref().map(str::to_owned),
            number: order.number().to_owned(),
            id: order.id().to_string(),
        };
        writes.push(Write { statement: insert.build(backend), expect: Expect::Rows(1, short) });
    } else {
        writes.push(Write::any(orders::Entity::insert(row.into_active_model()).build(backend)));
    }
    let lines: Vec<_> = mapping::line_rows(order)?.into_iter().map(IntoActiveModel::into_active_model).collect();
    if !lines.is_empty() {
        writes.push(Write::any(order_lines::Entity::insert_many(lines).build(backend)));
    }
    let ships = order
        .shipments()
        .iter()
        .enumerate()
        .map(|(i, s)| mapping::shipment_row(order, i, s).map(IntoActiveModel::into_active_model))
        .collect::<Result<Vec<_>, _>>()?;
    if !ships.is_empty() {
        writes.push(Write::any(shipments::Entity::insert_many(ships).build(backend)));
    }
    let rets = order
        .returns()
        .iter()
        .enumerate()
        .map(|(i, r)| mapping::return_row(order, i, r).map(IntoActiveModel::into_active_model))
        .collect::<Result<Vec<_>, _>>()?;
    if !rets.is_empty() {
        writes.push(Write::any(returns::Entity::insert_many(rets).build(backend)));
    }
    insert_tracking(&mut writes, order, 0, backend)?;
    insert_entries(&mut writes, order.tenant_id(), order.journal().iter(), backend)?;
    Ok(writes)
}

/// Appends the order's tracking events from index `from` on: they are never changed or removed.
fn insert_tracking(writes: &mut Vec<Write>, order: &Order, from: usize, backend: DbBackend) -> Result<(), StoreError> {
    let rows = order
        .tracking()
        .iter()
        .enumerate()
        .skip(from)
        .map(|(i, e)| mapping::tracking_row(order, i, e).map(IntoActiveModel::into_active_model))
        .collect::<Result<Vec<_>, _>>()?;
    if !rows.is_empty() {
        writes.push(Write::any(tracking_events::Entity::insert_many(rows).build(backend)));
    }
    Ok(())
}

/// Appends journal entries with their postings. An entry whose idempotency key another entry of
/// the tenant holds is not written and the whole write answers `Duplicate(JournalEntryKey)`, so
/// the caller's transaction is dropped: on PostgreSQL the entries do nothing and are counted
/// (the transaction stays usable), on SQLite the key's violation says so itself.
fn insert_entries<'a>(
    writes: &mut Vec<Write>,
    tenant: &TenantId,
    entries: impl Iterator<Item = &'a JournalEntry>,
    backend: DbBackend,
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
    if keeps_transaction_usable(backend) {
        let wanted = rows.len() as u64;
        let insert = journal_entries::Entity::insert_many(rows).on_conflict(OnConflict::new().do_nothing().to_owned());
        writes.push(Write::rows(insert.build(backend), wanted, StoreError::Duplicate(Taken::JournalEntryKey)));
    } else {
        writes.push(Write::any(journal_entries::Entity::insert_many(rows).build(backend)));
    }
    if !postings.is_empty() {
        writes.push(Write::any(journal_postings::Entity::insert_many(postings).build(backend)));
    }
    Ok(())
}

/// Which unique key an order insert ran into, in caller terms.
async fn taken_key<C: ConnectionTrait>(
    conn: &C,
    tenant: &str,
    external_ref: Option<&str>,
    number: &str,
    id: &str,
) -> Result<StoreError, StoreError> {
    let of_tenant = orders::Column::TenantId.eq(tenant);
    if let Some(external_ref) = external_ref {
        let holder = orders::Entity::find()
            .select_only()
            .column(orders::Column::Id)
            .filter(of_tenant.clone())
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
        .filter(of_tenant)
        .filter(orders::Column::Number.eq(number))
        .into_tuple::<String>()
        .one(conn)
        .await
        .map_err(store_error)?;
    Ok(match holder {
        Some(_) => StoreError::Duplicate(Taken::OrderNumber),
        None => StoreError::Internal(format!("order id {id} is already taken")),
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

pub(super) fn update_order(
    order: &Order,
    expected_version: i64,
    changes: &ShipmentChanges<'_>,
    before: &Order,
    backend: DbBackend,
) -> Result<Vec<Write>, StoreError> {
    let row = mapping::order_row(order)?;
    let update = orders::Entity::update_many()
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
        .filter(orders::Column::Version.eq(expected_version));
    let stale = StoreError::Conflict(format!("order {} is no longer at version {expected_version}", order.id()));
    let mut writes = vec![Write::rows(update.build(backend), 1, stale)];

    // Removed first, so a tracking reference they held is free for the rows written next.
    if !changes.removed.is_empty() {
        let delete = shipments::Entity::delete_many()
            .filter(shipments::Column::TenantId.eq(row.tenant_id.as_str()))
            .filter(shipments::Column::OrderId.eq(row.id.as_str()))
            .filter(shipments::Column::Id.is_in(changes.removed.iter().map(String::as_str)));
        writes.push(Write::any(delete.build(backend)));
    }
    write_returns(&mut writes, order, before, backend)?;
    insert_tracking(&mut writes, order, before.tracking().len(), backend)?;
    let new_entries = order.journal().iter().filter(|e| !before.journal().iter().any(|b| b.id() == e.id()));
    insert_entries(&mut writes, order.tenant_id(), new_entries, backend)?;
    if changes.upserts.is_empty() {
        return Ok(writes);
    }
    let rows = changes
        .upserts
        .iter()
        .map(|(i, s)| mapping::shipment_row(order, *i, s).map(IntoActiveModel::into_active_model))
        .collect::<Result<Vec<_>, _>>()?;
    let upsert = shipments::Entity::insert_many(rows).on_conflict(upsert_shipment());
    let foreign = StoreError::Internal(format!("a shipment id of order {} belongs to another order", order.id()));
    writes.push(Write::rows(upsert.build(backend), changes.upserts.len() as u64, foreign));
    Ok(writes)
}

/// Returns are never removed from an order: new and changed ones are upserted in one statement.
fn write_returns(writes: &mut Vec<Write>, order: &Order, before: &Order, backend: DbBackend) -> Result<(), StoreError> {
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
    let foreign = StoreError::Internal(format!("a return id of order {} belongs to another order", order.id()));
    writes.push(Write::rows(returns::Entity::insert_many(changed).on_conflict(upsert).build(backend), wanted, foreign));
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
