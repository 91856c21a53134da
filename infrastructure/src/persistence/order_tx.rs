//! One tenant's write transaction. It remembers every order it has read or written, so
//! `update_order` writes only the children that changed (shipments, returns, new journal entries)
//! without reading them again.
//!
//! On PostgreSQL it is a transaction of its own: it runs each statement as it comes, except the
//! last small writes (numbering, outbox, key, audit), which go with the commit as one statement
//! (`combined`); a new order's counters are taken outside it (`order_counting`). On SQLite it is
//! a member of the writer's group commit, whose writes wait to go with its next read or its
//! commit (`deferred`). Either way a refusal of a write may come from a later call, which the
//! port allows.

use std::{collections::HashMap, sync::Arc};

use application::ports::{
    AuditRecord, IdempotencyRecord, OrderTx, OutboxEvent, StoreError, Taken, WebhookReceipt, writes_own_tenant,
};
use async_trait::async_trait;
use domain::{OrderId, ReturnId, ShipmentId, TenantId, order::Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, ExprTrait, FromQueryResult,
    IntoActiveModel, QueryFilter, QuerySelect, QueryTrait, Select, Statement,
    sea_query::{Expr, OnConflict},
};

use super::{
    combined,
    database::Signals,
    entities::{audit_log, idempotency_keys, orders, outbox_events, tenant_counters, webhook_receipts},
    errors::store_error,
    group_commit::Membership,
    loading, mapping,
    order_counting::{Counting, Unreturned},
    writing::{self, ShipmentChanges, Write},
};

/// The tenant counter that numbers its orders (`order_counting` takes it too).
pub(super) const ORDER_NUMBER_COUNTER: &str = "order_number";

/// Where the transaction's statements go.
enum Connection {
    /// PostgreSQL: a transaction of its own.
    Own(DatabaseTransaction),
    /// SQLite: a savepoint in the writer's open batch.
    Member(Membership),
}

pub(super) struct SeaOrderTx {
    conn: Connection,
    tenant: TenantId,
    /// Orders as stored in this transaction: the base `update_order` diffs against.
    stored: HashMap<OrderId, Order>,
    /// Whether this transaction appended outbox events: its commit then wakes the relay.
    appended_events: bool,
    signals: Arc<Signals>,
    /// PostgreSQL: the last small writes, sent as one statement with the next read or write, or
    /// with the commit (`combined`).
    last_writes: Vec<Write>,
    /// PostgreSQL: the months' counts this transaction took outside itself, given back unless
    /// its commit is sent.
    unreturned: Option<Unreturned>,
}

impl SeaOrderTx {
    pub(super) fn own(
        tx: DatabaseTransaction,
        tenant: TenantId,
        signals: Arc<Signals>,
        counting: Option<Counting>,
    ) -> Self {
        let mut this = Self::new(Connection::Own(tx), tenant, signals);
        this.unreturned = counting.map(|counting| Unreturned::new(counting, &this.tenant));
        this
    }

    pub(super) fn member(batch: Membership, tenant: TenantId, signals: Arc<Signals>) -> Self {
        Self::new(Connection::Member(batch), tenant, signals)
    }

    fn new(conn: Connection, tenant: TenantId, signals: Arc<Signals>) -> Self {
        Self {
            conn,
            tenant,
            stored: HashMap::new(),
            appended_events: false,
            signals,
            last_writes: Vec::new(),
            unreturned: None,
        }
    }

    fn tx(&self) -> &DatabaseTransaction {
        match &self.conn {
            Connection::Own(tx) => tx,
            Connection::Member(batch) => batch.tx(),
        }
    }

    /// Known without the connection: a SQLite member may not hold its batch yet.
    fn backend(&self) -> DbBackend {
        match &self.conn {
            Connection::Own(tx) => tx.get_database_backend(),
            Connection::Member(_) => DbBackend::Sqlite,
        }
    }

    /// Runs the writes now (PostgreSQL) or with the next read or the commit (SQLite).
    async fn write(&mut self, writes: Vec<Write>) -> Result<(), StoreError> {
        self.send_last_writes().await?;
        match &mut self.conn {
            Connection::Own(tx) => writing::run(tx, writes).await,
            Connection::Member(batch) => {
                batch.defer(writes);
                Ok(())
            }
        }
    }

