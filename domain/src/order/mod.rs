//! The Order aggregate: lines, shipments and the review hold, with every state rule of the spec.

mod booking;
mod books;
mod line;
mod line_pick;
mod returns;
mod rollup;
mod shipment;
mod status;
#[cfg(test)]
mod tests;
mod tracking;
pub mod values;
mod vendor_view;

use std::collections::HashSet;

use chrono::{DateTime, Utc};

pub use books::{MAX_METHOD, MAX_REFERENCE};
pub use line::{NewOrderLine, OrderLine};
pub use line_pick::LinePick;
pub use returns::{MAX_RETURNS_PER_ORDER, NewReturn, Refund, Return, ReturnLine, ReturnStatus};
pub use rollup::{LineProgress, progress, roll_up};
pub use shipment::{
    CarrierBooking, Dispatch, MAX_CARRIER_SHIPMENT_ID, Shipment, ShipmentItem, ShipmentMode, ShipmentStatus,
};
pub use status::OrderStatus;
pub use tracking::{
    MAX_CARRIER_STATUS, MAX_TRACKING_EVENTS_PER_ORDER, MAX_TRACKING_REFERENCE, TrackingEffect, TrackingEvent,
    TrackingReport, is_tracking_status, moves_forward,
};
pub use values::{Address, AddressInput, Customer, Package, Pickup};

use crate::{
    Currency, DomainError, Money, OrderId, ShipmentId, Sku, TenantId, VendorId,
    events::{DomainEvent, EventData, EventType},
    identifier,
    ledger::JournalEntry,
    order::values::optional_text,
};

/// Most lines one order may carry; beyond this an order is a data-entry mistake.
pub const MAX_LINES: usize = 500;
/// Longest free-text comment or reason; one limit, because a rejection's comments become the
/// cancellation reason.
pub const MAX_COMMENT: usize = 2000;
/// Longest `externalRef`, in characters after NFC normalisation.
pub const MAX_EXTERNAL_REF_LEN: usize = 255;
/// Most shipments one order may hold, cancelled ones included: each is a stored row that every
/// load of the order reads back, and the roll-up walks them all.
pub const MAX_SHIPMENTS_PER_ORDER: usize = 200;

/// A review requested on an order; while undecided, the order is on hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub reviewer: String,
    pub escalated_by: String,
    pub comments: Option<String>,
    pub escalated_at: DateTime<Utc>,
    pub decision: Option<ReviewDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewDecision {
    pub approved: bool,
    pub comments: Option<String>,
    pub decided_at: DateTime<Utc>,
}

/// Everything needed to open an order; ids and the number are handed in so the model stays pure.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub id: OrderId,
    pub tenant_id: TenantId,
    pub number: String,
    pub external_ref: Option<String>,
    pub customer: Customer,
    pub shipping_address: Option<Address>,
    pub lines: Vec<NewOrderLine>,
}

#[derive(Debug, Clone)]
pub struct NewShipment {
    pub id: ShipmentId,
    pub mode: ShipmentMode,
    pub provider: Option<String>,
    pub address: Option<Address>,
    pub items: Vec<LinePick>,
    pub package: Option<Package>,
    pub pickup: Option<Pickup>,
}

/// The stored form of an order, used by persistence to bring one back without replaying rules.
#[derive(Debug, Clone)]
pub struct OrderParts {
    pub id: OrderId,
    pub tenant_id: TenantId,
    pub number: String,
    pub external_ref: Option<String>,
    pub customer: Customer,
    pub shipping_address: Option<Address>,
    pub currency: Currency,
    pub lines: Vec<OrderLine>,
    pub status: OrderStatus,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub shipments: Vec<Shipment>,
    pub review: Option<Review>,
    pub cancellation_reason: Option<String>,
    pub returns: Vec<Return>,
    /// This order's journal entries, oldest first (see `books`).
    pub journal: Vec<JournalEntry>,
    /// What carriers reported about its shipments, in the order received.
    pub tracking: Vec<TrackingEvent>,
}

