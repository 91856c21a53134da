//! The SaaS config (SPEC.md section 3): its JSON model, loading with operator-friendly errors,
//! `config check`, and the in-memory catalog the running process reads.

mod catalog;
mod check;
mod demo;
mod documents;
mod edits;
mod endpoints;
mod hosts;
mod import;
mod integrations;
mod keys;
mod limits;
mod load;
mod model;
mod permissions;
mod provider_views;
mod redact;
mod secret;
mod service;
mod unknown_keys;

#[cfg(test)]
mod tests;

pub use catalog::ConfigCatalog;
pub use check::ConfigProblem;
pub use documents::{ConfigDocument, PROVIDER_KEY, assemble, split};
pub use hosts::{TenantHosts, domain_problem, normalize_host};
pub use import::{IMPORTED_BY, ImportReport, import, import_onto};
pub use keys::{PemKeyError, SUPPORTED_ALGORITHMS, decode_public_key_pem, is_https_or_loopback, supported_algorithm};
pub use load::ConfigError;
pub use model::{
    AddressConfig, CreateShipmentApiConfig, DecimalValue, DomainConfig, IdpConfig, OutboundWebhookConfig, PlanConfig,
    PlanLimits, ProviderConfig, SaasConfig, TenantConfig, TenantEntry, WebhookConfig,
};
pub use permissions::{ALL_PLAN_PERMISSIONS, is_provider_permission, is_tenant_permission, tenant_permissions};
pub(crate) use secret::SECRET_KEYS;
pub use secret::Secret;
pub use service::ConfigService;
pub use unknown_keys::UnknownKeys;
