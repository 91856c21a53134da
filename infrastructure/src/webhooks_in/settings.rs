//! Every inbound webhook of a config, compiled once when the config version is installed: the
//! scheme, the HMAC key its secret stands for, the time window, and the carrier payload reader.
//! A webhook whose settings do not compile is left out (its route answers as not configured)
//! and `config check` reports why.

use std::{collections::HashMap, sync::Arc};

use application::ports::{DeliveryHeaders, InboundRoute, TrackingReader, Unverified, VerifiedDelivery, WebhookOwner};
use chrono::{DateTime, Utc};
use domain::TenantId;

use super::{Scheme, TrackingSettings};
use crate::config::{SaasConfig, WebhookConfig};

/// Deliveries are remembered at least this long, whatever the time window: a scheme without a
/// signed timestamp can only be protected from replays by its receipts.
const REMEMBER_AT_LEAST_SECONDS: u64 = 24 * 60 * 60;

struct Endpoint {
    scheme: Scheme,
    /// The HMAC key; never logged (this type has no `Debug`).
    key: Vec<u8>,
    max_age_seconds: u64,
    tracking: Option<Arc<TrackingSettings>>,
}

/// The compiled inbound webhooks of one config version.
#[derive(Default)]
pub struct InboundSettings {
    tenants: HashMap<(String, InboundRoute), Endpoint>,
    provider: HashMap<InboundRoute, Endpoint>,
}

impl std::fmt::Debug for InboundSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundSettings")
            .field("tenant_webhooks", &self.tenants.len())
            .field("provider_webhooks", &self.provider.len())
            .finish()
    }
}

const ROUTES: [InboundRoute; 2] = [InboundRoute::AddOrder, InboundRoute::ShipmentTracker];

impl InboundSettings {
    pub fn compile(config: &SaasConfig) -> Self {
        let mut settings = InboundSettings::default();
        if let Some(provider) = &config.provider {
            for route in ROUTES {
                if let Some(endpoint) = provider.webhooks.get(route.config_key()).and_then(|w| endpoint(w, route)) {
                    settings.provider.insert(route, endpoint);
                }
            }
        }
        for (id, tenant) in &config.tenants {
            for route in ROUTES {
                if let Some(endpoint) = tenant.webhooks.get(route.config_key()).and_then(|w| endpoint(w, route)) {
                    settings.tenants.insert((id.clone(), route), endpoint);
                }
            }
        }
        settings
    }

    pub fn verify(
        &self,
        owner: &WebhookOwner,
        route: InboundRoute,
        headers: &DeliveryHeaders,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<VerifiedDelivery, Unverified> {
        let endpoint = self.endpoint(owner, route).ok_or(Unverified::NotConfigured)?;
        let delivery_key = endpoint
            .scheme
            .verify(&endpoint.key, endpoint.max_age_seconds, headers, body, now)
            .map_err(Unverified::Refused)?;
        Ok(endpoint.admitted(delivery_key, now))
    }

    /// See [`InboundWebhooks::trusted`](application::ports::InboundWebhooks::trusted).
    pub fn trusted(
        &self,
        owner: &WebhookOwner,
        route: InboundRoute,
        delivery_key: String,
        now: DateTime<Utc>,
    ) -> Result<VerifiedDelivery, Unverified> {
        let endpoint = self.endpoint(owner, route).ok_or(Unverified::NotConfigured)?;
        Ok(endpoint.admitted(delivery_key, now))
    }

    /// The tenants that have `route` configured, sorted.
    pub fn tenants_with(&self, route: InboundRoute) -> Vec<TenantId> {
        let mut tenants: Vec<TenantId> = self
            .tenants
            .keys()
            .filter(|(_, r)| *r == route)
            .filter_map(|(tenant, _)| TenantId::new(tenant).ok())
            .collect();
        tenants.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        tenants
    }

    fn endpoint(&self, owner: &WebhookOwner, route: InboundRoute) -> Option<&Endpoint> {
        match owner {
            WebhookOwner::Tenant(tenant) => self.tenants.get(&(tenant.as_str().to_owned(), route)),
            WebhookOwner::Provider => self.provider.get(&route),
        }
    }
}

impl Endpoint {
    fn admitted(&self, delivery_key: String, now: DateTime<Utc>) -> VerifiedDelivery {
        let seconds = self.max_age_seconds.clamp(REMEMBER_AT_LEAST_SECONDS, 366 * 24 * 60 * 60);
        VerifiedDelivery {
            delivery_key,
            remembered_until: now + chrono::Duration::seconds(seconds as i64),
            tracking: self.tracking.clone().map(|t| t as Arc<dyn TrackingReader>),
        }
    }
}

/// `None` when the webhook cannot verify anything: no or an unusable secret, an unknown scheme,
/// or (for a tracker) settings that do not compile. `config check` reports each.
fn endpoint(config: &WebhookConfig, route: InboundRoute) -> Option<Endpoint> {
    let scheme = Scheme::parse(config.provider.as_deref().unwrap_or("standard"))?;
    let secret = config.shared_secret.as_ref().filter(|s| !s.is_empty())?;
    let key = scheme.key(secret.expose()).ok()?;
    let tracking = match route {
        InboundRoute::ShipmentTracker => Some(Arc::new(TrackingSettings::compile(config).ok()?)),
        InboundRoute::AddOrder => None,
    };
    Some(Endpoint { scheme, key, max_age_seconds: config.max_age_seconds.max(1), tracking })
}
