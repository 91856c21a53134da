//! One tenant's write transaction. It remembers every order it has read or written, so
//! `update_order` writes only the children that changed (shipments, returns, new journal entries)
//! without reading them again.

use std::{collections::HashMap, sync::Arc};

use application::ports::{
    AuditRecord, IdempotencyRecord, OrderTx, OutboxEvent, StoreError, Taken, WebhookReceipt, writes_own_tenant,
};
use async_trait::async_trait;
use domain::{OrderId, ReturnId, ShipmentId, TenantId, order::Order};
use sea_orm::{
    DatabaseTransaction, EntityTrait, ExprTrait, IntoActiveModel, QuerySelect, TransactionTrait,
    sea_query::{Expr, OnConflict},
};

use super::{
    database::Signals,
    entities::{audit_log, idempotency_keys, orders, outbox_events, tenant_counters, webhook_receipts},
    errors::store_error,
    group_commit::Membership,
    loading, mapping,
    writing::{self, ShipmentChanges},
};

const ORDER_NUMBER_COUNTER: &str = "order_number";

pub(super) struct SeaOrderTx {
    /// Declared before `batch`: dropped first, so its rollback precedes anything the batch does.
    tx: DatabaseTransaction,
    /// SQLite: the group commit this transaction is a savepoint of.
    batch: Option<Membership>,
    tenant: TenantId,
    /// Orders as stored in this transaction: the base `update_order` diffs against.
    stored: HashMap<OrderId, Order>,
    /// Whether this transaction appended outbox events: its commit then wakes the relay.
    appended_events: bool,
    signals: Arc<Signals>,
}

impl SeaOrderTx {
    pub(super) fn new(
        tx: DatabaseTransaction,
        batch: Option<Membership>,
        tenant: TenantId,
        signals: Arc<Signals>,
    ) -> Self {
        Self { tx, batch, tenant, stored: HashMap::new(), appended_events: false, signals }
    }

    fn remember(&mut self, order: Option<Order>) -> Option<Order> {
        if let Some(o) = &order {
            self.stored.insert(o.id(), o.clone());
        }
        order
    }

