use std::sync::Arc;

use application::events::TimelineListQuery;
use async_graphql::{Context, Enum, ID, Object, SimpleObject, connection::Connection};
use chrono::{DateTime, Utc};
use domain::order as model;

use crate::graphql::{
    context::{principal, services},
    errors::query,
    query::connection,
    types::{Address, Customer, EVENT_PAGE_COST, Money, OrderBalance, OrderEvent, PaymentStatus, Return, Shipment},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::order::OrderStatus", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Pending,
    Confirmed,
    PartiallyShipped,
    Shipped,
    PartiallyDelivered,
    Delivered,
    Completed,
    Cancelled,
}

/// An order: the aggregate of its lines and shipments.
#[derive(Clone)]
pub struct Order(pub Arc<model::Order>);

impl From<model::Order> for Order {
    fn from(o: model::Order) -> Self {
        Order(Arc::new(o))
    }
}

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id().to_string())
    }
    /// Human-readable number, unique per tenant, e.g. `ORD-000042`.
    async fn number(&self) -> &str {
        self.0.number()
    }
    async fn tenant_id(&self) -> ID {
        ID(self.0.tenant_id().to_string())
    }
    /// The caller's reference; unique per tenant.
    async fn external_ref(&self) -> Option<&str> {
        self.0.external_ref()
    }
    async fn status(&self) -> OrderStatus {
        self.0.status().into()
    }
    /// Derived from the order's journal entries.
    async fn payment_status(&self) -> PaymentStatus {
        self.0.payment_status().into()
    }
    /// total, paid, refunded and due, read off the order's journal entries (loaded with the order,
    /// so a page of orders costs no query per order). Null for a caller scoped to one vendor:
    /// the books are the whole order's, other vendors' lines included.
    async fn balance(&self) -> Option<OrderBalance> {
        (!self.0.books_hidden()).then(|| self.0.balance().into())
    }
    async fn currency(&self) -> &'static str {
        self.0.currency().code()
    }
    async fn customer(&self) -> Customer {
        self.0.customer().into()
    }
    async fn shipping_address(&self) -> Option<Address> {
        self.0.shipping_address().map(Address::from)
    }
    async fn lines(&self) -> Vec<OrderLine> {
        (0..self.0.lines().len()).map(|i| OrderLine { order: self.0.clone(), index: i }).collect()
    }
    async fn shipments(&self) -> Vec<Shipment> {
        self.0.shipments().iter().map(|s| Shipment::new(self.0.clone(), s.id)).collect()
    }
    async fn returns(&self) -> Vec<Return> {
        self.0.returns().iter().map(|r| Return::new(self.0.clone(), r.id)).collect()
    }
    /// Sum of all lines; for a caller scoped to one vendor, the sum of that vendor's lines (the
    /// only lines it sees).
    async fn total(&self) -> async_graphql::Result<Money> {
        // Totals are checked at creation, so this cannot overflow for a stored order.
        self.0.total().map(Money::from).map_err(|e| async_graphql::Error::new(e.to_string()))
    }
    /// Present once a review was requested; undecided means the order is on hold.
    async fn review(&self) -> Option<Review> {
        self.0.review().map(Review::from)
    }
    /// No shipment may be created or dispatched while true.
    async fn on_review_hold(&self) -> bool {
        self.0.on_review_hold()
    }
    async fn cancellation_reason(&self) -> Option<&str> {
        self.0.cancellation_reason()
    }
    /// Increments on every change; pass it as `expectedVersion` to refuse lost updates.
    async fn version(&self) -> i64 {
        self.0.version()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at()
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at()
    }
    /// The order's timeline: its events oldest first (`order.created`, `order.confirmed`,
    /// `shipment.created`, …), by `aggregateVersion`, the events of one change in the order they
    /// happened. `first` ≤ 100 (default 20); `after` is a cursor from a previous page. Read only
    /// when asked for, one database query per page, which its complexity counts.
    #[graphql(complexity = "EVENT_PAGE_COST + first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, OrderEvent>> {
        let q = TimelineListQuery { first: first.map(i64::from), after };
        let page = query(services(ctx).event_feed.order_events(principal(ctx)?, self.0.id(), q).await)?;
        Ok(connection(page.events, page.has_next_page, |e| (e.id.to_string(), OrderEvent(Arc::new(e)))))
    }
}

pub struct OrderLine {
    order: Arc<model::Order>,
    index: usize,
}

impl OrderLine {
    fn line(&self) -> &model::OrderLine {
        &self.order.lines()[self.index]
    }
}

#[Object]
impl OrderLine {
    async fn sku(&self) -> &str {
        self.line().sku.as_str()
    }
    async fn name(&self) -> &str {
        &self.line().name
    }
    async fn vendor_id(&self) -> &str {
        self.line().vendor_id.as_str()
    }
    async fn quantity(&self) -> u32 {
        self.line().quantity
    }
    async fn unit_price(&self) -> Money {
        self.line().unit_price.into()
    }
    async fn weight_kg(&self) -> Option<f64> {
        self.line().weight_kg
    }
    /// unitPrice × quantity.
    async fn total(&self) -> async_graphql::Result<Money> {
        self.line().total().map(Money::from).map_err(|e| async_graphql::Error::new(e.to_string()))
    }
    /// Units held by shipments that are not cancelled.
    async fn quantity_allocated(&self) -> u32 {
        let l = self.line();
        self.order.allocated(&l.sku, &l.vendor_id)
    }
    /// Units in returns that were not declined.
    async fn quantity_returned(&self) -> u32 {
        let l = self.line();
        self.order.returned(&l.sku, &l.vendor_id)
    }
    /// Units shipped, in transit or delivered.
    async fn quantity_shipped(&self) -> u64 {
        model::progress(self.line(), self.order.shipments()).shipped
    }
    async fn quantity_delivered(&self) -> u64 {
        model::progress(self.line(), self.order.shipments()).delivered
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct Review {
    /// The subject (token `sub`) who must decide.
    pub reviewer: String,
    pub escalated_by: String,
    pub comments: Option<String>,
    pub escalated_at: DateTime<Utc>,
    pub decision: Option<ReviewDecision>,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ReviewDecision {
    pub approved: bool,
    pub comments: Option<String>,
    pub decided_at: DateTime<Utc>,
}

impl From<&model::Review> for Review {
    fn from(r: &model::Review) -> Self {
        Review {
            reviewer: r.reviewer.clone(),
            escalated_by: r.escalated_by.clone(),
            comments: r.comments.clone(),
            escalated_at: r.escalated_at,
            decision: r.decision.as_ref().map(|d| ReviewDecision {
                approved: d.approved,
                comments: d.comments.clone(),
                decided_at: d.decided_at,
            }),
        }
    }
}
