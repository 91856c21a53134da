//! What an order command names: a new order, or an existing order by its own id, a shipment's
//! or a return's. Malformed ids cannot name an order of this tenant, so they get the same
//! NOT_FOUND as unknown ones, pointing at the input field that named them.

use domain::{OrderId, ReturnId, ShipmentId, order::Order};

use crate::{AppError, ports::OrderTx, ports::StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    Order(OrderId),
    Shipment(ShipmentId),
    Return(ReturnId),
}

impl Target {
    /// The order named by input field `field`.
    pub(crate) fn order_at(id: &str, field: &'static str) -> Result<Located, AppError> {
        OrderId::parse(id)
            .map(|id| Target::Order(id).named_by(field))
            .map_err(|_| AppError::not_found("order", id).with_field(&[field]))
    }

    pub(crate) fn shipment_id(id: &str, field: &str) -> Result<ShipmentId, AppError> {
        ShipmentId::parse(id).map_err(|_| AppError::not_found("shipment", id).with_field(&[field]))
    }

    pub(crate) fn return_id(id: &str, field: &str) -> Result<ReturnId, AppError> {
        ReturnId::parse(id).map_err(|_| AppError::not_found("return", id).with_field(&[field]))
    }

    pub(crate) fn named_by(self, field: &'static str) -> Located {
        Located { target: self, field }
    }
}

/// A target with the input field that named it, for NOT_FOUND.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Located {
    pub target: Target,
    pub field: &'static str,
}

impl Located {
    pub(crate) fn not_found(&self) -> AppError {
        match self.target {
            Target::Order(id) => AppError::not_found("order", id),
            Target::Shipment(id) => AppError::not_found("shipment", id),
            Target::Return(id) => AppError::not_found("return", id),
        }
        .with_field(&[self.field])
    }

    /// Loads and locks the order the target names, in the caller's tenant transaction.
    pub(crate) async fn lock(&self, tx: &mut dyn OrderTx) -> Result<Option<Order>, StoreError> {
        match self.target {
            Target::Order(id) => tx.lock_order(id).await,
            Target::Shipment(id) => tx.lock_order_of_shipment(id).await,
            Target::Return(id) => tx.lock_order_of_return(id).await,
        }
    }
}