#[derive(Debug, Clone)]
pub struct Order {
    parts: OrderParts,
    events: Vec<DomainEvent>,
    /// Set on a vendor's view of the order (see `vendor_view`), never on an order a command runs on.
    seen_by: Option<VendorId>,
}

impl Order {
    pub fn create(input: NewOrder, auto_confirm: bool, now: DateTime<Utc>) -> Result<Self, DomainError> {
        if input.lines.is_empty() {
            return Err(DomainError::validation(&["lines"], "an order needs at least one line"));
        }
        if input.lines.len() > MAX_LINES {
            return Err(DomainError::validation(&["lines"], format!("an order has at most {MAX_LINES} lines")));
        }
        let currency = input.lines[0].unit_price.currency();
        let mut lines = Vec::with_capacity(input.lines.len());
        let mut seen = HashSet::with_capacity(input.lines.len());
        for (i, raw) in input.lines.into_iter().enumerate() {
            let at = i.to_string();
            if raw.unit_price.currency() != currency {
                return Err(DomainError::validation(
                    &["lines", &at, "unitPrice", "currency"],
                    format!("every line must be in {currency}; one order has one currency"),
                ));
            }
            let line = OrderLine::new(raw).map_err(|e| e.at(&["lines", &at]))?;
            if !seen.insert((line.sku.clone(), line.vendor_id.clone())) {
                return Err(DomainError::validation(
                    &["lines", &at],
                    format!("duplicate line for sku '{}' and vendor '{}'", line.sku, line.vendor_id),
                ));
            }
            lines.push(line);
        }
        let external_ref = identifier::optional("externalRef", input.external_ref.as_deref(), MAX_EXTERNAL_REF_LEN)
            .map_err(|e| e.at(&["externalRef"]))?;
        let mut order = Order {
            parts: OrderParts {
                id: input.id,
                tenant_id: input.tenant_id,
                number: input.number,
                external_ref,
                customer: input.customer,
                shipping_address: input.shipping_address,
                currency,
                lines,
                status: if auto_confirm { OrderStatus::Confirmed } else { OrderStatus::Pending },
                version: 1,
                created_at: now,
                updated_at: now,
                shipments: Vec::new(),
                review: None,
                cancellation_reason: None,
                returns: Vec::new(),
                journal: Vec::new(),
                tracking: Vec::new(),
            },
            events: Vec::new(),
            seen_by: None,
        };
        // Refuse totals that cannot be represented before anything is stored.
        order.total().map_err(|e| e.at(&["lines"]))?;
        order.record(EventType::OrderCreated, now, EventData::default());
        if auto_confirm {
            order.record(EventType::OrderConfirmed, now, EventData::default());
        }
        Ok(order)
    }

    pub fn restore(parts: OrderParts) -> Self {
        Order { parts, events: Vec::new(), seen_by: None }
    }

    pub fn parts(&self) -> &OrderParts {
        &self.parts
    }

    pub fn id(&self) -> OrderId {
        self.parts.id
    }
    pub fn tenant_id(&self) -> &TenantId {
        &self.parts.tenant_id
    }
    pub fn number(&self) -> &str {
        &self.parts.number
    }

    /// Gives a new order the number allocated for it. Numbers are allocated last in the
    /// transaction that creates the order, so that the tenant's counter is held only until the
    /// commit: the order is built with a placeholder until then. Its pending events carry the
    /// number too.
    pub fn number_as(&mut self, number: String) {
        for event in &mut self.events {
            event.data.order_number.clone_from(&number);
        }
        self.parts.number = number;
    }
    pub fn external_ref(&self) -> Option<&str> {
        self.parts.external_ref.as_deref()
    }
    pub fn customer(&self) -> &Customer {
        &self.parts.customer
    }
    pub fn shipping_address(&self) -> Option<&Address> {
        self.parts.shipping_address.as_ref()
    }
    pub fn currency(&self) -> Currency {
        self.parts.currency
    }
    pub fn lines(&self) -> &[OrderLine] {
        &self.parts.lines
    }
    pub fn status(&self) -> OrderStatus {
        self.parts.status
    }
    pub fn version(&self) -> i64 {
        self.parts.version
    }
    pub fn created_at(&self) -> DateTime<Utc> {
        self.parts.created_at
    }
    pub fn updated_at(&self) -> DateTime<Utc> {
        self.parts.updated_at
    }
    pub fn shipments(&self) -> &[Shipment] {
        &self.parts.shipments
    }
    pub fn shipment(&self, id: ShipmentId) -> Option<&Shipment> {
        self.parts.shipments.iter().find(|s| s.id == id)
    }
    pub fn review(&self) -> Option<&Review> {
        self.parts.review.as_ref()
    }
    pub fn cancellation_reason(&self) -> Option<&str> {
        self.parts.cancellation_reason.as_deref()
    }

