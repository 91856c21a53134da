//! `OrderStore` in memory, with what a test needs to see (committed rows, counters, the outbox)
//! and to provoke (a lost race, a failed insert or commit) without a database.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use async_trait::async_trait;
use domain::{OrderId, ShipmentId, TenantId, order::Order};

use super::{
    audit_log::InMemoryAuditLog,
    faults::{Faults, Op},
    lock,
    order_tx::InMemoryOrderTx,
    queries,
    tables::TenantTables,
};
use crate::ports::{
    AuditRecord, CurrencyTotals, LedgerPage, LedgerQuery, OrderPage, OrderQuery, OrderStore, OrderTx, OutboxEvent,
    StoreError, TrackedShipment, TrackingLookup, TrackingScope,
};

/// Clones share one store, so a test keeps a handle while the use case holds another.
#[derive(Clone, Default)]
pub struct InMemoryOrderStore {
    shared: Arc<Shared>,
}

#[derive(Default)]
pub(super) struct Shared {
    /// The single writer slot, held by a transaction for its whole life as SQLite's write lock
    /// is: a second `begin` waits until the first transaction commits or is dropped.
    pub(super) writer: Arc<futures::lock::Mutex<()>>,
    pub(super) committed: Mutex<Committed>,
    pub(super) faults: Faults,
    begun: AtomicUsize,
    /// Where committed in-transaction audit records also go, as they share one table in the
    /// database.
    pub(super) audit_log: Option<InMemoryAuditLog>,
}

#[derive(Debug, Default)]
pub(super) struct Committed {
    pub(super) tenants: HashMap<TenantId, TenantTables>,
    /// Records committed through `OrderTx::append_audit`, in commit order.
    pub(super) audit: Vec<AuditRecord>,
}

impl InMemoryOrderStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store whose committed transactions also append their audit records to `log`, so that
    /// `AuditLog::query` sees them as it does in production.
    pub fn with_audit_log(log: InMemoryAuditLog) -> Self {
        Self { shared: Arc::new(Shared { audit_log: Some(log), ..Shared::default() }) }
    }

    /// The tenant's committed orders, oldest first (by creation time, then id).
    pub fn committed_orders(&self, tenant: &TenantId) -> Vec<Order> {
        let mut orders: Vec<Order> = self.read(tenant, |t| t.orders.values().cloned().collect());
        orders.sort_by_key(|o| (o.created_at(), o.id()));
        orders
    }

    /// The tenant's committed outbox events, in append order.
    pub fn outbox(&self, tenant: &TenantId) -> Vec<OutboxEvent> {
        self.read(tenant, |t| t.outbox.clone())
    }

    /// Audit records committed with a transaction (not those of an `AuditLog`), in commit order.
    pub fn audit_records(&self) -> Vec<AuditRecord> {
        lock(&self.shared.committed).audit.clone()
    }

    /// The committed value of the tenant's counter; 0 when it was never incremented.
    pub fn counter(&self, tenant: &TenantId, name: &str) -> i64 {
        self.read(tenant, |t| t.counters.get(name).copied().unwrap_or(0))
    }

    /// How many times `begin` was called, whether or not the transaction committed.
    pub fn transactions_begun(&self) -> usize {
        self.shared.begun.load(Ordering::SeqCst)
    }

    /// The next `update_order`, in any transaction, answers `error` and writes nothing; later
    /// calls behave normally. `Conflict` simulates a lost race.
    pub fn fail_next_update_with(&self, error: StoreError) {
        self.shared.faults.arm(Op::Update, error);
    }

    /// The next `insert_order` answers `error` and writes nothing.
    pub fn fail_next_insert_with(&self, error: StoreError) {
        self.shared.faults.arm(Op::Insert, error);
    }

    /// The next `commit` answers `error` and applies nothing, as a commit the database refused.
    pub fn fail_next_commit_with(&self, error: StoreError) {
        self.shared.faults.arm(Op::Commit, error);
    }

    /// Reads the tenant's committed rows; a tenant never written to has empty ones.
    fn read<T>(&self, tenant: &TenantId, f: impl FnOnce(&TenantTables) -> T) -> T {
        let committed = lock(&self.shared.committed);
        match committed.tenants.get(tenant) {
            Some(tables) => f(tables),
            None => f(&TenantTables::default()),
        }
    }
}

#[async_trait]
impl OrderStore for InMemoryOrderStore {
    async fn begin(&self, tenant: &TenantId) -> Result<Box<dyn OrderTx>, StoreError> {
        self.shared.begun.fetch_add(1, Ordering::SeqCst);
        let writer = self.shared.writer.clone().lock_owned().await;
        // Taken after the writer slot, so no other transaction can commit over this snapshot.
        let staged = self.read(tenant, TenantTables::clone);
        Ok(Box::new(InMemoryOrderTx::new(self.shared.clone(), writer, tenant.clone(), staged)))
    }

    async fn order(&self, tenant: &TenantId, id: OrderId) -> Result<Option<Order>, StoreError> {
        Ok(self.read(tenant, |t| t.order(id)))
    }

    async fn order_by_external_ref(&self, tenant: &TenantId, external_ref: &str) -> Result<Option<Order>, StoreError> {
        Ok(self.read(tenant, |t| t.order_by_external_ref(external_ref)))
    }

    async fn order_of_shipment(&self, tenant: &TenantId, id: ShipmentId) -> Result<Option<Order>, StoreError> {
        Ok(self.read(tenant, |t| t.order_of_shipment(id)))
    }

    async fn orders(&self, tenant: &TenantId, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        self.read(tenant, |t| queries::orders(t, query))
    }

    async fn ledger_entries(&self, tenant: &TenantId, query: &LedgerQuery) -> Result<LedgerPage, StoreError> {
        Ok(self.read(tenant, |t| queries::ledger_entries(t, query)))
    }

    async fn trial_balance(&self, tenant: &TenantId) -> Result<Vec<CurrencyTotals>, StoreError> {
        Ok(self.read(tenant, queries::trial_balance))
    }

    async fn find_tracked_shipment(
        &self,
        scope: TrackingScope<'_>,
        lookup: &TrackingLookup,
    ) -> Result<TrackedShipment, StoreError> {
        let committed = lock(&self.shared.committed);
        let carrier = lookup.carrier.as_deref().map(|c| c.trim().to_lowercase());
        let in_scope = |tenant: &TenantId| !matches!(scope, TrackingScope::Tenant(only) if only != tenant);
        let mut by_booking = Vec::new();
        let mut by_reference = Vec::new();
        for (tenant, tables) in committed.tenants.iter().filter(|(tenant, _)| in_scope(tenant)) {
            for order in tables.orders.values() {
                for s in order.shipments() {
                    if let (Some(wanted), Some(booking)) = (&lookup.carrier_shipment, &s.booking)
                        && booking.carrier == wanted.carrier
                        && booking.carrier_shipment_id == wanted.id
                    {
                        by_booking.push((tenant.clone(), s.id));
                    }
                    let carrier_matches = carrier.as_deref().is_none_or(|c| s.carrier().trim().to_lowercase() == c);
                    if s.tracking_reference.as_deref() == Some(lookup.reference.as_str()) && carrier_matches {
                        by_reference.push((tenant.clone(), s.id));
                    }
                }
            }
        }
        let found = if by_booking.is_empty() { by_reference } else { by_booking };
        Ok(match found.as_slice() {
            [] => TrackedShipment::Unknown,
            [(tenant_id, shipment_id)] => {
                TrackedShipment::Found { tenant_id: tenant_id.clone(), shipment_id: *shipment_id }
            }
            _ => TrackedShipment::Ambiguous,
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
