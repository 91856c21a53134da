use std::sync::Arc;

use async_graphql::{Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use domain::{ShipmentId, order as model};

use crate::graphql::types::{Address, Money, Order, Package, Pickup};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::order::ShipmentStatus", rename_items = "SCREAMING_SNAKE_CASE")]
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

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "domain::order::ShipmentMode", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ShipmentMode {
    Pickup,
    Dropoff,
    Warehouse,
}

#[derive(SimpleObject, Clone, Debug)]
pub struct ShipmentItem {
    pub sku: String,
    pub vendor_id: String,
    pub quantity: u32,
}

/// What a carrier reported about a shipment, oldest first.
#[derive(SimpleObject, Clone, Debug)]
pub struct TrackingEvent {
    /// Ours, when the tenant's `status_map` maps the carrier's status; null when unmapped.
    pub status: Option<ShipmentStatus>,
    /// The carrier's own status, as sent.
    pub carrier_status: String,
    /// When the report was received.
    pub occurred_at: DateTime<Utc>,
}

/// A shipment, part of its order's aggregate.
#[derive(Clone)]
pub struct Shipment {
    order: Arc<model::Order>,
    id: ShipmentId,
}

impl Shipment {
    /// Only built for a shipment the order holds.
    pub fn new(order: Arc<model::Order>, id: ShipmentId) -> Self {
        Shipment { order, id }
    }

    /// The order this shipment belongs to, sharing the loaded aggregate.
    pub fn order_handle(&self) -> Order {
        Order(self.order.clone())
    }

    fn s(&self) -> &model::Shipment {
        self.order.shipment(self.id).expect("shipment view built for a shipment of its order")
    }
}

impl From<application::orders::ShipmentView> for Shipment {
    fn from(v: application::orders::ShipmentView) -> Self {
        Shipment::new(Arc::new(v.order), v.shipment_id)
    }
}

#[Object]
impl Shipment {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }
    async fn status(&self) -> ShipmentStatus {
        self.s().status.into()
    }
    async fn items(&self) -> Vec<ShipmentItem> {
        self.s()
            .items
            .iter()
            .map(|i| ShipmentItem {
                sku: i.sku.as_str().to_owned(),
                vendor_id: i.vendor_id.as_str().to_owned(),
                quantity: i.quantity,
            })
            .collect()
    }
    async fn address(&self) -> Option<Address> {
        self.s().address.as_ref().map(Address::from)
    }
    async fn mode(&self) -> ShipmentMode {
        self.s().mode.into()
    }
    /// Carrier name.
    async fn provider(&self) -> Option<&str> {
        self.s().provider.as_deref()
    }
    async fn package(&self) -> Option<Package> {
        self.s().package.as_ref().map(Package::from)
    }
    async fn pickup(&self) -> Option<Pickup> {
        self.s().pickup.as_ref().map(Pickup::from)
    }
    async fn tracking_reference(&self) -> Option<&str> {
        self.s().tracking_reference.as_deref()
    }
    async fn label_url(&self) -> Option<&str> {
        self.s().label_url.as_deref()
    }
    async fn cost(&self) -> Option<Money> {
        self.s().cost.map(Money::from)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.s().created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.s().updated_at
    }
    /// What carriers reported, in the order received; a report that would have moved the
    /// shipment backwards is listed here and moved nothing.
    async fn tracking_events(&self) -> Vec<TrackingEvent> {
        self.order
            .tracking_events(self.id)
            .map(|e| TrackingEvent {
                status: e.status.map(ShipmentStatus::from),
                carrier_status: e.carrier_status.clone(),
                occurred_at: e.occurred_at,
            })
            .collect()
    }
    /// The order this shipment belongs to.
    async fn order(&self) -> Order {
        Order(self.order.clone())
    }
}