    /// Writes of independent rows (see `combined`) that may wait for the transaction's next
    /// statement or its commit, on either backend.
    fn write_later(&mut self, writes: Vec<Write>) {
        match &mut self.conn {
            Connection::Own(_) => self.last_writes.extend(writes),
            Connection::Member(batch) => batch.defer(writes),
        }
    }

    /// PostgreSQL: sends the writes that wait, as one statement.
    async fn send_last_writes(&mut self) -> Result<(), StoreError> {
        match &self.conn {
            Connection::Own(tx) if !self.last_writes.is_empty() => {
                combined::send(tx, std::mem::take(&mut self.last_writes)).await
            }
            _ => Ok(()),
        }
    }

    /// The rows of a read, which carries (SQLite) or follows (PostgreSQL) the writes waiting.
    async fn read(&mut self, read: Statement) -> Result<Vec<sea_orm::QueryResult>, StoreError> {
        self.send_last_writes().await?;
        match &mut self.conn {
            Connection::Own(tx) => tx.query_all_raw(read).await.map_err(store_error),
            Connection::Member(batch) => batch.read(read).await,
        }
    }

    /// The first row `select` finds.
    async fn read_one<M: FromQueryResult>(&mut self, select: impl QueryTrait) -> Result<Option<M>, StoreError> {
        let statement = select.build(self.backend());
        match self.read(statement).await?.first() {
            Some(row) => M::from_query_result(row, "").map(Some).map_err(store_error),
            None => Ok(None),
        }
    }

    /// The order `select` finds, whole (its children with one more query), remembered.
    async fn read_order(&mut self, select: Select<orders::Entity>) -> Result<Option<Order>, StoreError> {
        let Some(row) = self.read_one::<orders::Model>(select.limit(1)).await? else {
            return Ok(None);
        };
        let order = loading::whole(self.tx(), vec![row]).await?.pop();
        Ok(self.remember(order))
    }

    fn remember(&mut self, order: Option<Order>) -> Option<Order> {
        if let Some(o) = &order {
            self.stored.insert(o.id(), o.clone());
        }
        order
    }

    async fn stored(&mut self, order: OrderId) -> Result<Order, StoreError> {
        if let Some(known) = self.stored.get(&order) {
            return Ok(known.clone());
        }
        let tenant = self.tenant.clone();
        self.read_order(loading::by_id(&tenant, order))
            .await?
            .ok_or_else(|| StoreError::Conflict(format!("order {order} is no longer stored")))
    }

    /// Adds one to each of the tenant's counters `names` (distinct) in one atomic statement, and
    /// answers their new values in that order. Concurrent transactions queue on the counter rows
    /// (always taken in the caller's order), and a rollback undoes the increments. On SQLite the
    /// writer usually knows the values already (`group_commit`), and the increments wait for the
    /// commit like any write.
    async fn increment_counters<const N: usize>(&mut self, names: [&str; N]) -> Result<[i64; N], StoreError> {
        if let Connection::Member(batch) = &mut self.conn
            && let Some(known) = batch.known_counters(self.tenant.as_str(), names).await?
        {
            let values = known.map(|value| value + 1);
            let writes = names.iter().zip(known).map(|(name, value)| self.guarded_increment(name, value)).collect();
            self.write_later(writes);
            self.counted(names, values);
            return Ok(values);
        }
        use tenant_counters::Column as C;
        let rows = names.map(|name| {
            tenant_counters::Model { tenant_id: self.tenant.as_str().to_owned(), name: name.to_owned(), value: 1 }
                .into_active_model()
        });
        let mut upsert = tenant_counters::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([C::TenantId, C::Name])
                    .value(C::Value, Expr::col((tenant_counters::Entity, C::Value)).add(1))
                    .to_owned(),
            )
            .into_query();
        upsert.returning(sea_orm::sea_query::Query::returning().columns([C::Name, C::Value]));
        let statement = self.backend().build(&upsert);
        let rows = self.read(statement).await?;
        let mut values = [0; N];
        for (name, value) in names.iter().zip(values.iter_mut()) {
            let row = rows.iter().find(|row| row.try_get::<String>("", "name").is_ok_and(|n| n == *name));
            *value = match row {
                Some(row) => row.try_get("", "value").map_err(store_error)?,
                None => return Err(StoreError::Internal(format!("counter {name} returned no value"))),
            };
        }
        self.counted(names, values);
        Ok(values)
    }

    /// SQLite: the increment of a counter the writer knows at `known`, refused (a conflict, and
    /// the command runs again) if the row holds anything else: then a writer outside this
    /// process changed it.
    fn guarded_increment(&self, name: &str, known: i64) -> Write {
        use tenant_counters::Column as C;
        let update = tenant_counters::Entity::update_many()
            .col_expr(C::Value, Expr::value(known + 1))
            .filter(C::TenantId.eq(self.tenant.as_str()))
            .filter(C::Name.eq(name))
            .filter(C::Value.eq(known))
            .build(DbBackend::Sqlite);
        Write::rows(update, 1, StoreError::Conflict(format!("counter {name} changed outside this process")))
    }

    /// SQLite: tells the writer the counters' values this transaction leaves.
    fn counted<const N: usize>(&mut self, names: [&str; N], values: [i64; N]) {
        if let Connection::Member(batch) = &mut self.conn {
            for (name, value) in names.iter().zip(values) {
                batch.counted(self.tenant.as_str(), name, value);
            }
        }
    }

    /// Writes that set a tracking reference run in a savepoint on PostgreSQL, so that a taken
    /// reference leaves the transaction usable; SQLite undoes the failed statement only.
    async fn write_tracked(&mut self, writes: Vec<Write>, sets_tracking_reference: bool) -> Result<(), StoreError> {
        if !sets_tracking_reference || matches!(self.conn, Connection::Member(_)) {
            return self.write(writes).await;
        }
        self.send_last_writes().await?;
        writing::run_in_savepoint(self.tx(), writes).await
    }
}

