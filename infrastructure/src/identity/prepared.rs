//! One config version, prepared for verification: tenants indexed by issuer, and each tenant's
//! keys and `Validation`s parsed once (on its first token) instead of on every request.
//! A new config version gets a new `PreparedConfig`, which is what invalidates cached keys.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use application::ports::AuthError;
use domain::TenantId;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};

use super::claims::{Claims, claim, names_tenant};
use super::refusal::invalid;
use crate::config::{IdpConfig, SaasConfig, decode_public_key_pem, supported_algorithm};

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;

/// Source of `PreparedConfig::generation`.
static GENERATIONS: AtomicU64 = AtomicU64::new(0);

pub(super) struct PreparedConfig {
    config: Arc<SaasConfig>,
    generation: u64,
    by_issuer: HashMap<String, Vec<PreparedTenant>>,
    provider: Option<PreparedProvider>,
}

/// The SaaS provider's own IdP, whose tokens name no tenant.
pub(super) struct PreparedProvider {
    issuer: String,
    pub(super) roles_claim: String,
    pub(super) admin_role: String,
    keys: OnceLock<Result<TenantKeys, &'static str>>,
}

pub(super) struct PreparedTenant {
    pub(super) id: TenantId,
    tenant_claim: String,
    pub(super) roles_claim: String,
    pub(super) vendor_claim: Option<String>,
    keys: OnceLock<Result<TenantKeys, &'static str>>,
}

/// What verifying one tenant's tokens needs, parsed from its IdP config.
pub(super) struct TenantKeys {
    allowed: Vec<(Algorithm, Validation)>,
    pub(super) hmac: Option<DecodingKey>,
    pub(super) pem: Option<DecodingKey>,
    pub(super) jwks_uri: Option<String>,
}

impl PreparedConfig {
    pub(super) fn new(config: Arc<SaasConfig>) -> Self {
        let mut by_issuer: HashMap<String, Vec<PreparedTenant>> = HashMap::new();
        for (name, tenant) in &config.tenants {
            // `check` reports both; such a tenant simply cannot sign in.
            let (Ok(id), Some(issuer)) = (TenantId::new(name), tenant.idp.issuer.as_deref()) else {
                continue;
            };
            by_issuer.entry(issuer.to_owned()).or_default().push(PreparedTenant {
                id,
                tenant_claim: tenant.idp.tenant_claim().to_owned(),
                roles_claim: tenant.idp.roles_claim().to_owned(),
                vendor_claim: tenant.idp.vendor_claim.clone().filter(|c| !c.trim().is_empty()),
                keys: OnceLock::new(),
            });
        }
        let provider = config.provider.as_ref().and_then(|p| {
            let idp = p.idp.as_ref()?;
            Some(PreparedProvider {
                issuer: idp.issuer.clone()?,
                roles_claim: idp.roles_claim().to_owned(),
                admin_role: p.admin_role.clone(),
                keys: OnceLock::new(),
            })
        });
        Self { config, generation: GENERATIONS.fetch_add(1, Ordering::Relaxed), by_issuer, provider }
    }

    /// Tells this preparation apart from every other in the process, so a result derived from it
    /// (a verified token) can tell whether the config has been replaced since. A counter rather
    /// than the config's address: a dropped config's address can be reused by a later one.
    pub(super) fn generation(&self) -> u64 {
        self.generation
    }

    /// The provider's IdP, when the token is its: the provider's issuer, no tenant hint, and no
    /// tenant of that issuer named (an IdP shared with tenants still serves both).
    pub(super) fn provider_for(&self, claims: &Claims, hint: Option<&str>) -> Option<&PreparedProvider> {
        let provider = self.provider.as_ref()?;
        let issuer = claims.get("iss").and_then(|v| v.as_str())?;
        if hint.is_some() || issuer != provider.issuer {
            return None;
        }
        let names_a_tenant = self.by_issuer.get(issuer).is_some_and(|tenants| {
            tenants.iter().any(|t| claim(claims, &t.tenant_claim).is_some_and(|n| names_tenant(n, t.id.as_str())))
        });
        (!names_a_tenant).then_some(provider)
    }

