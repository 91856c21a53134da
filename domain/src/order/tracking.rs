//! Tracking events a carrier reports about a dispatched shipment. Every event is recorded; only
//! one that moves the shipment forward changes its status (SPEC.md section 2: never backwards, a
//! late or repeated event is kept but regresses nothing).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{ShipmentId, order::ShipmentStatus};

/// Longest carrier status and reference kept, in characters: carriers' own codes are short, and
/// a payload is not a place to store essays.
pub const MAX_CARRIER_STATUS: usize = 64;
pub const MAX_TRACKING_REFERENCE: usize = 128;
/// Most tracking events one order keeps: each is a row every load of the order reads back.
pub const MAX_TRACKING_EVENTS_PER_ORDER: usize = 1000;

/// One report of a carrier about a shipment, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingEvent {
    pub id: Uuid,
    pub shipment_id: ShipmentId,
    /// The carrier's own status word (`in_transit`, `out_for_delivery`…), as sent.
    pub carrier_status: String,
    /// Ours, when the tenant's `status_map` maps the carrier's; none for an unmapped status.
    pub status: Option<ShipmentStatus>,
    /// When the carrier says it happened (the time of receipt when the payload says nothing).
    pub occurred_at: DateTime<Utc>,
    /// The tracking reference the report named.
    pub raw_reference: String,
    pub recorded_at: DateTime<Utc>,
}

/// What a carrier reported, ready to record.
#[derive(Debug, Clone)]
pub struct TrackingReport {
    pub id: Uuid,
    pub carrier_status: String,
    pub status: Option<ShipmentStatus>,
    pub occurred_at: DateTime<Utc>,
    pub raw_reference: String,
}

/// What recording a report did to the shipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingEffect {
    /// The shipment moved to this status.
    Moved(ShipmentStatus),
    /// Recorded only: unmapped, repeated, late, or the shipment is not in a tracked state.
    Recorded,
}

/// The statuses a carrier may move a shipment to.
pub fn is_tracking_status(status: ShipmentStatus) -> bool {
    matches!(
        status,
        ShipmentStatus::InTransit | ShipmentStatus::Delivered | ShipmentStatus::Failed | ShipmentStatus::Returned
    )
}

/// Whether a carrier report of `to` moves a shipment that is `from` forward. From SHIPPED,
/// IN_TRANSIT or FAILED a shipment may go IN_TRANSIT, DELIVERED, FAILED or RETURNED, but a
/// report never takes it back: IN_TRANSIT and FAILED are one stage (a failed attempt is followed
/// by a new one), DELIVERED and RETURNED are final.
pub fn moves_forward(from: ShipmentStatus, to: ShipmentStatus) -> bool {
    use ShipmentStatus::*;
    let tracked = matches!(from, Shipped | InTransit | Failed);
    tracked && is_tracking_status(to) && from != to
}