    /// Under review and not yet decided: no shipment may be created or dispatched. Cancelling the
    /// order ends the hold with it.
    pub fn on_review_hold(&self) -> bool {
        self.parts.status != OrderStatus::Cancelled && self.parts.review.as_ref().is_some_and(|r| r.decision.is_none())
    }

    pub fn total(&self) -> Result<Money, DomainError> {
        self.parts.lines.iter().try_fold(Money::zero(self.parts.currency), |acc, l| acc.checked_add(l.total()?))
    }

    /// Events recorded since the order was created or loaded, oldest first.
    pub fn take_events(&mut self) -> Vec<DomainEvent> {
        std::mem::take(&mut self.events)
    }

    pub fn pending_events(&self) -> &[DomainEvent] {
        &self.events
    }

    pub fn confirm(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.require_status(&[OrderStatus::Pending], "confirmed")?;
        self.parts.status = OrderStatus::Confirmed;
        self.touch(now);
        self.record(EventType::OrderConfirmed, now, EventData::default());
        Ok(())
    }

    pub fn cancel(&mut self, reason: Option<&str>, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.require_status(
            &[OrderStatus::Pending, OrderStatus::Confirmed, OrderStatus::PartiallyShipped],
            "cancelled",
        )?;
        if let Some(s) = self.parts.shipments.iter().find(|s| s.status.counts_as_shipped()) {
            return Err(DomainError::invalid_state(format!(
                "order {} cannot be cancelled: shipment {} is {}",
                self.parts.number,
                s.id,
                s.status.as_str()
            )));
        }
        self.require_no_money_held()?;
        let reason = optional_text("reason", reason, MAX_COMMENT)?;
        self.touch(now);
        let mut cancelled = Vec::new();
        for s in &mut self.parts.shipments {
            if matches!(s.status, ShipmentStatus::Pending | ShipmentStatus::Confirmed) {
                s.transition(ShipmentStatus::Cancelled, now)?;
                cancelled.push(s.id);
            }
        }
        self.parts.status = OrderStatus::Cancelled;
        self.parts.cancellation_reason = reason.clone();
        for id in cancelled {
            self.record_shipment(EventType::ShipmentCancelled, id, now);
        }
        self.record(EventType::OrderCancelled, now, EventData { reason, ..EventData::default() });
        Ok(())
    }

    /// Completion needs every unit delivered and the order fully paid (balance due = 0).
    pub fn complete(&mut self, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.require_status(&[OrderStatus::Delivered], "completed")?;
        self.require_settled()?;
        self.parts.status = OrderStatus::Completed;
        self.touch(now);
        self.record(EventType::OrderCompleted, now, EventData::default());
        Ok(())
    }

    pub fn escalate_review(
        &mut self,
        reviewer: &str,
        comments: Option<&str>,
        escalated_by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.require_status(&[OrderStatus::Pending, OrderStatus::Confirmed], "escalated for review")?;
        if self.on_review_hold() {
            return Err(DomainError::invalid_state(format!("order {} is already on review hold", self.parts.number)));
        }
        let reviewer = optional_text("reviewer", Some(reviewer), 255)?
            .ok_or_else(|| DomainError::validation(&["reviewer"], "reviewer must not be empty"))?;
        let comments = optional_text("comments", comments, MAX_COMMENT)?;
        self.parts.review = Some(Review {
            reviewer: reviewer.clone(),
            escalated_by: escalated_by.to_owned(),
            comments,
            escalated_at: now,
            decision: None,
        });
        self.touch(now);
        self.record(
            EventType::OrderReviewEscalated,
            now,
            EventData { reviewer: Some(reviewer), ..EventData::default() },
        );
        Ok(())
    }

