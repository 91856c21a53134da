//! Webhooks in (SPEC.md section 5): what the use cases need to verify a signed delivery, read a
//! carrier's payload, remember a delivery once acted on, and find the shipment a carrier names.

use std::{fmt, sync::Arc};

use chrono::{DateTime, Utc};
use domain::{ShipmentId, TenantId, order::ShipmentStatus};

/// The inbound webhook routes, by their config key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboundRoute {
    AddOrder,
    ShipmentTracker,
}

impl InboundRoute {
    /// The key under `webhooks` in the config.
    pub fn config_key(&self) -> &'static str {
        match self {
            InboundRoute::AddOrder => "add_order",
            InboundRoute::ShipmentTracker => "shipment_tracker",
        }
    }
}

/// Whose webhook settings verify a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOwner {
    Tenant(TenantId),
    /// The provider's own carrier account; the tenant is found after verification.
    Provider,
}

/// A delivery's headers, names lower-cased. Values that are not visible ASCII are left out.
#[derive(Debug, Clone, Default)]
pub struct DeliveryHeaders(Vec<(String, String)>);

impl DeliveryHeaders {
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self(pairs.into_iter().map(|(name, value)| (name.to_ascii_lowercase(), value)).collect())
    }

    /// The first value of `name` (lower-case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Why a delivery was not verified. The messages name headers, never a secret or a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unverified {
    /// No such tenant, or no webhook of this route configured for it (or the provider).
    NotConfigured,
    /// Missing or bad signature, stale or future timestamp: said in a sentence for the sender.
    Refused(&'static str),
}

/// A verified delivery: how to recognise it again, for how long, and how to read it.
#[derive(Clone)]
pub struct VerifiedDelivery {
    /// `id:` + the sender's webhook id when the scheme has one, else `sha256:` + the body's hash.
    pub delivery_key: String,
    /// Until when a delivery with the same key is a replay.
    pub remembered_until: DateTime<Utc>,
    /// The settings' reader of carrier payloads (shipment_tracker routes only).
    pub tracking: Option<Arc<dyn TrackingReader>>,
}

impl fmt::Debug for VerifiedDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedDelivery").field("delivery_key", &self.delivery_key).finish_non_exhaustive()
    }
}

/// What a carrier's payload says, read with the configured expressions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingFacts {
    pub reference: String,
    pub carrier_status: String,
    /// The carrier's status mapped through `status_map`; none when unmapped.
    pub status: Option<ShipmentStatus>,
    /// The carrier the payload names, when the settings say where.
    pub carrier: Option<String>,
    /// The carrier's own id of the shipment, when the settings say where (booked shipments).
    pub carrier_shipment: Option<CarrierShipmentRef>,
}

/// A shipment as the carrier API it was booked with names it (`CarrierBooking`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierShipmentRef {
    /// The carrier API, as bookings record it (`easypost`).
    pub carrier: String,
    pub id: String,
}

/// Reads carrier payloads with expressions compiled once per config version.
pub trait TrackingReader: Send + Sync {
    /// `Err` says, for the sender, what the payload lacks.
    fn read(&self, payload: &serde_json::Value) -> Result<TrackingFacts, String>;
}

/// The configured inbound webhooks, as served now.
pub trait InboundWebhooks: Send + Sync {
    /// Verifies `body` as sent with `headers` to `owner`'s `route`, at `now`.
    fn verify(
        &self,
        owner: &WebhookOwner,
        route: InboundRoute,
        headers: &DeliveryHeaders,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<VerifiedDelivery, Unverified>;

    /// Admits a delivery that came through a channel which is its own proof of origin (the
    /// tenant's Redis stream: who may write there is Redis's access control, not a signature).
    /// The route must be configured for `owner`, as for `verify`; `delivery_key` recognises a
    /// replay, remembered as long as a signed delivery's would be.
    fn trusted(
        &self,
        owner: &WebhookOwner,
        route: InboundRoute,
        delivery_key: String,
        now: DateTime<Utc>,
    ) -> Result<VerifiedDelivery, Unverified>;

    /// The tenants for which `route` is configured (as `verify` would accept it), sorted.
    fn tenants_with(&self, route: InboundRoute) -> Vec<TenantId>;
}

/// A delivery that was acted on, remembered in the transaction that acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookReceipt {
    /// `add_order`, `shipment_tracker`, or `provider:shipment_tracker`.
    pub route: String,
    pub delivery_key: String,
    /// What it produced or changed (an order id).
    pub resource_id: Option<String>,
    pub received_at: DateTime<Utc>,
    pub remembered_until: DateTime<Utc>,
}

/// Where to look for the shipment a carrier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingScope<'a> {
    /// A tenant's own route: its shipments only.
    Tenant(&'a TenantId),
    /// The provider's route: every tenant's.
    AllTenants,
}

/// What names a shipment in a carrier's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingLookup {
    pub reference: String,
    /// Narrows the search to shipments of this carrier (compared as stored: case and spaces
    /// ignored), when the payload names one.
    pub carrier: Option<String>,
    /// Tried first: the shipment booked with this carrier id; the reference is the fallback.
    pub carrier_shipment: Option<CarrierShipmentRef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackedShipment {
    Unknown,
    Found {
        tenant_id: TenantId,
        shipment_id: ShipmentId,
    },
    /// Several tenants (or carriers of one tenant) hold the reference.
    Ambiguous,
}
