//! Persistence of the Order aggregate. Every call is scoped to one tenant: a read names it, a
//! transaction is opened for it, and no method can reach another tenant's rows.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    Currency, OrderId, ReturnId, ShipmentId, TenantId, VendorId,
    ledger::{Account, JournalEntry},
    order::{Order, OrderStatus},
};
use uuid::Uuid;

use super::{TrackedShipment, TrackingLookup, TrackingScope, WebhookReceipt};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// Optimistic concurrency: the row changed since it was read.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A unique key of the tenant's is taken.
    #[error("duplicate {}", .0.field())]
    Duplicate(Taken),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage failure: {0}")]
    Internal(String),
}

/// The unique keys a caller's values can run into, all scoped to one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// Another order holds the externalRef.
    ExternalRef,
    /// Another order holds the number (a concurrent creation took it first).
    OrderNumber,
    /// A stored idempotency key (a concurrent call with the key committed first).
    IdempotencyKey,
    /// Another journal entry holds the entry's idempotency key.
    JournalEntryKey,
    /// Another shipment of the carrier holds the tracking reference.
    TrackingReference,
    /// An inbound webhook delivery was already acted on (a concurrent replay committed first).
    WebhookDelivery,
}

impl Taken {
    /// The input field that carries the value, as the caller named it.
    pub fn field(&self) -> &'static str {
        match self {
            Taken::ExternalRef => "externalRef",
            Taken::OrderNumber => "number",
            Taken::IdempotencyKey | Taken::JournalEntryKey => "idempotencyKey",
            Taken::TrackingReference => "trackingReference",
            Taken::WebhookDelivery => "webhook-id",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Exact match on the stored (lower-cased) email.
    pub customer_email: Option<String>,
    /// Orders having a line with this SKU (of `vendor_id`, when that is given too).
    pub sku: Option<String>,
    /// Orders having a line of this vendor: a vendor-scoped caller's list.
    pub vendor_id: Option<VendorId>,
}

impl OrderFilter {
    /// The order a list with this filter is served in. A time window is read off the index on
    /// (tenant, created_at, id), which only serves that order: by id, a window months back would
    /// be found by walking every newer order.
    pub fn sort(&self) -> OrderSort {
        if self.created_after.is_some() || self.created_before.is_some() { OrderSort::Created } else { OrderSort::Id }
    }
}

/// Newest first, either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderSort {
    /// By id, descending (ids are UUIDv7, so this is creation order as the server saw it).
    Id,
    /// By (created_at, id), descending.
    Created,
}

/// Where the previous page ended: the sort key of its last order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderCursor {
    Id(OrderId),
    Created { created_at: DateTime<Utc>, id: OrderId },
}

impl OrderCursor {
    /// The cursor just past `order` in a list sorted by `sort`.
    pub fn after(order: &Order, sort: OrderSort) -> OrderCursor {
        match sort {
            OrderSort::Id => OrderCursor::Id(order.id()),
            OrderSort::Created => OrderCursor::Created { created_at: order.created_at(), id: order.id() },
        }
    }

    pub fn sort(&self) -> OrderSort {
        match self {
            OrderCursor::Id(_) => OrderSort::Id,
            OrderCursor::Created { .. } => OrderSort::Created,
        }
    }
}

/// One page, newest first in `filter.sort()` order. `after`, when given, is a cursor of that
/// same sort (the use case refuses any other; a store answers one with `Internal`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderQuery {
    pub filter: OrderFilter,
    pub first: u64,
    pub after: Option<OrderCursor>,
}

#[derive(Debug, Clone)]
pub struct OrderPage {
    pub orders: Vec<Order>,
    pub has_next_page: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerFilter {
    pub order_id: Option<OrderId>,
    /// Entries with a posting on this account.
    pub account: Option<Account>,
}

/// One page of the journal, oldest first (entry ids are UUIDv7). `after` is the id of the last
/// entry of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerQuery {
    pub filter: LedgerFilter,
    pub first: u64,
    pub after: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct LedgerPage {
    pub entries: Vec<JournalEntry>,
    pub has_next_page: bool,
}

/// Sums of a tenant's postings in one currency, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrencyTotals {
    pub currency: Currency,
    pub debits: i128,
    pub credits: i128,
}

/// A stored idempotency key: what it was used for and what it produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub key: String,
    /// The mutation name, e.g. "createOrder".
    pub operation: String,
    /// Hash of the request content; a replay with other content is a conflict.
    pub fingerprint: String,
    /// Id of the object the first call produced (order id, shipment id…).
    pub resource_id: String,
    pub created_at: DateTime<Utc>,
}

/// A domain event in its envelope, ready for the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub event_type: String,
    pub aggregate_id: String,
    pub aggregate_version: i64,
    pub occurred_at: DateTime<Utc>,
    /// The full envelope `{id, type, tenantId, occurredAt, aggregateId, aggregateVersion, data}`.
    pub payload: serde_json::Value,
}

