//! Unit tests of the order-command runner, through the public use cases over the in-memory
//! doubles: what a caller and the audit trail see, and what the store holds afterwards.
//!
//! Audit records reach two places, kept apart on purpose: a successful change commits its record
//! with the transaction (`InMemoryOrderStore::audit_records`), anything else (a refusal, a
//! failure, a replay) is settled on its own (`InMemoryAuditLog::records`). The store is not
//! given the log, so each test can tell which of the two paths a call took, and "one record per
//! call" is the sum of both.

mod deliveries;
mod idempotency;
mod quota;
mod races;
mod refusals;
mod staged;
mod vendor_scope;
mod watch;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use domain::{TenantId, order::Order};

use crate::{
    AppError, ErrorCode, Permission, Principal,
    access::PermissionSet,
    orders::{CreateOrder, CustomerInput, MoneyInput, OrderLineInput, OrderRef, Orders},
    ports::{AuditRecord, OrderStore, OutboxEvent, PlanLimits, TenantSettings},
    testing::{FixedClock, InMemoryAuditLog, InMemoryOrderStore, SequentialIds, StaticTenants},
};

/// The tenant every world is built for.
const TENANT: &str = "acme";

/// One `Orders` over the doubles, with handles on what the use cases write.
struct World {
    orders: Orders,
    store: InMemoryOrderStore,
    log: InMemoryAuditLog,
    clock: Arc<FixedClock>,
    tenant: TenantId,
}

impl World {
    /// A tenant whose plan has every permission and no quota; new orders are auto-confirmed.
    fn new() -> Self {
        Self::with(every_permission(), PlanLimits::default(), TenantSettings::default())
    }

    /// New orders stay PENDING, so that confirmOrder has something to confirm.
    fn pending() -> Self {
        Self::with(every_permission(), PlanLimits::default(), manual_confirmation())
    }

    fn with(plan: PermissionSet, limits: PlanLimits, settings: TenantSettings) -> Self {
        Self::at(FixedClock::default(), plan, limits, settings)
    }

    fn at(clock: FixedClock, plan: PermissionSet, limits: PlanLimits, settings: TenantSettings) -> Self {
        Self::build(clock, plan, limits, settings, |store| Arc::new(store.clone()))
    }

    /// `port` decides what the use cases see of the store (the store itself, or a wrapper that
    /// misbehaves on purpose); the world keeps the store itself to inspect.
    fn build(
        clock: FixedClock,
        plan: PermissionSet,
        limits: PlanLimits,
        settings: TenantSettings,
        port: impl FnOnce(&InMemoryOrderStore) -> Arc<dyn OrderStore>,
    ) -> Self {
        let tenant = TenantId::new(TENANT).unwrap();
        let store = InMemoryOrderStore::new();
        let log = InMemoryAuditLog::new();
        let clock = Arc::new(clock);
        let tenants = StaticTenants::single(tenant.clone(), plan, limits, settings);
        let orders = Orders::new(
            port(&store),
            Arc::new(tenants),
            Arc::new(log.clone()),
            clock.clone(),
            Arc::new(SequentialIds::new()),
        );
        Self { orders, store, log, clock, tenant }
    }

    /// The tenant's administrator (the default role mapping grants it the whole plan).
    fn admin(&self) -> Principal {
        self.principal(&["tenant_admin"])
    }