#[async_trait]
impl OrderTx for SeaOrderTx {
    async fn lock_order(&mut self, id: OrderId) -> Result<Option<Order>, StoreError> {
        if let Connection::Member(batch) = &mut self.conn {
            // The order and its children with the writes waiting: one hand-off.
            let rows = batch.read(loading::by_id_with_children(&self.tenant, id)).await?;
            let order = loading::whole_from_rows(&self.tenant, &rows)?;
            return Ok(self.remember(order));
        }
        let select = loading::by_id(&self.tenant, id).lock_exclusive();
        self.read_order(select).await
    }

    async fn lock_order_of_shipment(&mut self, id: ShipmentId) -> Result<Option<Order>, StoreError> {
        let select = loading::by_shipment(&self.tenant, id).lock_exclusive();
        self.read_order(select).await
    }

    async fn lock_order_of_return(&mut self, id: ReturnId) -> Result<Option<Order>, StoreError> {
        let select = loading::by_return(&self.tenant, id).lock_exclusive();
        self.read_order(select).await
    }

    async fn order_by_external_ref(&mut self, external_ref: &str) -> Result<Option<Order>, StoreError> {
        let select = loading::by_external_ref(&self.tenant, external_ref);
        self.read_order(select).await
    }

    async fn next_order_number(&mut self) -> Result<i64, StoreError> {
        self.increment_counter(ORDER_NUMBER_COUNTER).await
    }

    async fn renumber_order(&mut self, id: OrderId, number: &str) -> Result<(), StoreError> {
        let update = orders::Entity::update_many()
            .col_expr(orders::Column::Number, Expr::value(number))
            .filter(orders::Column::TenantId.eq(self.tenant.as_str()))
            .filter(orders::Column::Id.eq(id.to_string()))
            .build(self.backend());
        let missing = StoreError::Internal(format!("order {id} was not inserted in this transaction"));
        self.write_later(vec![Write::rows(update, 1, missing)]);
        if let Some(stored) = self.stored.get_mut(&id) {
            stored.number_as(number.to_owned());
        }
        Ok(())
    }

    async fn increment_counter(&mut self, name: &str) -> Result<i64, StoreError> {
        let [value] = self.increment_counters([name]).await?;
        Ok(value)
    }

    /// SQLite: both counters in one statement, one hand-off to the writer, committed with the
    /// order (the limit is the runner's to apply). PostgreSQL: outside this transaction.
    async fn count_new_order(&mut self, month: &str, limit: Option<u64>) -> Result<(i64, i64), StoreError> {
        if let Some(unreturned) = &mut self.unreturned {
            let counted = unreturned.counting().count(&self.tenant, month, limit).await?;
            if counted.counted {
                unreturned.counted(month);
            }
            return Ok((counted.number, counted.used));
        }
        let [number, counted] = self.increment_counters([ORDER_NUMBER_COUNTER, month]).await?;
        Ok((number, counted))
    }