/// The rule every `OrderTx` keeps: a transaction opened for one tenant writes nothing of another.
/// Being asked to is a bug in the caller, answered as an internal failure, never served.
pub fn writes_own_tenant(transaction: &TenantId, written: &TenantId, what: &str) -> Result<(), StoreError> {
    if written == transaction {
        Ok(())
    } else {
        Err(StoreError::Internal(format!(
            "refused to write {what} of tenant {written} in a transaction of tenant {transaction}"
        )))
    }
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Opens a write transaction for one tenant. Dropping it without `commit` rolls back.
    async fn begin(&self, tenant: &TenantId) -> Result<Box<dyn OrderTx>, StoreError>;

    /// The whole aggregate (lines and shipments), or None when it is not this tenant's.
    async fn order(&self, tenant: &TenantId, id: OrderId) -> Result<Option<Order>, StoreError>;
    async fn order_by_external_ref(&self, tenant: &TenantId, external_ref: &str) -> Result<Option<Order>, StoreError>;
    async fn order_of_shipment(&self, tenant: &TenantId, id: ShipmentId) -> Result<Option<Order>, StoreError>;
    /// A page of whole aggregates, children loaded in batches (no query per order).
    async fn orders(&self, tenant: &TenantId, query: &OrderQuery) -> Result<OrderPage, StoreError>;

    /// A page of the tenant's journal with every entry's postings (no query per entry).
    async fn ledger_entries(&self, tenant: &TenantId, query: &LedgerQuery) -> Result<LedgerPage, StoreError>;
    /// Debits and credits of all the tenant's postings per currency, in one query.
    async fn trial_balance(&self, tenant: &TenantId) -> Result<Vec<CurrencyTotals>, StoreError>;

    /// The shipment a carrier's payload names, found by its tracking reference (narrowed by
    /// carrier when given) within `scope`. The one lookup of the webhook routes, so that other
    /// ways to name a shipment (the carrier's own shipment id) are added here.
    async fn find_tracked_shipment(
        &self,
        scope: TrackingScope<'_>,
        lookup: &TrackingLookup,
    ) -> Result<TrackedShipment, StoreError>;

    /// Cheap round trip for readiness checks.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// One tenant's write transaction. Mutations of one order are serialized by `lock_order*`, so
/// concurrent commands on the same order never lose an update.
///
/// A store may send writes later than they are made, with the transaction's next read or
/// counter or with its commit (SQLite sends a command's statements together), so a write's
/// refusal (`Duplicate`, `Conflict`) may come from a later call than the write's. After any
/// error the transaction is done: drop it, which rolls it back.
#[async_trait]
pub trait OrderTx: Send {
    /// Loads the order and holds it until commit (row lock on PostgreSQL; SQLite has one writer).
    async fn lock_order(&mut self, id: OrderId) -> Result<Option<Order>, StoreError>;
    async fn lock_order_of_shipment(&mut self, id: ShipmentId) -> Result<Option<Order>, StoreError>;
    async fn lock_order_of_return(&mut self, id: ReturnId) -> Result<Option<Order>, StoreError>;
    async fn order_by_external_ref(&mut self, external_ref: &str) -> Result<Option<Order>, StoreError>;
    /// The tenant's next order number (1, 2, 3…), allocated inside this transaction.
    async fn next_order_number(&mut self) -> Result<i64, StoreError>;
    /// Sets the number of an order inserted in this transaction (built with a placeholder).
    async fn renumber_order(&mut self, id: OrderId, number: &str) -> Result<(), StoreError>;
    /// Adds one to the tenant's counter `name` and returns the new value. Concurrent
    /// transactions queue on the counter, and a rollback undoes the increment, so quotas are exact.
    async fn increment_counter(&mut self, name: &str) -> Result<i64, StoreError>;
    /// A new order's counters, last in its transaction: its number (as `next_order_number`) and
    /// the order counted in the tenant's counter `month` (as `increment_counter`), answered in
    /// that order. A store may take both in one statement.
    ///
    /// A store may also take them outside the transaction, so that concurrent creates do not
    /// queue on the counter rows until each commits. It then answers a count over `limit` (the
    /// plan's monthly quota) without counting anything, gives the month's count back when the
    /// transaction ends without a commit, and may leave a gap in the numbers: each is still used
    /// once. A count over `limit` means the order must not be stored.
    async fn count_new_order(&mut self, month: &str, limit: Option<u64>) -> Result<(i64, i64), StoreError> {
        let _ = limit;
        let number = self.next_order_number().await?;
        Ok((number, self.increment_counter(month).await?))
    }
    /// Inserts a new order with its lines and shipments. `Duplicate(ExternalRef)` when taken.
    async fn insert_order(&mut self, order: &Order) -> Result<(), StoreError>;
    /// Writes the order's new state if the stored version is still `expected_version`, else
    /// `Conflict`. Children removed from the aggregate are removed from storage; journal entries
    /// new to the aggregate are appended (entries are never changed or removed).
    /// `Duplicate(TrackingReference)` when a carrier's tracking reference is already used;
    /// `Duplicate(JournalEntryKey)` when another entry of the tenant holds a new entry's key.
    async fn update_order(&mut self, order: &Order, expected_version: i64) -> Result<(), StoreError>;
    async fn idempotency_record(&mut self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;
    /// `Duplicate(IdempotencyKey)` when another transaction stored the key first.
    async fn save_idempotency_record(&mut self, record: &IdempotencyRecord) -> Result<(), StoreError>;
    /// The receipt of an inbound webhook delivery still remembered at `now`.
    async fn webhook_receipt(
        &mut self,
        route: &str,
        delivery_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<WebhookReceipt>, StoreError>;
    /// `Duplicate(WebhookDelivery)` when a receipt of the delivery is still remembered.
    async fn save_webhook_receipt(&mut self, receipt: &WebhookReceipt) -> Result<(), StoreError>;
    async fn append_outbox(&mut self, events: &[OutboxEvent]) -> Result<(), StoreError>;
    /// The audit record of the change, committed with it or not at all.
    async fn append_audit(&mut self, record: &super::AuditRecord) -> Result<(), StoreError>;
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
