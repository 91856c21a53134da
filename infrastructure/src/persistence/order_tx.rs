//! One tenant's write transaction. It remembers the shipments of every order it has read or
//! written, so `update_order` writes only the shipments that changed without reading them again.

use std::collections::HashMap;

use application::ports::{IdempotencyRecord, OrderTx, OutboxEvent, StoreError};
use async_trait::async_trait;
use domain::{
    OrderId, ShipmentId, TenantId,
    order::{Order, Shipment},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, ExprTrait, IntoActiveModel, QueryFilter,
    QuerySelect, TransactionTrait,
    sea_query::{Expr, OnConflict},
};

use super::{
    entities::{idempotency_keys, order_lines, orders, outbox_events, shipments, tenant_counters},
    errors::store_error,
    loading, mapping,
};

const ORDER_NUMBER_COUNTER: &str = "order_number";

pub(super) struct SeaOrderTx {
    tx: DatabaseTransaction,
    tenant: TenantId,
    /// Shipments as stored in this transaction, per order: the base `update_order` diffs against.
    stored_shipments: HashMap<OrderId, Vec<Shipment>>,
}

impl SeaOrderTx {
    pub(super) fn new(tx: DatabaseTransaction, tenant: TenantId) -> Self {
        Self { tx, tenant, stored_shipments: HashMap::new() }
    }

    fn remember(&mut self, order: Option<Order>) -> Option<Order> {
        if let Some(o) = &order {
            self.stored_shipments.insert(o.id(), o.shipments().to_vec());
        }
        order
    }

    fn ensure_own(&self, tenant: &TenantId, what: &str) -> Result<(), StoreError> {
        if tenant == &self.tenant {
            Ok(())
        } else {
            Err(StoreError::Internal(format!("refused to write {what} of tenant {tenant} in a transaction of tenant {}", self.tenant)))
        }
    }

    async fn stored_shipments(&self, order: OrderId) -> Result<Vec<Shipment>, StoreError> {
        match self.stored_shipments.get(&order) {
            Some(known) => Ok(known.clone()),
            None => loading::shipments_of(&self.tx, &self.tenant, order).await,
        }
    }
}

#[async_trait]
impl OrderTx for SeaOrderTx {
    async fn lock_order(&mut self, id: OrderId) -> Result<Option<Order>, StoreError> {
        let order = loading::one(&self.tx, loading::by_id(&self.tenant, id).lock_exclusive()).await?;
        Ok(self.remember(order))
    }

    async fn lock_order_of_shipment(&mut self, id: ShipmentId) -> Result<Option<Order>, StoreError> {
        let order = loading::one(&self.tx, loading::by_shipment(&self.tenant, id).lock_exclusive()).await?;
        Ok(self.remember(order))
    }

    async fn order_by_external_ref(&mut self, external_ref: &str) -> Result<Option<Order>, StoreError> {
        let order = loading::one(&self.tx, loading::by_external_ref(&self.tenant, external_ref)).await?;
        Ok(self.remember(order))
    }

    async fn next_order_number(&mut self) -> Result<i64, StoreError> {
        let first = tenant_counters::Model {
            tenant_id: self.tenant.as_str().to_owned(),
            name: ORDER_NUMBER_COUNTER.to_owned(),
            value: 1,
        };
        // One atomic statement: concurrent transactions of the tenant queue on the counter row.
        let counter = tenant_counters::Entity::insert(first.into_active_model())
            .on_conflict(
                OnConflict::columns([tenant_counters::Column::TenantId, tenant_counters::Column::Name])
                    .value(
                        tenant_counters::Column::Value,
                        Expr::col((tenant_counters::Entity, tenant_counters::Column::Value)).add(1),
                    )
                    .to_owned(),
            )
            .exec_with_returning(&self.tx)
            .await
            .map_err(store_error)?;
        Ok(counter.value)
    }

    async fn insert_order(&mut self, order: &Order) -> Result<(), StoreError> {
        self.ensure_own(order.tenant_id(), "an order")?;
        let writes_tracking = order.shipments().iter().any(|s| s.tracking_reference.is_some());
        if writes_tracking {
            let savepoint = self.tx.begin().await.map_err(store_error)?;
            let written = insert_order(&savepoint, order).await;
            settle(savepoint, written).await?;
        } else {
            insert_order(&self.tx, order).await?;
        }
        self.stored_shipments.insert(order.id(), order.shipments().to_vec());
        Ok(())
    }

    async fn update_order(&mut self, order: &Order, expected_version: i64) -> Result<(), StoreError> {
        self.ensure_own(order.tenant_id(), "an order")?;
        let before = self.stored_shipments(order.id()).await?;
        let plan = ShipmentChanges::between(&before, order);
        if plan.sets_tracking_reference {
            let savepoint = self.tx.begin().await.map_err(store_error)?;
            let written = update_order(&savepoint, order, expected_version, &plan).await;
            settle(savepoint, written).await?;
        } else {
            update_order(&self.tx, order, expected_version, &plan).await?;
        }
        self.stored_shipments.insert(order.id(), order.shipments().to_vec());
        Ok(())
    }

    async fn idempotency_record(&mut self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let row = idempotency_keys::Entity::find_by_id((self.tenant.as_str().to_owned(), key.to_owned()))
            .one(&self.tx)
            .await
            .map_err(store_error)?;
        Ok(row.map(mapping::restore_idempotency))
    }

    async fn save_idempotency_record(&mut self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        let row = mapping::idempotency_row(&self.tenant, record);
        // DO NOTHING rather than an error keeps a PostgreSQL transaction usable after a lost race.
        let inserted = idempotency_keys::Entity::insert(row.into_active_model())
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(&self.tx)
            .await
            .map_err(store_error)?;
        if inserted == 0 { Err(StoreError::Duplicate("idempotencyKey".to_owned())) } else { Ok(()) }
    }

    async fn append_outbox(&mut self, events: &[OutboxEvent]) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            self.ensure_own(&event.tenant_id, "an outbox event")?;
            rows.push(mapping::outbox_row(event)?.into_active_model());
        }
        outbox_events::Entity::insert_many(rows).exec_without_returning(&self.tx).await.map_err(store_error)?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(store_error)
    }
}

/// A unique violation aborts a PostgreSQL transaction; inside a savepoint only the savepoint is
/// lost, so both backends leave the caller's transaction usable after `Duplicate`.
async fn settle(savepoint: DatabaseTransaction, written: Result<(), StoreError>) -> Result<(), StoreError> {
    match written {
        Ok(()) => savepoint.commit().await.map_err(store_error),
        Err(e) => {
            savepoint.rollback().await.map_err(store_error)?;
            Err(e)
        }
    }
}

async fn insert_order<C: ConnectionTrait>(conn: &C, order: &Order) -> Result<(), StoreError> {
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
struct ShipmentChanges<'a> {
    /// New, changed or moved shipments, with their index in the aggregate.
    upserts: Vec<(usize, &'a Shipment)>,
    removed: Vec<String>,
    /// A tracking reference appears that was not stored before and may be taken by another order.
    sets_tracking_reference: bool,
}

impl<'a> ShipmentChanges<'a> {
    fn between(before: &[Shipment], order: &'a Order) -> Self {
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

async fn update_order<C: ConnectionTrait>(
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
        return Err(StoreError::Conflict(format!(
            "order {} is no longer at version {expected_version}",
            order.id()
        )));
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
