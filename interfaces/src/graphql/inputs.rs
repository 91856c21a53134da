//! Mutation inputs with the normative field names, and their mapping to application commands.

use application::orders as app;
use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};

use crate::graphql::types::{OrderStatus, ShipmentMode};

#[derive(InputObject, Clone, Debug)]
pub struct MoneyInput {
    /// Decimal string with at most the currency's minor-unit digits, e.g. `"12.500"`.
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<MoneyInput> for app::MoneyInput {
    fn from(m: MoneyInput) -> Self {
        app::MoneyInput { amount: m.amount, currency: m.currency }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct AddressInput {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl From<AddressInput> for app::AddressInput {
    fn from(a: AddressInput) -> Self {
        app::AddressInput {
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            state: a.state,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct CustomerInput {
    pub customer_id: Option<String>,
    pub name: String,
    pub email: String,
}

#[derive(InputObject, Clone, Debug)]
pub struct OrderLineInput {
    pub sku: String,
    pub name: String,
    pub vendor_id: String,
    pub quantity: i64,
    pub unit_price: MoneyInput,
    pub weight_kg: Option<f64>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateOrderInput {
    /// Your reference; creating a second order with the same one returns the first.
    pub external_ref: Option<String>,
    pub customer: CustomerInput,
    pub shipping_address: Option<AddressInput>,
    pub lines: Vec<OrderLineInput>,
    /// A replay with the same key returns the original result (also the `Idempotency-Key` header).
    pub idempotency_key: Option<String>,
}

impl CreateOrderInput {
    pub fn into_command(self, header_key: Option<String>) -> app::CreateOrder {
        app::CreateOrder {
            external_ref: self.external_ref,
            customer: app::CustomerInput {
                customer_id: self.customer.customer_id,
                name: self.customer.name,
                email: self.customer.email,
            },
            shipping_address: self.shipping_address.map(Into::into),
            lines: self
                .lines
                .into_iter()
                .map(|l| app::OrderLineInput {
                    sku: l.sku,
                    name: l.name,
                    vendor_id: l.vendor_id,
                    quantity: l.quantity,
                    unit_price: l.unit_price.into(),
                    weight_kg: l.weight_kg,
                })
                .collect(),
            idempotency_key: self.idempotency_key.or(header_key),
        }
    }
}

/// confirmOrder, completeOrder.
#[derive(InputObject, Clone, Debug)]
pub struct OrderRefInput {
    pub id: ID,
    /// Refuse the change with CONFLICT unless the order is still at this version.
    pub expected_version: Option<i64>,
}

impl From<OrderRefInput> for app::OrderRef {
    fn from(i: OrderRefInput) -> Self {
        app::OrderRef { id: i.id.0, expected_version: i.expected_version }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct CancelOrderInput {
    pub id: ID,
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

impl From<CancelOrderInput> for app::CancelOrder {
    fn from(i: CancelOrderInput) -> Self {
        app::CancelOrder { id: i.id.0, reason: i.reason, expected_version: i.expected_version }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct EscalateOrderReviewInput {
    pub id: ID,
    /// Subject (token `sub`) of the person who must decide.
    pub reviewer: String,
    pub comments: Option<String>,
    pub expected_version: Option<i64>,
}

impl From<EscalateOrderReviewInput> for app::EscalateOrderReview {
    fn from(i: EscalateOrderReviewInput) -> Self {
        app::EscalateOrderReview {
            id: i.id.0,
            reviewer: i.reviewer,
            comments: i.comments,
            expected_version: i.expected_version,
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct ReviewOrderInput {
    pub id: ID,
    /// true lifts the hold; false cancels the order.
    pub approved: bool,
    pub comments: Option<String>,
    pub expected_version: Option<i64>,
}

impl From<ReviewOrderInput> for app::ReviewOrder {
    fn from(i: ReviewOrderInput) -> Self {
        app::ReviewOrder {
            id: i.id.0,
            approved: i.approved,
            comments: i.comments,
            expected_version: i.expected_version,
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct ShipmentItemInput {
    pub sku: String,
    pub vendor_id: String,
    pub quantity: i64,
}

#[derive(InputObject, Clone, Debug)]
pub struct PackageInput {
    pub weight_kg: f64,
    pub length_cm: f64,
    pub width_cm: f64,
    pub height_cm: f64,
}

#[derive(InputObject, Clone, Debug)]
pub struct PickupInput {
    pub address: Option<AddressInput>,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub instructions: Option<String>,
}

#[derive(InputObject, Clone, Debug)]
pub struct CreateShipmentInput {
    pub order_id: ID,
    pub mode: ShipmentMode,
    /// Carrier name.
    pub provider: Option<String>,
    /// Defaults to the order's shipping address.
    pub address: Option<AddressInput>,
    pub items: Vec<ShipmentItemInput>,
    pub package: Option<PackageInput>,
    pub pickup: Option<PickupInput>,
    pub idempotency_key: Option<String>,
}

impl CreateShipmentInput {
    pub fn into_command(self, header_key: Option<String>) -> app::CreateShipment {
        app::CreateShipment {
            order_id: self.order_id.0,
            mode: self.mode.into(),
            provider: self.provider,
            address: self.address.map(Into::into),
            items: self
                .items
                .into_iter()
                .map(|i| app::ShipmentItemInput { sku: i.sku, vendor_id: i.vendor_id, quantity: i.quantity })
                .collect(),
            package: self.package.map(|p| app::PackageInput {
                weight_kg: p.weight_kg,
                length_cm: p.length_cm,
                width_cm: p.width_cm,
                height_cm: p.height_cm,
            }),
            pickup: self.pickup.map(|p| app::PickupInput {
                address: p.address.map(Into::into),
                window_start: p.window_start,
                window_end: p.window_end,
                instructions: p.instructions,
            }),
            idempotency_key: self.idempotency_key.or(header_key),
        }
    }
}

/// confirmShipment, deliverShipment, cancelShipment.
#[derive(InputObject, Clone, Debug)]
pub struct ShipmentRefInput {
    pub id: ID,
    /// Version of the shipment's order; CONFLICT unless it still matches.
    pub expected_version: Option<i64>,
}

impl From<ShipmentRefInput> for app::ShipmentRef {
    fn from(i: ShipmentRefInput) -> Self {
        app::ShipmentRef { id: i.id.0, expected_version: i.expected_version }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct DispatchShipmentInput {
    pub id: ID,
    /// The carrier's tracking reference; unique per carrier. Without it, a tenant with a
    /// carrier API (`create_shipment_api`) has the carrier book the shipment: its tracking
    /// code, label and cost are filled in and the cost is booked in the ledger.
    pub tracking_reference: Option<String>,
    /// Given with a trackingReference only (a booked shipment gets the carrier's label).
    pub label_url: Option<String>,
    /// What the carrier charges, in the order's currency; with a trackingReference only.
    pub cost: Option<MoneyInput>,
    pub expected_version: Option<i64>,
}

impl From<DispatchShipmentInput> for app::DispatchShipment {
    fn from(i: DispatchShipmentInput) -> Self {
        app::DispatchShipment {
            id: i.id.0,
            tracking_reference: i.tracking_reference,
            label_url: i.label_url,
            cost: i.cost.map(Into::into),
            expected_version: i.expected_version,
        }
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    /// Inclusive lower bound on createdAt.
    pub created_after: Option<DateTime<Utc>>,
    /// Exclusive upper bound on createdAt.
    pub created_before: Option<DateTime<Utc>>,
    pub customer_email: Option<String>,
    /// Orders with a line of this SKU.
    pub sku: Option<String>,
}

impl From<OrderFilter> for app::OrderListFilter {
    fn from(f: OrderFilter) -> Self {
        app::OrderListFilter {
            status: f.status.map(Into::into),
            created_after: f.created_after,
            created_before: f.created_before,
            customer_email: f.customer_email,
            sku: f.sku,
        }
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct AuditLogFilter {
    pub order_id: Option<ID>,
    /// The token `sub` (or `system`, or a webhook partner).
    pub actor: Option<String>,
    /// The operation name, e.g. `createOrder`.
    pub action: Option<String>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    /// Provider administrators: whose trail to read (omitted: the platform's own, e.g. plan
    /// changes). Tenant users read their own tenant's trail only.
    pub tenant_id: Option<ID>,
}

impl From<AuditLogFilter> for application::audit_log::AuditLogFilter {
    fn from(f: AuditLogFilter) -> Self {
        application::audit_log::AuditLogFilter {
            order_id: f.order_id.map(|id| id.0),
            actor: f.actor,
            action: f.action,
            from: f.from,
            to: f.to,
            tenant_id: f.tenant_id.map(|id| id.0),
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct RecordPaymentInput {
    pub order_id: ID,
    /// In the order's currency; at most what is due (overpayment is refused).
    pub amount: MoneyInput,
    /// The payment provider's reference (charge id, transfer reference…).
    pub reference: Option<String>,
    /// How the customer paid, e.g. `card` or `bank_transfer`.
    pub method: Option<String>,
    /// A replay with the same key returns the original result (also the `Idempotency-Key` header).
    pub idempotency_key: Option<String>,
}

impl RecordPaymentInput {
    pub fn into_command(self, header_key: Option<String>) -> app::RecordPayment {
        app::RecordPayment {
            order_id: self.order_id.0,
            amount: self.amount.into(),
            reference: self.reference,
            method: self.method,
            idempotency_key: self.idempotency_key.or(header_key),
        }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct ReturnLineInput {
    pub sku: String,
    pub vendor_id: String,
    pub quantity: i64,
}

#[derive(InputObject, Clone, Debug)]
pub struct RequestReturnInput {
    pub order_id: ID,
    /// Delivered units only, never more than delivered minus already returned.
    pub lines: Vec<ReturnLineInput>,
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

impl From<RequestReturnInput> for app::RequestReturn {
    fn from(i: RequestReturnInput) -> Self {
        app::RequestReturn {
            order_id: i.order_id.0,
            lines: i
                .lines
                .into_iter()
                .map(|l| app::ReturnLineInput { sku: l.sku, vendor_id: l.vendor_id, quantity: l.quantity })
                .collect(),
            reason: i.reason,
            expected_version: i.expected_version,
        }
    }
}

/// approveReturn.
#[derive(InputObject, Clone, Debug)]
pub struct ReturnRefInput {
    pub id: ID,
    /// Version of the return's order; CONFLICT unless it still matches.
    pub expected_version: Option<i64>,
}

impl From<ReturnRefInput> for app::ReturnRef {
    fn from(i: ReturnRefInput) -> Self {
        app::ReturnRef { id: i.id.0, expected_version: i.expected_version }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct DeclineReturnInput {
    pub id: ID,
    pub reason: Option<String>,
    pub expected_version: Option<i64>,
}

impl From<DeclineReturnInput> for app::DeclineReturn {
    fn from(i: DeclineReturnInput) -> Self {
        app::DeclineReturn { id: i.id.0, reason: i.reason, expected_version: i.expected_version }
    }
}

#[derive(InputObject, Clone, Debug)]
pub struct ProcessRefundInput {
    pub return_id: ID,
    pub comments: Option<String>,
    /// A replay with the same key returns the original result (also the `Idempotency-Key` header).
    pub idempotency_key: Option<String>,
}

impl ProcessRefundInput {
    pub fn into_command(self, header_key: Option<String>) -> app::ProcessRefund {
        app::ProcessRefund {
            return_id: self.return_id.0,
            comments: self.comments,
            idempotency_key: self.idempotency_key.or(header_key),
        }
    }
}

#[derive(InputObject, Clone, Debug, Default)]
pub struct LedgerEntryFilter {
    pub order_id: Option<ID>,
    /// Entries with a posting on this account, e.g. `cash` or `receivable:<order id>`.
    pub account: Option<String>,
}

impl From<LedgerEntryFilter> for app::LedgerListFilter {
    fn from(f: LedgerEntryFilter) -> Self {
        app::LedgerListFilter { order_id: f.order_id.map(|id| id.0), account: f.account }
    }
}
