//! Domain events recorded by aggregates. The outbox gives each one an id and an envelope.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The normative event type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    OrderCreated,
    OrderConfirmed,
    OrderCancelled,
    OrderCompleted,
    OrderReviewEscalated,
    OrderReviewed,
    ShipmentCreated,
    ShipmentConfirmed,
    ShipmentDispatched,
    ShipmentInTransit,
    ShipmentDelivered,
    ShipmentFailed,
    ShipmentReturned,
    ShipmentCancelled,
    PaymentRecorded,
    ReturnRequested,
    ReturnApproved,
    ReturnDeclined,
    RefundProcessed,
}

impl EventType {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventType::OrderCreated => "order.created",
            EventType::OrderConfirmed => "order.confirmed",
            EventType::OrderCancelled => "order.cancelled",
            EventType::OrderCompleted => "order.completed",
            EventType::OrderReviewEscalated => "order.review_escalated",
            EventType::OrderReviewed => "order.reviewed",
            EventType::ShipmentCreated => "shipment.created",
            EventType::ShipmentConfirmed => "shipment.confirmed",
            EventType::ShipmentDispatched => "shipment.dispatched",
            EventType::ShipmentInTransit => "shipment.in_transit",
            EventType::ShipmentDelivered => "shipment.delivered",
            EventType::ShipmentFailed => "shipment.failed",
            EventType::ShipmentReturned => "shipment.returned",
            EventType::ShipmentCancelled => "shipment.cancelled",
            EventType::PaymentRecorded => "payment.recorded",
            EventType::ReturnRequested => "return.requested",
            EventType::ReturnApproved => "return.approved",
            EventType::ReturnDeclined => "return.declined",
            EventType::RefundProcessed => "refund.processed",
        }
    }
}

/// What an event says. Fields that do not apply to an event type are absent.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct EventData {
    pub order_id: String,
    pub order_number: String,
    pub order_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_status: Option<String>,
    /// The money an event moved, as a decimal string of `currency` (payment, refund).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restocking_fee: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cap_applied: Option<String>,
    /// The journal entry the event booked, if it booked one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_method: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    pub event_type: EventType,
    pub aggregate_id: String,
    pub aggregate_version: i64,
    pub occurred_at: DateTime<Utc>,
    pub data: EventData,
}