    async fn insert_order(&mut self, order: &Order) -> Result<(), StoreError> {
        writes_own_tenant(&self.tenant, order.tenant_id(), "an order")?;
        let writes_tracking = order.shipments().iter().any(|s| s.tracking_reference.is_some());
        let writes = writing::insert_order(order, self.backend())?;
        self.write_tracked(writes, writes_tracking).await?;
        self.stored.insert(order.id(), order.clone());
        Ok(())
    }

    async fn update_order(&mut self, order: &Order, expected_version: i64) -> Result<(), StoreError> {
        writes_own_tenant(&self.tenant, order.tenant_id(), "an order")?;
        let before = self.stored(order.id()).await?;
        let plan = ShipmentChanges::between(before.shipments(), order);
        let writes = writing::update_order(order, expected_version, &plan, &before, self.backend())?;
        self.write_tracked(writes, plan.sets_tracking_reference).await?;
        self.stored.insert(order.id(), order.clone());
        Ok(())
    }

    async fn idempotency_record(&mut self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let select = idempotency_keys::Entity::find_by_id((self.tenant.as_str().to_owned(), key.to_owned())).limit(1);
        let row: Option<idempotency_keys::Model> = self.read_one(select).await?;
        Ok(row.map(mapping::restore_idempotency))
    }

    async fn save_idempotency_record(&mut self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        let row = mapping::idempotency_row(&self.tenant, record);
        // DO NOTHING rather than an error keeps a PostgreSQL transaction usable after a lost race.
        let insert = idempotency_keys::Entity::insert(row.into_active_model())
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .build(self.backend());
        self.write_later(vec![Write::rows(insert, 1, StoreError::Duplicate(Taken::IdempotencyKey))]);
        Ok(())
    }

    async fn webhook_receipt(
        &mut self,
        route: &str,
        delivery_key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<WebhookReceipt>, StoreError> {
        let select = webhook_receipts::Entity::find_by_id((
            self.tenant.as_str().to_owned(),
            route.to_owned(),
            delivery_key.to_owned(),
        ))
        .filter(webhook_receipts::Column::ExpiresAtUs.gt(now.timestamp_micros()))
        .limit(1);
        let row: Option<webhook_receipts::Model> = self.read_one(select).await?;
        Ok(row.map(mapping::restore_receipt))
    }

    async fn save_webhook_receipt(&mut self, receipt: &WebhookReceipt) -> Result<(), StoreError> {
        use webhook_receipts::Column as R;

        let row = mapping::receipt_row(&self.tenant, receipt);
        // A receipt past its time is overwritten; a live one is left alone and reported. DO
        // NOTHING rather than an error keeps a PostgreSQL transaction usable after a lost race.
        let upsert = webhook_receipts::Entity::insert(row.into_active_model())
            .on_conflict(
                OnConflict::columns([R::TenantId, R::Route, R::DeliveryKey])
                    .update_columns([R::ResourceId, R::ReceivedAtUs, R::ExpiresAtUs])
                    .action_and_where(
                        Expr::col((webhook_receipts::Entity, R::ExpiresAtUs))
                            .lte(receipt.received_at.timestamp_micros()),
                    )
                    .to_owned(),
            )
            .build(self.backend());
        self.write_later(vec![Write::rows(upsert, 1, StoreError::Duplicate(Taken::WebhookDelivery))]);
        Ok(())
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
        let insert = outbox_events::Entity::insert_many(rows).build(self.backend());
        self.write_later(vec![Write::any(insert)]);
        self.appended_events = true;
        Ok(())
    }

    async fn append_audit(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        match &record.tenant_id {
            Some(tenant) => writes_own_tenant(&self.tenant, tenant, "an audit record")?,
            None => return Err(StoreError::Internal("a platform audit record in a tenant's transaction".to_owned())),
        }
        let row = mapping::audit_row(record)?.into_active_model();
        let insert = audit_log::Entity::insert(row).build(self.backend());
        self.write_later(vec![Write::any(insert)]);
        Ok(())
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.send_last_writes().await?;
        if let Some(unreturned) = &mut self.unreturned {
            unreturned.disarm();
        }
        let this = *self;
        match this.conn {
            Connection::Member(batch) => batch.commit().await?,
            Connection::Own(tx) => tx.commit().await.map_err(store_error)?,
        }
        if this.appended_events {
            this.signals.outbox.notify_one();
        }
        Ok(())
    }
}