    async fn stored(&self, order: OrderId) -> Result<Order, StoreError> {
        match self.stored.get(&order) {
            Some(known) => Ok(known.clone()),
            None => loading::one(&self.tx, loading::by_id(&self.tenant, order))
                .await?
                .ok_or_else(|| StoreError::Conflict(format!("order {order} is no longer stored"))),
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

    async fn lock_order_of_return(&mut self, id: ReturnId) -> Result<Option<Order>, StoreError> {
        let order = loading::one(&self.tx, loading::by_return(&self.tenant, id).lock_exclusive()).await?;
        Ok(self.remember(order))
    }

    async fn order_by_external_ref(&mut self, external_ref: &str) -> Result<Option<Order>, StoreError> {
        let order = loading::one(&self.tx, loading::by_external_ref(&self.tenant, external_ref)).await?;
        Ok(self.remember(order))
    }

    async fn next_order_number(&mut self) -> Result<i64, StoreError> {
        self.increment_counter(ORDER_NUMBER_COUNTER).await
    }

    async fn renumber_order(&mut self, id: OrderId, number: &str) -> Result<(), StoreError> {
        use sea_orm::{ColumnTrait, QueryFilter};

        let updated = orders::Entity::update_many()
            .col_expr(orders::Column::Number, Expr::value(number))
            .filter(orders::Column::TenantId.eq(self.tenant.as_str()))
            .filter(orders::Column::Id.eq(id.to_string()))
            .exec(&self.tx)
            .await
            .map_err(store_error)?;
        if updated.rows_affected != 1 {
            return Err(StoreError::Internal(format!("order {id} was not inserted in this transaction")));
        }
        if let Some(stored) = self.stored.get_mut(&id) {
            stored.number_as(number.to_owned());
        }
        Ok(())
    }

    async fn increment_counter(&mut self, name: &str) -> Result<i64, StoreError> {
        let first =
            tenant_counters::Model { tenant_id: self.tenant.as_str().to_owned(), name: name.to_owned(), value: 1 };
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
        writes_own_tenant(&self.tenant, order.tenant_id(), "an order")?;
        let writes_tracking = order.shipments().iter().any(|s| s.tracking_reference.is_some());
        if writes_tracking {
            let savepoint = self.tx.begin().await.map_err(store_error)?;
            let written = writing::insert_order(&savepoint, order).await;
            writing::settle(savepoint, written).await?;
        } else {
            writing::insert_order(&self.tx, order).await?;
        }
        self.stored.insert(order.id(), order.clone());
        Ok(())
    }

    async fn update_order(&mut self, order: &Order, expected_version: i64) -> Result<(), StoreError> {
        writes_own_tenant(&self.tenant, order.tenant_id(), "an order")?;
        let before = self.stored(order.id()).await?;
        let plan = ShipmentChanges::between(before.shipments(), order);
        if plan.sets_tracking_reference {
            let savepoint = self.tx.begin().await.map_err(store_error)?;
            let written = writing::update_order(&savepoint, order, expected_version, &plan, &before).await;
            writing::settle(savepoint, written).await?;
        } else {
            writing::update_order(&self.tx, order, expected_version, &plan, &before).await?;
        }
        self.stored.insert(order.id(), order.clone());
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
        if inserted == 0 { Err(StoreError::Duplicate(Taken::IdempotencyKey)) } else { Ok(()) }
    }

    async fn webhook_receipt(
        &mut self,
        route: &str,
        delivery_key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<WebhookReceipt>, StoreError> {
        use sea_orm::{ColumnTrait, QueryFilter};

        let row = webhook_receipts::Entity::find_by_id((
            self.tenant.as_str().to_owned(),
            route.to_owned(),
            delivery_key.to_owned(),
        ))
        .filter(webhook_receipts::Column::ExpiresAtUs.gt(now.timestamp_micros()))
        .one(&self.tx)
        .await
        .map_err(store_error)?;
        Ok(row.map(mapping::restore_receipt))
    }

    async fn save_webhook_receipt(&mut self, receipt: &WebhookReceipt) -> Result<(), StoreError> {
        use webhook_receipts::Column as R;

        let row = mapping::receipt_row(&self.tenant, receipt);
        // A receipt past its time is overwritten; a live one is left alone and reported. DO
        // NOTHING rather than an error keeps a PostgreSQL transaction usable after a lost race.
        let written = webhook_receipts::Entity::insert(row.into_active_model())
            .on_conflict(
                OnConflict::columns([R::TenantId, R::Route, R::DeliveryKey])
                    .update_columns([R::ResourceId, R::ReceivedAtUs, R::ExpiresAtUs])
                    .action_and_where(
                        Expr::col((webhook_receipts::Entity, R::ExpiresAtUs))
                            .lte(receipt.received_at.timestamp_micros()),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&self.tx)
            .await
            .map_err(store_error)?;
        if written == 0 { Err(StoreError::Duplicate(Taken::WebhookDelivery)) } else { Ok(()) }
    }

    async fn append_outbox(&mut self, events: &[OutboxEvent]) -> Result<(), StoreError> {
        let mut rows = Vec::with_capacity(events.len());
        for event in events {
            writes_own_tenant(&self.tenant, &event.tenant_id, "an outbox event")?;
            rows.push(mapping::outbox_row(event)?.into_active_model());
        }
        if rows.is_empty() {
            return Ok(());
        }
        outbox_events::Entity::insert_many(rows).exec_without_returning(&self.tx).await.map_err(store_error)?;
        self.appended_events = true;
        Ok(())
    }

    async fn append_audit(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        match &record.tenant_id {
            Some(tenant) => writes_own_tenant(&self.tenant, tenant, "an audit record")?,
            None => return Err(StoreError::Internal("a platform audit record in a tenant's transaction".to_owned())),
        }
        let row = mapping::audit_row(record)?.into_active_model();
        audit_log::Entity::insert(row).exec_without_returning(&self.tx).await.map_err(store_error)?;
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let this = *self;
        match this.batch {
            Some(batch) => batch.commit(this.tx).await?,
            None => this.tx.commit().await.map_err(store_error)?,
        }
        if this.appended_events {
            this.signals.outbox.notify_one();
        }
        Ok(())
    }
}
