//! The carrier port: booking a shipment with the tenant's carrier API (SPEC.md section 3,
//! `create_shipment_api`).
//!
//! A booking is made in two steps, so that postage is bought once however often a dispatch is
//! retried or raced: `prepare` makes the carrier's record of the shipment and buys nothing; its
//! id is then recorded on the shipment; `purchase` buys the postage of that one record, and
//! answers what was bought when it already is. EasyPost maps onto this directly (create a
//! shipment with its rates, then buy one rate). A carrier that books in one call (Bosta creates
//! a delivery and answers its tracking number) prepares an id of its own choosing (its
//! `businessReference`, our shipment id) and purchases by creating the delivery under that
//! reference, or finding the one already created under it.
//!
//! Money: the cost is in the currency the request names (the order's). A carrier that quotes
//! another currency is not converted here: its adapter refuses the booking before buying
//! (`CarrierError::Refused`), since the order's books are kept in the order's currency only.

use std::sync::Arc;

use async_trait::async_trait;
use domain::{
    Currency, Money, TenantId,
    order::{Address, Package},
};

/// What a carrier needs to book one parcel.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingRequest {
    /// Our shipment id: the carrier's reference for it, where the carrier keeps one.
    pub reference: String,
    pub from: Address,
    pub to: Address,
    pub package: Package,
    /// The service to buy (`create_shipment_api.service`, e.g. `Priority`); none: the lowest
    /// rate the carrier offers in `currency`.
    pub service: Option<String>,
    /// The currency the cost must be in: the order's.
    pub currency: Currency,
}

/// The carrier's record of a shipment, before anything is bought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedBooking {
    /// The carrier's own id for the shipment (EasyPost `shp_…`).
    pub carrier_shipment_id: String,
}

/// What was bought.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchasedPostage {
    pub carrier_shipment_id: String,
    pub tracking_code: String,
    pub label_url: Option<String>,
    /// In the request's currency.
    pub cost: Money,
    /// The service bought (`Priority`, `Express`…), for the record.
    pub service: Option<String>,
}

/// Why a carrier did not book. Messages are the carrier's words for the caller (bounded, never
/// a credential); the adapter logs what else it knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierError {
    /// The carrier refused this booking (an address it cannot deliver to, a parcel it does not
    /// take, no rate in the order's currency or for the configured service). Retrying the same
    /// request will not help.
    #[error("the carrier refused the booking: {0}")]
    Refused(String),
    /// The carrier refused our credentials or account: the provider must fix the tenant's
    /// `create_shipment_api`.
    #[error("the carrier refused the tenant's carrier account")]
    Unauthorized,
    /// The carrier did not answer in time, answered 5xx after the retries, or answered
    /// something unreadable. The same request may succeed later.
    #[error("the carrier is unavailable: {0}")]
    Unavailable(String),
}

/// One tenant's carrier account, with its credentials inside the adapter.
#[async_trait]
pub trait Carrier: Send + Sync {
    /// The provider it books with (`easypost`), lower case: the shipments' booking carrier.
    fn provider(&self) -> &str;

    /// Makes the carrier's record of the shipment; buys nothing.
    async fn prepare(&self, request: &BookingRequest) -> Result<PreparedBooking, CarrierError>;

    /// Buys the postage of a prepared shipment, once: when it was bought already (a retry, or a
    /// concurrent call), answers what was bought.
    async fn purchase(
        &self,
        prepared: &PreparedBooking,
        request: &BookingRequest,
    ) -> Result<PurchasedPostage, CarrierError>;
}

/// The tenants' carrier accounts as currently configured.
pub trait CarrierAccounts: Send + Sync {
    /// The carrier the tenant books with, and where its parcels leave from when the shipment
    /// names no pickup address; `None`: the tenant has no `create_shipment_api`.
    fn account(&self, tenant: &TenantId) -> Option<CarrierAccount>;
}

#[derive(Clone)]
pub struct CarrierAccount {
    pub carrier: Arc<dyn Carrier>,
    /// `create_shipment_api.from_address`: the parcels' origin when a shipment has no pickup address.
    pub from_address: Option<Address>,
    /// `create_shipment_api.service`: the service to buy instead of the lowest rate.
    pub service: Option<String>,
}

impl std::fmt::Debug for CarrierAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarrierAccount").field("provider", &self.carrier.provider()).finish_non_exhaustive()
    }
}

/// No tenant has a carrier account: every dispatch needs its tracking reference.
pub struct NoCarriers;

impl CarrierAccounts for NoCarriers {
    fn account(&self, _: &TenantId) -> Option<CarrierAccount> {
        None
    }
}
