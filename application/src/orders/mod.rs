//! Order and shipment use cases. Each public method is one use case and lives in its own file;
//! `Orders` only holds the ports they share.

mod book_shipment;
mod commands;
mod create_order;
mod create_shipment;
mod envelope;
mod idempotency;
mod inputs;
mod ledger_queries;
mod list_cursor;
mod order_commands;
mod payment_commands;
mod queries;
mod refund_commands;
mod return_commands;
mod runner;
mod shipment_commands;
mod target;
#[cfg(test)]
mod tests;
mod tracking_commands;
mod vendor_scope;
mod watch;

use std::sync::Arc;

pub use commands::*;
pub use ledger_queries::{LedgerListFilter, LedgerListQuery};
pub use queries::{OrderListFilter, OrderListPage, OrderListQuery, ShipmentView};
pub use return_commands::ReturnView;
pub(crate) use runner::DeliveryUse;
pub use tracking_commands::{RecordTracking, TrackingOutcome};
pub(crate) use vendor_scope::may_read_order_events;
pub use watch::OrderEventsScope;

use crate::{
    AppError, Permission, Principal,
    audit_trail::{AuditDraft, settle},
    ports::{AuditLog, CarrierAccounts, Clock, IdGenerator, NoCarriers, OrderStore, TenantDirectory},
    session::{Authorized, authorize},
};

pub struct Orders {
    store: Arc<dyn OrderStore>,
    tenants: Arc<dyn TenantDirectory>,
    audit: Arc<dyn AuditLog>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    /// The tenants' carrier APIs, which book a shipment dispatched without a tracking reference.
    carriers: Arc<dyn CarrierAccounts>,
}

/// What a mutation produced, and whether it was a replay of an earlier call (idempotency).
#[derive(Debug, Clone)]
pub struct Outcome<T> {
    pub value: T,
    pub replayed: bool,
    /// A replay of an inbound webhook delivery already acted on (then `replayed` too).
    pub duplicate: bool,
}

impl Orders {
    pub fn new(
        store: Arc<dyn OrderStore>,
        tenants: Arc<dyn TenantDirectory>,
        audit: Arc<dyn AuditLog>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self { store, tenants, audit, clock, ids, carriers: Arc::new(NoCarriers) }
    }

    /// Books shipments dispatched without a tracking reference through the tenant's carrier
    /// API (none by default: such a dispatch is refused).
    pub fn with_carriers(mut self, carriers: Arc<dyn CarrierAccounts>) -> Self {
        self.carriers = carriers;
        self
    }

    async fn settle<T>(&self, draft: AuditDraft, result: Result<T, AppError>) -> Result<T, AppError> {
        settle(self.audit.as_ref(), self.clock.as_ref(), self.ids.as_ref(), draft, result).await
    }

    /// Every use case starts here, naming the permission it needs.
    async fn authorize(&self, principal: &Principal, needed: Permission) -> Result<Authorized, AppError> {
        authorize(self.tenants.as_ref(), principal, needed).await
    }

    /// Readiness: the database answers.
    pub async fn ping(&self) -> Result<(), AppError> {
        self.store.ping().await.map_err(AppError::from)
    }
}
