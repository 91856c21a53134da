//! Driving adapters: the GraphQL schema and the axum HTTP router. No business rules live here:
//! resolvers parse, hand the caller's principal and input to a use case, and map the answer.

pub mod graphql;
pub mod http;

use std::sync::Arc;

use application::{
    audit_log::AuditTrail,
    events::{EventFeedService, WebhookDeliveryService},
    orders::Orders,
    platform::Platform,
    ports::{EventBus, TenantAddresses, TokenVerifier},
    session::Session,
    tenant_config::TenantConfigs,
    webhooks_in::WebhookIntake,
};

use crate::graphql::live_events::LiveEvents;

/// The use cases, the identity port and the live event hub the interfaces drive.
#[derive(Clone)]
pub struct Services {
    pub orders: Arc<Orders>,
    pub session: Arc<Session>,
    pub audit: Arc<AuditTrail>,
    pub platform: Arc<Platform>,
    pub tenant_configs: Arc<TenantConfigs>,
    /// Outbound webhook deliveries as the tenant sees and manages them.
    pub webhooks: Arc<WebhookDeliveryService>,
    /// Events read back from the outbox: order timelines and the tenant's pull feed.
    pub event_feed: Arc<EventFeedService>,
    pub verifier: Arc<dyn TokenVerifier>,
    /// Which tenant a request's host names (custom domains, subdomains of the platform domain).
    pub addresses: Arc<dyn TenantAddresses>,
    /// Where relayed events reach the subscriptions; the event bus holds the same hub as its
    /// `LiveListener`.
    pub live_events: Arc<LiveEvents>,
    /// Where the relay publishes: `/readyz` asks it whether it can take events (Redis).
    pub event_bus: Arc<dyn EventBus>,
    /// The Prometheus text of `GET /metrics`; `None` serves no metrics route.
    pub metrics: Option<Arc<dyn http::MetricsExport>>,
    /// Signed inbound webhooks: partners' orders and carriers' tracking reports.
    pub webhooks_in: Arc<WebhookIntake>,
    /// Where the tenants' `requests_per_minute` are counted: Redis, shared by the fleet, with
    /// `--redis-url`; None counts in this process.
    pub rate_limits: Option<Arc<dyn application::ports::RateLimitStore>>,
}
