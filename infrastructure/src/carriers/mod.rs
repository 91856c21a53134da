//! The carrier port's adapters: the tenants' `create_shipment_api` accounts, as the served
//! config names them, and the EasyPost client that books with one.
//!
//! The endpoint is set by the provider (a trusted config), so unlike outbound webhooks it is not
//! held to public addresses; `config check` allows plain http only for localhost.

mod easypost;

use std::{sync::Arc, time::Duration};

use application::ports::{CarrierAccount, CarrierAccounts};
use domain::TenantId;

use crate::config::ConfigCatalog;

pub use easypost::EasyPostCarrier;

/// The one carrier API this server books with today.
pub const EASYPOST: &str = "easypost";

/// Whether `provider` names a carrier API this server can book with.
pub fn is_supported(provider: &str) -> bool {
    provider.trim().eq_ignore_ascii_case(EASYPOST)
}

/// How the carrier clients talk to their APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CarrierSettings {
    /// One HTTP exchange, from connecting to the end of the answer.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// One step of a booking (prepare, purchase) with its retries: both steps together end
    /// well within the GraphQL request's own timeout (30 s), so the caller gets the carrier's
    /// answer, not a 408.
    pub step_budget: Duration,
    /// Exchanges per call in all: a 5xx answer is retried until then; nothing else is.
    pub attempts: u32,
    /// The wait before the first retry, doubled before each next one.
    pub backoff: Duration,
}

impl Default for CarrierSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            step_budget: Duration::from_secs(12),
            attempts: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the carrier HTTP client could not be built")]
pub struct CarrierClientError(#[from] reqwest::Error);

/// The tenants' carrier accounts, read from the config served now, so a provider's change is
/// used from the next dispatch on. One HTTP client (one connection pool) serves every tenant.
pub struct ConfiguredCarriers {
    catalog: Arc<ConfigCatalog>,
    client: reqwest::Client,
    settings: CarrierSettings,
}

impl ConfiguredCarriers {
    pub fn new(catalog: Arc<ConfigCatalog>, settings: CarrierSettings) -> Result<Self, CarrierClientError> {
        Ok(Self { catalog, client: easypost::http_client(&settings)?, settings })
    }
}

impl CarrierAccounts for ConfiguredCarriers {
    fn account(&self, tenant: &TenantId) -> Option<CarrierAccount> {
        let config = self.catalog.current();
        let api = config.tenants.get(tenant.as_str())?.create_shipment_api.as_ref()?;
        let provider = api.provider.as_deref().unwrap_or(EASYPOST);
        if !is_supported(provider) {
            // `config check` reports it; the dispatch then needs its tracking reference.
            tracing::warn!(tenant = %tenant, provider, "create_shipment_api names a carrier this server cannot book with");
            return None;
        }
        let from_address = match api.from_address.as_ref().map(|a| a.to_address()).transpose() {
            Ok(address) => address,
            Err(e) => {
                tracing::warn!(tenant = %tenant, error = %e, "create_shipment_api.from_address is not an address; ignored");
                None
            }
        };
        let carrier = EasyPostCarrier::new(
            self.client.clone(),
            self.settings,
            api.endpoint.as_deref(),
            api.api_key.as_ref().map(|k| k.expose()).unwrap_or_default(),
        );
        Some(CarrierAccount { carrier: Arc::new(carrier), from_address, service: api.service.clone() })
    }
}
