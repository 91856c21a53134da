//! Inputs of the order use cases, as plain data. They derive `Serialize` so that an
//! idempotency fingerprint can be taken of exactly what the caller sent.

use chrono::{DateTime, Utc};
use domain::order::ShipmentMode;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyInput {
    pub amount: String,
    pub currency: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressInput {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInput {
    pub customer_id: Option<String>,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLineInput {
    pub sku: String,
    pub name: String,
    pub vendor_id: String,
    pub quantity: i64,
    pub unit_price: MoneyInput,
    pub weight_kg: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrder {
    pub external_ref: Option<String>,
    pub customer: CustomerInput,
    pub shipping_address: Option<AddressInput>,
    pub lines: Vec<OrderLineInput>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

/// confirmOrder / completeOrder.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRef {
    pub id: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelOrder {
    pub id: String,
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EscalateOrderReview {
    pub id: String,
    pub reviewer: String,
    pub comments: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewOrder {
    pub id: String,
    pub approved: bool,
    pub comments: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentItemInput {
    pub sku: String,
    pub vendor_id: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageInput {
    pub weight_kg: f64,
    pub length_cm: f64,
    pub width_cm: f64,
    pub height_cm: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PickupInput {
    pub address: Option<AddressInput>,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub instructions: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateShipment {
    pub order_id: String,
    pub mode: ShipmentMode,
    pub provider: Option<String>,
    pub address: Option<AddressInput>,
    pub items: Vec<ShipmentItemInput>,
    pub package: Option<PackageInput>,
    pub pickup: Option<PickupInput>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

/// confirmShipment / deliverShipment / cancelShipment.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipmentRef {
    pub id: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DispatchShipment {
    pub id: String,
    pub tracking_reference: Option<String>,
    pub label_url: Option<String>,
    pub cost: Option<MoneyInput>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordPayment {
    pub order_id: String,
    pub amount: MoneyInput,
    /// The payment provider's reference (charge id, bank transfer reference…).
    pub reference: Option<String>,
    /// How the customer paid (`card`, `bank_transfer`…).
    pub method: Option<String>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnLineInput {
    pub sku: String,
    pub vendor_id: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestReturn {
    pub order_id: String,
    pub lines: Vec<ReturnLineInput>,
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

/// approveReturn.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnRef {
    pub id: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeclineReturn {
    pub id: String,
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessRefund {
    pub return_id: String,
    pub comments: Option<String>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}