    fn principal(&self, roles: &[&str]) -> Principal {
        Principal {
            tenant_id: self.tenant.clone(),
            subject: "alice".to_owned(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            vendor_id: None,
            request_id: None,
        }
    }

    fn committed_orders(&self) -> Vec<Order> {
        self.store.committed_orders(&self.tenant)
    }

    fn outbox(&self) -> Vec<OutboxEvent> {
        self.store.outbox(&self.tenant)
    }

    /// How many committed outbox events have this type.
    fn events_of(&self, event_type: &str) -> usize {
        self.outbox().iter().filter(|e| e.event_type == event_type).count()
    }

    fn counter(&self, name: &str) -> i64 {
        self.store.counter(&self.tenant, name)
    }

    /// Every audit record, committed with a change or written on its own, in the order they were
    /// drafted (sequential ids).
    fn audit(&self) -> Vec<AuditRecord> {
        let mut all = self.store.audit_records();
        all.extend(self.log.records());
        all.sort_by_key(|r| r.id);
        all
    }

    /// A PENDING (in [`World::pending`]) or CONFIRMED order, created without key or externalRef.
    fn place_order(&self) -> Order {
        block_on(self.orders.create_order(&self.admin(), order_input())).unwrap().value
    }

    /// Runs one call and returns its result with what it did to the store and the audit trail.
    fn observe<T>(&self, call: impl Future<Output = T>) -> Observed<T> {
        let (begun, audited) = (self.store.transactions_begun(), self.audit().len());
        let (committed, outbox) = (self.store.audit_records().len(), self.outbox().len());
        let result = block_on(call);
        Observed {
            result,
            transactions: self.store.transactions_begun() - begun,
            records: self.audit()[audited..].to_vec(),
            committed_records: self.store.audit_records().len() - committed,
            events: self.outbox()[outbox..].to_vec(),
        }
    }
}

/// What one call did.
struct Observed<T> {
    result: T,
    /// Transactions begun during the call, committed or not.
    transactions: usize,
    /// The audit records the call left, wherever they were written.
    records: Vec<AuditRecord>,
    /// How many of them were committed with the change (the rest were settled on their own).
    committed_records: usize,
    /// Outbox events the call committed.
    events: Vec<OutboxEvent>,
}

impl<T> Observed<T> {
    /// The call left exactly one audit record, for `action`, with `outcome`; returns it.
    fn single_record(&self, action: &str, outcome: &str) -> &AuditRecord {
        assert_eq!(self.records.len(), 1, "one audit record per call: {:#?}", self.records);
        let record = &self.records[0];
        assert_eq!((record.action.as_str(), record.outcome.as_str()), (action, outcome), "{record:#?}");
        // On the caller's tenant trail, refusals included: the principal named the tenant.
        assert_eq!(record.tenant_id.as_ref().map(TenantId::as_str), Some(TENANT));
        assert_eq!(record.actor, "alice");
        record
    }
}

impl<T> Observed<T> {
    /// As `single_record`, for a caller other than alice.
    fn single_record_by(&self, action: &str, outcome: &str, actor: &str) -> &AuditRecord {
        assert_eq!(self.records.len(), 1, "one audit record per call: {:#?}", self.records);
        let record = &self.records[0];
        assert_eq!((record.action.as_str(), record.outcome.as_str(), record.actor.as_str()), (action, outcome, actor));
        record
    }
}

impl<V: std::fmt::Debug> Observed<Result<V, AppError>> {
    /// The call failed with `code`; returns the error.
    fn refused_with(&self, code: ErrorCode) -> &AppError {
        match &self.result {
            Err(e) if e.code == code => e,
            other => panic!("expected {code:?}, got {other:?}"),
        }
    }
}

/// `OrderParts` has no `PartialEq` (persistence never compares orders), so the stored state is
/// compared as its full debug rendering: every field, journal and shipments included.
fn assert_unchanged(before: &Order, after: &Order) {
    assert_eq!(format!("{:?}", after.parts()), format!("{:?}", before.parts()), "the order is unchanged");
}

fn block_on<F: Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

fn every_permission() -> PermissionSet {
    Permission::ALL.into_iter().collect()
}

fn manual_confirmation() -> TenantSettings {
    TenantSettings { auto_confirm_orders: false, ..TenantSettings::default() }
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, s).single().unwrap()
}

/// One line of two EUR 10.00 widgets (EUR 20.00 in all).
fn order_input() -> CreateOrder {
    CreateOrder {
        external_ref: None,
        customer: CustomerInput { customer_id: None, name: "Ada".to_owned(), email: "ada@example.com".to_owned() },
        shipping_address: None,
        lines: vec![OrderLineInput {
            sku: "SKU-1".to_owned(),
            name: "Widget".to_owned(),
            vendor_id: "vendor-1".to_owned(),
            quantity: 2,
            unit_price: MoneyInput { amount: "10.00".to_owned(), currency: "EUR".to_owned() },
            weight_kg: None,
        }],
        idempotency_key: None,
    }
}

fn keyed(key: &str, input: CreateOrder) -> CreateOrder {
    CreateOrder { idempotency_key: Some(key.to_owned()), ..input }
}

fn confirm(order: &Order, expected_version: Option<i64>) -> OrderRef {
    OrderRef { id: order.id().to_string(), expected_version }
}
