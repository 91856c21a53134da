use std::sync::Arc;

use async_graphql::{Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use domain::{ReturnId, order as model};

use crate::graphql::types::{Money, Order};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::order::ReturnStatus", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ReturnStatus {
    Requested,
    Approved,
    Declined,
    Refunded,
}

/// Which cap, if any, lowered a refund below gross − restocking fee.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::ledger::CapApplied", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum CapApplied {
    None,
    /// The tenant's `max_refund_amount`.
    MaxRefundAmount,
    /// What was paid and not yet refunded.
    RemainingPaid,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ReturnLine {
    pub sku: String,
    pub vendor_id: String,
    pub quantity: u32,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Refund {
    /// Paid back to the customer.
    pub amount: Money,
    /// Kept by the tenant (restocking_fee_percent of the gross).
    pub restocking_fee: Money,
    pub cap_applied: CapApplied,
    /// Σ(unit price × returned quantity).
    pub gross: Money,
    pub comments: Option<String>,
    /// The journal entry that booked it; null when every amount was zero.
    pub entry_id: Option<ID>,
    pub processed_at: DateTime<Utc>,
}

impl From<&model::Refund> for Refund {
    fn from(r: &model::Refund) -> Self {
        Refund {
            amount: r.amount.into(),
            restocking_fee: r.restocking_fee.into(),
            cap_applied: r.cap_applied.into(),
            gross: r.gross.into(),
            comments: r.comments.clone(),
            entry_id: r.entry_id.map(|e| ID(e.to_string())),
            processed_at: r.processed_at,
        }
    }
}

/// A return of delivered units, part of its order's aggregate.
#[derive(Clone)]
pub struct Return {
    order: Arc<model::Order>,
    id: ReturnId,
}

impl Return {
    /// Only built for a return the order holds.
    pub fn new(order: Arc<model::Order>, id: ReturnId) -> Self {
        Return { order, id }
    }

    pub fn order_handle(&self) -> Order {
        Order(self.order.clone())
    }

    pub fn refund_of(&self) -> Option<Refund> {
        self.r().refund.as_ref().map(Refund::from)
    }

    fn r(&self) -> &model::Return {
        self.order.return_by_id(self.id).expect("return view built for a return of its order")
    }
}

impl From<application::orders::ReturnView> for Return {
    fn from(v: application::orders::ReturnView) -> Self {
        Return::new(Arc::new(v.order), v.return_id)
    }
}

#[Object]
impl Return {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn status(&self) -> ReturnStatus {
        self.r().status.into()
    }
    async fn lines(&self) -> Vec<ReturnLine> {
        self.r()
            .lines
            .iter()
            .map(|l| ReturnLine {
                sku: l.sku.as_str().to_owned(),
                vendor_id: l.vendor_id.as_str().to_owned(),
                quantity: l.quantity,
            })
            .collect()
    }
    async fn reason(&self) -> Option<&str> {
        self.r().reason.as_deref()
    }
    async fn decline_reason(&self) -> Option<&str> {
        self.r().decline_reason.as_deref()
    }
    /// Present once the return is REFUNDED.
    async fn refund(&self) -> Option<Refund> {
        self.r().refund.as_ref().map(Refund::from)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.r().created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.r().updated_at
    }
    /// The order this return belongs to.
    async fn order(&self) -> Order {
        Order(self.order.clone())
    }
}