    pub(super) fn provider_keys<'p>(&self, provider: &'p PreparedProvider) -> Result<&'p TenantKeys, AuthError> {
        provider
            .keys
            .get_or_init(|| match self.config.provider.as_ref().and_then(|p| p.idp.as_ref()) {
                Some(idp) => TenantKeys::from_idp(idp),
                None => Err("provider IdP vanished from its config version"),
            })
            .as_ref()
            .map_err(|problem| {
                tracing::error!(problem, "provider IdP config unusable; run `tenant-oms config check`");
                AuthError::Unavailable(format!("the provider's identity provider is misconfigured: {problem}"))
            })
    }

    pub(super) fn is_for(&self, config: &Arc<SaasConfig>) -> bool {
        Arc::ptr_eq(&self.config, config)
    }

    /// The one tenant this (not yet verified) token is for. The choice only decides which key
    /// must verify it; a forged claim fails that verification.
    pub(super) fn select(&self, claims: &Claims, hint: Option<&str>) -> Result<&PreparedTenant, AuthError> {
        let issuer = claims.get("iss").and_then(|v| v.as_str()).ok_or_else(|| invalid("no iss claim"))?;
        let tenants = self.by_issuer.get(issuer).ok_or_else(|| invalid("unknown issuer"))?;
        let mut candidates = tenants
            .iter()
            .filter(|t| claim(claims, &t.tenant_claim).is_some_and(|names| names_tenant(names, t.id.as_str())));
        if let Some(hint) = hint {
            return candidates
                .find(|t| t.id.as_str() == hint)
                .ok_or_else(|| invalid("the requested tenant (X-Tenant-Id, or the tenant the address names) is not one the token belongs to"));
        }
        let first = candidates.next().ok_or_else(|| invalid("the token names no tenant of its issuer"))?;
        match candidates.next() {
            Some(_) => Err(AuthError::AmbiguousTenant),
            None => Ok(first),
        }
    }

    pub(super) fn keys<'t>(&self, tenant: &'t PreparedTenant) -> Result<&'t TenantKeys, AuthError> {
        tenant
            .keys
            .get_or_init(|| match self.config.tenants.get(tenant.id.as_str()) {
                Some(entry) => TenantKeys::from_idp(&entry.idp),
                None => Err("tenant vanished from its config version"),
            })
            .as_ref()
            .map_err(|problem| {
                tracing::error!(tenant_id = %tenant.id, problem, "tenant IdP config unusable; run `tenant-oms config check`");
                AuthError::Unavailable(format!("identity provider of this tenant is misconfigured: {problem}"))
            })
    }
}

impl TenantKeys {
    fn from_idp(idp: &IdpConfig) -> Result<Self, &'static str> {
        let issuer = idp.issuer.as_deref().ok_or("no issuer")?;
        let audience = idp.audience.as_deref().filter(|a| !a.trim().is_empty()).ok_or("no audience")?;
        let hmac = idp
            .hs256_secret
            .as_ref()
            .filter(|secret| !secret.is_empty())
            .map(|secret| DecodingKey::from_secret(secret.expose().as_bytes()));
        let pem = idp
            .public_key_pem
            .as_deref()
            .map(decode_public_key_pem)
            .transpose()
            .map_err(|_| "public_key_pem is not a usable public key")?;
        let allowed = idp
            .algorithms
            .iter()
            .filter_map(|name| supported_algorithm(name))
            // HS256 is only ever checked against the configured secret, never against a public
            // key's bytes: that is what defeats the RS256-to-HS256 confusion attack.
            .filter(|alg| alg.family() != AlgorithmFamily::Hmac || hmac.is_some())
            .map(|alg| (alg, validation(alg, issuer, audience)))
            .collect();
        Ok(Self { allowed, hmac, pem, jwks_uri: idp.jwks_uri.clone() })
    }

    /// `None` when the IdP does not allow the token's algorithm.
    pub(super) fn validation(&self, alg: Algorithm) -> Option<&Validation> {
        self.allowed.iter().find(|(allowed, _)| *allowed == alg).map(|(_, validation)| validation)
    }
}

fn validation(alg: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(alg);
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = true;
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    // jsonwebtoken checks iss and aud only when present; requiring them closes that gap.
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation
}