    /// Only the named reviewer decides; approval lifts the hold, rejection cancels the order.
    pub fn decide_review(
        &mut self,
        actor: &str,
        approved: bool,
        comments: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.require_status(&[OrderStatus::Pending, OrderStatus::Confirmed], "reviewed")?;
        let Some(review) = self.parts.review.as_ref().filter(|r| r.decision.is_none()) else {
            return Err(DomainError::invalid_state(format!("order {} is not on review hold", self.parts.number)));
        };
        if review.reviewer != actor {
            return Err(DomainError::NotAllowed(format!(
                "only the named reviewer may review order {}",
                self.parts.number
            )));
        }
        let reviewer = review.reviewer.clone();
        let comments = optional_text("comments", comments, MAX_COMMENT)?;
        if !approved {
            self.cancel(comments.as_deref(), now)?;
            // cancel() already bumped the version; the decision belongs to that same change.
        } else {
            self.touch(now);
        }
        if let Some(r) = self.parts.review.as_mut() {
            r.decision = Some(ReviewDecision { approved, comments, decided_at: now });
        }
        self.record(
            EventType::OrderReviewed,
            now,
            EventData { reviewer: Some(reviewer), approved: Some(approved), ..EventData::default() },
        );
        Ok(())
    }

    pub fn create_shipment(&mut self, input: NewShipment, now: DateTime<Utc>) -> Result<ShipmentId, DomainError> {
        self.require_status(
            &[OrderStatus::Confirmed, OrderStatus::PartiallyShipped, OrderStatus::PartiallyDelivered],
            "shipped",
        )?;
        if self.on_review_hold() {
            return Err(DomainError::invalid_state(format!(
                "order {} is on review hold; no shipment may be created until it is reviewed",
                self.parts.number
            )));
        }
        if self.parts.shipments.len() >= MAX_SHIPMENTS_PER_ORDER {
            return Err(DomainError::validation(
                &[],
                format!("an order holds at most {MAX_SHIPMENTS_PER_ORDER} shipments; cancelled ones count too"),
            ));
        }
        if input.items.is_empty() {
            return Err(DomainError::validation(&["items"], "a shipment needs at least one item"));
        }
        let mut items: Vec<ShipmentItem> = Vec::with_capacity(input.items.len());
        for (i, pick) in input.items.iter().enumerate() {
            let at = i.to_string();
            let line = self.picked_line(pick, &["items", &at])?;
            let (sku, vendor_id, quantity) = (&line.sku, &line.vendor_id, pick.quantity);
            if items.iter().any(|it| &it.sku == sku && &it.vendor_id == vendor_id) {
                return Err(DomainError::validation(
                    &["items", &at],
                    format!("sku '{sku}' of vendor '{vendor_id}' appears twice in this shipment"),
                ));
            }
            let allocated = self.allocated(sku, vendor_id);
            let available = i64::from(line.quantity) - i64::from(allocated);
            if quantity > available {
                return Err(DomainError::validation(
                    &["items", &at, "quantity"],
                    format!(
                        "only {available} of {} units of sku '{sku}' are left to ship; {quantity} requested",
                        line.quantity
                    ),
                ));
            }
            // available ≤ the line's quantity, itself a u32.
            items.push(ShipmentItem { sku: sku.clone(), vendor_id: vendor_id.clone(), quantity: quantity as u32 });
        }
        let provider = optional_text("provider", input.provider.as_deref(), 64)?;
        let address = input.address.or_else(|| self.parts.shipping_address.clone());
        let shipment = Shipment {
            id: input.id,
            status: ShipmentStatus::Pending,
            items,
            address,
            mode: input.mode,
            provider,
            package: input.package,
            pickup: input.pickup,
            tracking_reference: None,
            label_url: None,
            cost: None,
            booking: None,
            created_at: now,
            updated_at: now,
        };
        self.parts.shipments.push(shipment);
        self.touch(now);
        self.record_shipment(EventType::ShipmentCreated, input.id, now);
        Ok(input.id)
    }

