//! Driving adapters: the GraphQL schema and the axum HTTP router. No business rules live here:
//! resolvers parse, hand the caller's principal and input to a use case, and map the answer.

pub mod graphql;
pub mod http;

use std::sync::Arc;

use application::{
    audit_log::AuditTrail, events::WebhookDeliveryService, orders::Orders, platform::Platform, ports::TokenVerifier, session::Session,
    tenant_config::TenantConfigs,
};

/// The use cases and the identity port the interfaces drive.
#[derive(Clone)]
pub struct Services {
    pub orders: Arc<Orders>,
    pub session: Arc<Session>,
    pub audit: Arc<AuditTrail>,
    pub platform: Arc<Platform>,
    pub tenant_configs: Arc<TenantConfigs>,
    /// Outbound webhook deliveries as the tenant sees and manages them.
    pub webhooks: Arc<WebhookDeliveryService>,
    pub verifier: Arc<dyn TokenVerifier>,
}
