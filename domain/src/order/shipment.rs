use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{
    DomainError, Money, ShipmentId, Sku, VendorId,
    order::values::{Address, Package, Pickup},
};

/// Normative shipment states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShipmentStatus {
    Pending,
    Confirmed,
    Shipped,
    InTransit,
    Delivered,
    Failed,
    Returned,
    Cancelled,
}

impl ShipmentStatus {
    pub const ALL: [ShipmentStatus; 8] = [
        ShipmentStatus::Pending,
        ShipmentStatus::Confirmed,
        ShipmentStatus::Shipped,
        ShipmentStatus::InTransit,
        ShipmentStatus::Delivered,
        ShipmentStatus::Failed,
        ShipmentStatus::Returned,
        ShipmentStatus::Cancelled,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            ShipmentStatus::Pending => "PENDING",
            ShipmentStatus::Confirmed => "CONFIRMED",
            ShipmentStatus::Shipped => "SHIPPED",
            ShipmentStatus::InTransit => "IN_TRANSIT",
            ShipmentStatus::Delivered => "DELIVERED",
            ShipmentStatus::Failed => "FAILED",
            ShipmentStatus::Returned => "RETURNED",
            ShipmentStatus::Cancelled => "CANCELLED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Units in this shipment have left the warehouse (for the order's roll-up).
    pub fn counts_as_shipped(&self) -> bool {
        matches!(self, ShipmentStatus::Shipped | ShipmentStatus::InTransit | ShipmentStatus::Delivered)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShipmentMode {
    Pickup,
    Dropoff,
    Warehouse,
}

impl ShipmentMode {
    pub fn as_str(&self) -> &'static str {
        match self {
            ShipmentMode::Pickup => "PICKUP",
            ShipmentMode::Dropoff => "DROPOFF",
            ShipmentMode::Warehouse => "WAREHOUSE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ShipmentMode::Pickup, ShipmentMode::Dropoff, ShipmentMode::Warehouse].into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentItem {
    pub sku: Sku,
    pub vendor_id: VendorId,
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shipment {
    pub id: ShipmentId,
    pub status: ShipmentStatus,
    pub items: Vec<ShipmentItem>,
    pub address: Option<Address>,
    pub mode: ShipmentMode,
    pub provider: Option<String>,
    pub package: Option<Package>,
    pub pickup: Option<Pickup>,
    pub tracking_reference: Option<String>,
    pub label_url: Option<String>,
    pub cost: Option<Money>,
    /// The booking made through the tenant's carrier API, recorded before its postage is bought.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub booking: Option<CarrierBooking>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A shipment booked through the tenant's carrier API, as the carrier knows it. Recorded on the
/// shipment before any postage is bought, so that a retried or racing dispatch buys this one
/// booking and never a second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CarrierBooking {
    /// The carrier API it was made with (its configured provider, e.g. `easypost`), lower case.
    pub carrier: String,
    /// The carrier's own id for it (EasyPost's `shp_…`), which its webhooks name.
    pub carrier_shipment_id: String,
}

/// Longest carrier shipment id accepted.
pub const MAX_CARRIER_SHIPMENT_ID: usize = 128;

/// What the carrier (or the caller, for manual dispatch) says about the booking.
#[derive(Debug, Clone)]
pub struct Dispatch {
    pub tracking_reference: String,
    pub label_url: Option<String>,
    pub cost: Option<Money>,
}

impl Shipment {
    /// The one place a shipment state transition is decided.
    pub(crate) fn transition(&mut self, to: ShipmentStatus, now: DateTime<Utc>) -> Result<(), DomainError> {
        use ShipmentStatus::*;
        let allowed = match to {
            Confirmed => self.status == Pending,
            Shipped => self.status == Confirmed,
            Delivered => matches!(self.status, Shipped | InTransit),
            Cancelled => matches!(self.status, Pending | Confirmed),
            InTransit | Failed | Returned => matches!(self.status, Shipped | InTransit | Failed),
            Pending => false,
        };
        if !allowed {
            return Err(DomainError::invalid_state(format!(
                "shipment {} is {} and cannot become {}",
                self.id,
                self.status.as_str(),
                to.as_str()
            )));
        }
        self.status = to;
        self.updated_at = now;
        Ok(())
    }

    pub fn quantity_of(&self, sku: &Sku, vendor_id: &VendorId) -> u32 {
        self.items.iter().filter(|i| &i.sku == sku && &i.vendor_id == vendor_id).map(|i| i.quantity).sum()
    }

    /// The scope in which a tracking reference must be unique.
    pub fn carrier(&self) -> &str {
        self.provider.as_deref().unwrap_or("manual")
    }
}