    pub fn confirm_shipment(&mut self, id: ShipmentId, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.move_shipment(id, ShipmentStatus::Confirmed, now, EventType::ShipmentConfirmed)
    }

    pub fn dispatch_shipment(
        &mut self,
        id: ShipmentId,
        dispatch: Dispatch,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.require_status(&OrderStatus::FULFILMENT, "changed by a shipment")?;
        if self.on_review_hold() {
            return Err(DomainError::invalid_state(format!(
                "order {} is on review hold; no shipment may be dispatched until it is reviewed",
                self.parts.number
            )));
        }
        let tracking = identifier::required("trackingReference", &dispatch.tracking_reference, 128)
            .map_err(|e| e.at(&["trackingReference"]))?;
        let label_url = optional_text("labelUrl", dispatch.label_url.as_deref(), 2048)?;
        if let Some(url) = &label_url
            && !is_http_url(url)
        {
            return Err(DomainError::validation(&["labelUrl"], "labelUrl must be an http(s) URL"));
        }
        if let Some(cost) = dispatch.cost {
            if cost.currency() != self.parts.currency {
                return Err(DomainError::validation(
                    &["cost", "currency"],
                    format!("cost must be in the order currency {}", self.parts.currency),
                ));
            }
            if cost.is_negative() {
                return Err(DomainError::validation(&["cost", "amount"], "cost must not be negative"));
            }
        }
        let shipment = self.shipment_mut(id)?;
        shipment.transition(ShipmentStatus::Shipped, now)?;
        shipment.tracking_reference = Some(tracking);
        shipment.label_url = label_url;
        shipment.cost = dispatch.cost;
        self.after_shipment_change(now);
        self.record_shipment(EventType::ShipmentDispatched, id, now);
        Ok(())
    }

    pub fn deliver_shipment(&mut self, id: ShipmentId, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.move_shipment(id, ShipmentStatus::Delivered, now, EventType::ShipmentDelivered)
    }

    pub fn cancel_shipment(&mut self, id: ShipmentId, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.move_shipment(id, ShipmentStatus::Cancelled, now, EventType::ShipmentCancelled)
    }

    /// Records a carrier's report on a shipment and applies its mapped status when that moves the
    /// shipment forward (see [`moves_forward`]); the order's status then follows its shipments.
    /// Anything else is recorded and moves nothing, whatever state the order is in.
    pub fn record_tracking(
        &mut self,
        id: ShipmentId,
        report: TrackingReport,
        now: DateTime<Utc>,
    ) -> Result<TrackingEffect, DomainError> {
        let carrier_status = identifier::required("status", &report.carrier_status, MAX_CARRIER_STATUS)?;
        let raw_reference = identifier::required("trackingReference", &report.raw_reference, MAX_TRACKING_REFERENCE)?;
        if self.parts.tracking.len() >= MAX_TRACKING_EVENTS_PER_ORDER {
            return Err(DomainError::invalid_state(format!(
                "order {} already holds {MAX_TRACKING_EVENTS_PER_ORDER} tracking events",
                self.parts.number
            )));
        }
        let current = self.shipment(id).map(|s| s.status).ok_or_else(|| {
            DomainError::validation(&["id"], format!("shipment {id} is not part of order {}", self.parts.number))
        })?;
        self.parts.tracking.push(TrackingEvent {
            id: report.id,
            shipment_id: id,
            carrier_status,
            status: report.status,
            occurred_at: report.occurred_at,
            raw_reference,
            recorded_at: now,
        });
        let effect = match report.status {
            Some(to) if moves_forward(current, to) && self.parts.status.is_fulfilment() => {
                let shipment = self.shipment_mut(id)?;
                shipment.status = to;
                shipment.updated_at = now;
                self.after_shipment_change(now);
                let event = match to {
                    ShipmentStatus::InTransit => EventType::ShipmentInTransit,
                    ShipmentStatus::Delivered => EventType::ShipmentDelivered,
                    ShipmentStatus::Failed => EventType::ShipmentFailed,
                    _ => EventType::ShipmentReturned,
                };
                self.record_shipment(event, id, now);
                TrackingEffect::Moved(to)
            }
            _ => {
                self.touch(now);
                TrackingEffect::Recorded
            }
        };
        Ok(effect)
    }

