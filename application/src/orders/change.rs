//! The one way an existing order is changed: lock it in a tenant transaction, check the caller's
//! expected version, apply a domain command, save it with its outbox events, commit.

use chrono::{DateTime, Utc};
use domain::{DomainError, OrderId, ReturnId, ShipmentId, order::Order};

use crate::{
    AppError, ErrorCode, Principal,
    audit_trail::AuditDraft,
    orders::{Orders, envelope::envelopes},
    ports::{OUTCOME_OK, OrderTx, StoreError, TenantProfile},
};

#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    Order(OrderId),
    Shipment(ShipmentId),
    Return(ReturnId),
}

impl Target {
    pub(crate) fn order(id: &str) -> Result<Self, AppError> {
        // A malformed id cannot name an order of this tenant: same answer as an unknown one.
        OrderId::parse(id).map(Target::Order).map_err(|_| AppError::not_found("order", id).with_field(&["id"]))
    }

    pub(crate) fn shipment_id(id: &str) -> Result<ShipmentId, AppError> {
        ShipmentId::parse(id).map_err(|_| AppError::not_found("shipment", id).with_field(&["id"]))
    }

    pub(crate) fn return_id(id: &str, field: &str) -> Result<ReturnId, AppError> {
        ReturnId::parse(id).map_err(|_| AppError::not_found("return", id).with_field(&[field]))
    }

    /// The order a command names, with the input field that named it for NOT_FOUND.
    pub(crate) fn order_at(id: &str, field: &str) -> Result<Self, AppError> {
        OrderId::parse(id).map(Target::Order).map_err(|_| AppError::not_found("order", id).with_field(&[field]))
    }

    pub(crate) fn not_found(&self, field: &str) -> AppError {
        match self {
            Target::Order(id) => AppError::not_found("order", id),
            Target::Shipment(id) => AppError::not_found("shipment", id),
            Target::Return(id) => AppError::not_found("return", id),
        }
        .with_field(&[field])
    }
}

/// A target with the input field that named it, for NOT_FOUND.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Located {
    pub target: Target,
    pub field: &'static str,
}

impl Target {
    pub(crate) fn named_by(self, field: &'static str) -> Located {
        Located { target: self, field }
    }
}

/// Loads and locks the order a target names, in the caller's tenant transaction.
pub(crate) async fn lock(tx: &mut dyn OrderTx, target: Target) -> Result<Option<Order>, StoreError> {
    match target {
        Target::Order(id) => tx.lock_order(id).await,
        Target::Shipment(id) => tx.lock_order_of_shipment(id).await,
        Target::Return(id) => tx.lock_order_of_return(id).await,
    }
}

/// Lock ordering makes conflicts rare; a lost race is retried this many times before CONFLICT.
const ATTEMPTS: usize = 3;

impl Orders {
    pub(crate) async fn change_order<F>(
        &self,
        // Proof that the caller was authorized: only `authorize` hands out profiles to use cases.
        _authorized: &TenantProfile,
        principal: &Principal,
        audit: &mut AuditDraft,
        located: Located,
        expected_version: Option<i64>,
        mut command: F,
    ) -> Result<Order, AppError>
    where
        F: FnMut(&mut Order, DateTime<Utc>) -> Result<(), DomainError> + Send,
    {
        let tenant = &principal.tenant_id;
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let mut tx = self.store.begin(tenant).await?;
            let mut order =
                lock(tx.as_mut(), located.target).await?.ok_or_else(|| located.target.not_found(located.field))?;
            audit.order(order.id());
            let before = order.version();
            if let Some(expected) = expected_version
                && expected != before
            {
                return Err(AppError::new(
                    ErrorCode::Conflict,
                    format!("order {} is at version {before}, not {expected}; reload it and retry", order.number()),
                )
                .with_field(&["expectedVersion"]));
            }
            let now = self.clock.now();
            command(&mut order, now)?;
            // The books follow the status the command left (confirmed: receivable; cancelled: reversal).
            order.sync_receivable(self.ids.new_id(), now)?;
            let events = order.take_events();
            match tx.update_order(&order, before).await {
                Ok(()) => {}
                Err(StoreError::Conflict(m)) => {
                    last = Some(m);
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            tx.append_outbox(&envelopes(tenant, events, self.ids.as_ref())).await?;
            tx.append_audit(&audit.record(OUTCOME_OK, self.clock.as_ref(), self.ids.as_ref())).await?;
            tx.commit().await?;
            audit.mark_written();
            return Ok(order);
        }
        Err(AppError::new(
            ErrorCode::Conflict,
            format!("the order kept changing concurrently; retry ({})", last.unwrap_or_default()),
        ))
    }
}
