use async_trait::async_trait;

use crate::Caller;

/// Why a bearer token was refused. The reason is for logs; callers only ever see UNAUTHENTICATED.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("token refused: {0}")]
    Invalid(String),
    #[error("the token names several tenants; pick one with the X-Tenant-Id header")]
    AmbiguousTenant,
    /// The IdP could not be reached to fetch keys; nothing about the token is known.
    #[error("identity provider unavailable: {0}")]
    Unavailable(String),
}

/// Verifies a bearer token against the IdP it claims (a tenant's or the provider's), and names
/// the caller.
#[async_trait]
pub trait TokenVerifier: Send + Sync {
    /// `tenant_hint` is the tenant the request names, by its address (custom domain, platform
    /// subdomain, `/t/{tenantId}/` path) or its `X-Tenant-Id` header: it picks one tenant when
    /// the subject belongs to several, and must then be one the token itself proves membership of.
    async fn verify(&self, token: &str, tenant_hint: Option<&str>) -> Result<Caller, AuthError>;
}
