//! `orderEvents(orderId)`: who may watch an order's events as they happen, and which events
//! that watch may see.

use domain::{OrderId, TenantId};

use crate::{AppError, ErrorCode, Permission, Principal, orders::Orders, ports::EventEnvelope};

/// What one live watch may see: events of the caller's own tenant about one order. Only
/// [`Orders::watch_order_events`] makes one, after the access policy has let the caller read
/// orders, so holding a scope is proof the watch was authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEventsScope {
    tenant_id: TenantId,
    /// The order's id in the form events carry it (`OrderId`'s canonical text).
    aggregate_id: String,
}

impl OrderEventsScope {
    /// Whether `event` belongs to this watch. Decided on the envelope's routing fields alone,
    /// so an event of another tenant is dropped before its payload is ever read.
    pub fn admits(&self, event: &EventEnvelope) -> bool {
        event.tenant_id == self.tenant_id && event.aggregate_id == self.aggregate_id
    }

    pub fn tenant_id(&self) -> &TenantId {
        &self.tenant_id
    }

    pub fn aggregate_id(&self) -> &str {
        &self.aggregate_id
    }
}

impl Orders {
    /// Needs `order:read`, like `order(id)`. The order is not looked up: an id naming no order
    /// of the caller's tenant (another tenant's, or none at all) is watched all the same and
    /// simply sees no events, so the answer is the same whoever owns the id. An id that cannot
    /// name any order is VALIDATION_FAILED, which tells nothing about anyone's data.
    pub async fn watch_order_events(&self, p: &Principal, order_id: &str) -> Result<OrderEventsScope, AppError> {
        self.authorize(p, Permission::OrderRead).await?;
        super::vendor_scope::may_read_order_events(p)?;
        let id = OrderId::parse(order_id).map_err(|_| {
            AppError::new(ErrorCode::ValidationFailed, "orderId is not an order id").with_field(&["orderId"])
        })?;
        Ok(OrderEventsScope { tenant_id: p.tenant_id.clone(), aggregate_id: id.to_string() })
    }
}
