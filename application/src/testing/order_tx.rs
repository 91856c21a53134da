//! One tenant's write transaction in memory: it works on a private copy of the tenant's rows
//! while it holds the store's writer slot, and commit swaps the copy in. Dropping it discards the
//! copy and frees the slot: a rollback.

use std::sync::Arc;

use async_trait::async_trait;
use domain::{OrderId, ReturnId, ShipmentId, TenantId, order::Order};
use futures::lock::OwnedMutexGuard;

use super::{faults::Op, lock, order_store::Shared, tables::TenantTables};
use crate::ports::{
    AuditRecord, IdempotencyRecord, OrderTx, OutboxEvent, StoreError, WebhookReceipt, writes_own_tenant,
};

/// The counter `next_order_number` draws from, as the SQL adapter names it.
const ORDER_NUMBER_COUNTER: &str = "order_number";

pub(super) struct InMemoryOrderTx {
    shared: Arc<Shared>,
    tenant: TenantId,
    /// The tenant's rows as this transaction sees them: the committed ones and its own writes.
    staged: TenantTables,
    /// This transaction's audit records, committed with it or not at all.
    audit: Vec<AuditRecord>,
    /// Released when the transaction ends, however it ends.
    _writer: OwnedMutexGuard<()>,
}

impl InMemoryOrderTx {
    pub(super) fn new(
        shared: Arc<Shared>,
        writer: OwnedMutexGuard<()>,
        tenant: TenantId,
        staged: TenantTables,
    ) -> Self {
        Self { shared, tenant, staged, audit: Vec::new(), _writer: writer }
    }
}

#[async_trait]
impl OrderTx for InMemoryOrderTx {
    // The writer slot already serializes every transaction, so a lock is a plain read.
    async fn lock_order(&mut self, id: OrderId) -> Result<Option<Order>, StoreError> {
        Ok(self.staged.order(id))
    }

    async fn lock_order_of_shipment(&mut self, id: ShipmentId) -> Result<Option<Order>, StoreError> {
        Ok(self.staged.order_of_shipment(id))
    }

    async fn lock_order_of_return(&mut self, id: ReturnId) -> Result<Option<Order>, StoreError> {
        Ok(self.staged.order_of_return(id))
    }

    async fn order_by_external_ref(&mut self, external_ref: &str) -> Result<Option<Order>, StoreError> {
        Ok(self.staged.order_by_external_ref(external_ref))
    }

    async fn next_order_number(&mut self) -> Result<i64, StoreError> {
        self.increment_counter(ORDER_NUMBER_COUNTER).await
    }

    async fn renumber_order(&mut self, id: OrderId, number: &str) -> Result<(), StoreError> {
        self.staged.renumber_order(id, number)
    }

    async fn increment_counter(&mut self, name: &str) -> Result<i64, StoreError> {
        Ok(self.staged.increment_counter(name))
    }

    async fn insert_order(&mut self, order: &Order) -> Result<(), StoreError> {
        self.shared.faults.fire(Op::Insert)?;
        writes_own_tenant(&self.tenant, order.tenant_id(), "an order")?;
        self.staged.insert_order(order)
    }

    async fn update_order(&mut self, order: &Order, expected_version: i64) -> Result<(), StoreError> {
        self.shared.faults.fire(Op::Update)?;
        writes_own_tenant(&self.tenant, order.tenant_id(), "an order")?;
        self.staged.update_order(order, expected_version)
    }

    async fn idempotency_record(&mut self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        Ok(self.staged.idempotency.get(key).cloned())
    }

    async fn save_idempotency_record(&mut self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        self.staged.save_idempotency_record(record)
    }

    async fn webhook_receipt(
        &mut self,
        route: &str,
        delivery_key: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<WebhookReceipt>, StoreError> {
        Ok(self.staged.webhook_receipt(route, delivery_key, now))
    }

    async fn save_webhook_receipt(&mut self, receipt: &WebhookReceipt) -> Result<(), StoreError> {
        self.staged.save_webhook_receipt(receipt)
    }

    async fn append_outbox(&mut self, events: &[OutboxEvent]) -> Result<(), StoreError> {
        for event in events {
            writes_own_tenant(&self.tenant, &event.tenant_id, "an outbox event")?;
        }
        self.staged.outbox.extend_from_slice(events);
        Ok(())
    }

    async fn append_audit(&mut self, record: &AuditRecord) -> Result<(), StoreError> {
        match &record.tenant_id {
            Some(tenant) => writes_own_tenant(&self.tenant, tenant, "an audit record")?,
            None => return Err(StoreError::Internal("a platform audit record in a tenant's transaction".to_owned())),
        }
        self.audit.push(record.clone());
        Ok(())
    }

    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        // A refused commit drops the transaction, staged writes and all.
        self.shared.faults.fire(Op::Commit)?;
        let Self { shared, tenant, staged, audit, _writer: writer } = *self;
        {
            let mut committed = lock(&shared.committed);
            committed.tenants.insert(tenant, staged);
            committed.audit.extend(audit.iter().cloned());
        }
        if let Some(log) = &shared.audit_log {
            log.append(audit);
        }
        // The writer slot is released only now, after every write is visible.
        drop(writer);
        Ok(())
    }
}