    /// What carriers reported about one shipment, in the order received.
    pub fn tracking_events(&self, id: ShipmentId) -> impl Iterator<Item = &TrackingEvent> {
        self.parts.tracking.iter().filter(move |e| e.shipment_id == id)
    }

    pub fn tracking(&self) -> &[TrackingEvent] {
        &self.parts.tracking
    }

    /// Units of a line held by shipments that are not cancelled.
    pub fn allocated(&self, sku: &Sku, vendor_id: &VendorId) -> u32 {
        self.parts
            .shipments
            .iter()
            .filter(|s| s.status != ShipmentStatus::Cancelled)
            .map(|s| s.quantity_of(sku, vendor_id))
            .sum()
    }

    fn move_shipment(
        &mut self,
        id: ShipmentId,
        to: ShipmentStatus,
        now: DateTime<Utc>,
        event: EventType,
    ) -> Result<(), DomainError> {
        self.require_status(&OrderStatus::FULFILMENT, "changed by a shipment")?;
        self.shipment_mut(id)?.transition(to, now)?;
        self.after_shipment_change(now);
        self.record_shipment(event, id, now);
        Ok(())
    }

    fn shipment_mut(&mut self, id: ShipmentId) -> Result<&mut Shipment, DomainError> {
        let number = &self.parts.number;
        self.parts
            .shipments
            .iter_mut()
            .find(|s| s.id == id)
            .ok_or_else(|| DomainError::validation(&["id"], format!("shipment {id} is not part of order {number}")))
    }

    fn after_shipment_change(&mut self, now: DateTime<Utc>) {
        if self.parts.status.is_fulfilment() {
            self.parts.status = roll_up(&self.parts.lines, &self.parts.shipments);
        }
        self.touch(now);
    }

    fn require_status(&self, allowed: &[OrderStatus], action: &str) -> Result<(), DomainError> {
        if allowed.contains(&self.parts.status) {
            Ok(())
        } else {
            Err(DomainError::invalid_state(format!(
                "order {} is {} and cannot be {action}",
                self.parts.number,
                self.parts.status.as_str()
            )))
        }
    }

    /// Every successful command is exactly one new version.
    fn touch(&mut self, now: DateTime<Utc>) {
        self.parts.version += 1;
        self.parts.updated_at = now;
    }

    fn record(&mut self, event_type: EventType, now: DateTime<Utc>, data: EventData) {
        let data = EventData {
            order_id: self.parts.id.to_string(),
            order_number: self.parts.number.clone(),
            order_status: self.parts.status.as_str().to_owned(),
            ..data
        };
        self.events.push(DomainEvent {
            event_type,
            aggregate_id: self.parts.id.to_string(),
            aggregate_version: self.parts.version,
            occurred_at: now,
            data,
        });
    }

    fn record_shipment(&mut self, event_type: EventType, id: ShipmentId, now: DateTime<Utc>) {
        let (status, tracking) = self
            .shipment(id)
            .map(|s| (Some(s.status.as_str().to_owned()), s.tracking_reference.clone()))
            .unwrap_or_default();
        self.record(
            event_type,
            now,
            EventData {
                shipment_id: Some(id.to_string()),
                shipment_status: status,
                tracking_reference: tracking,
                ..EventData::default()
            },
        );
    }
}

/// `http(s)://` followed by at least a host; the scheme is case-insensitive as URLs are.
fn is_http_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return false;
    };
    !rest.is_empty() && !rest.starts_with('/') && !rest.contains(char::is_whitespace)
}
