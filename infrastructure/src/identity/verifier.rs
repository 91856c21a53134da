//! `TokenVerifier` for the tenants' OIDC identity providers.

#[cfg(test)]
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};

use application::ports::{AuthError, TokenVerifier};
use application::{Caller, Principal, ProviderAdmin};
use async_trait::async_trait;
use domain::VendorId;
use jsonwebtoken::{AlgorithmFamily, DecodingKey, Header, dangerous, decode, decode_header};
use serde::de::IgnoredAny;

use super::claims::{Claims, claim, roles};
use super::jwks::{JwksCache, JwksSettings};
use super::prepared::{PreparedConfig, TenantKeys};
use super::refusal::{from_jwt_error, invalid};
use super::verified::{DEFAULT_CAPACITY, TokenKey, VerifiedTokens};
use crate::config::ConfigCatalog;

/// Far above any real IdP's token; refusing bigger ones bounds the work an anonymous caller causes.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Verifies a bearer token against the IdP of the tenant it claims (SPEC.md sections 1 and 9).
pub struct JwtVerifier {
    catalog: Arc<ConfigCatalog>,
    jwks: JwksCache,
    prepared: RwLock<Option<Arc<PreparedConfig>>>,
    verified: VerifiedTokens,
    /// Signatures checked, so tests can tell a cached answer from a verified one.
    #[cfg(test)]
    signature_checks: AtomicUsize,
}

impl JwtVerifier {
    /// `http` fetches the IdPs' JWK sets: build it with [`super::http_client`], which follows no
    /// redirects (a redirect is refused either way, but a client that follows one has already
    /// sent a request wherever it pointed).
    pub fn new(catalog: Arc<ConfigCatalog>, http: reqwest::Client) -> Self {
        Self::with_jwks_settings(catalog, http, JwksSettings::default())
    }

    pub fn with_jwks_settings(catalog: Arc<ConfigCatalog>, http: reqwest::Client, settings: JwksSettings) -> Self {
        // A verified token is trusted for one key-set refresh interval at most (see VerifiedTokens).
        let verified = VerifiedTokens::new(DEFAULT_CAPACITY, settings.refresh_after);
        Self::assemble(catalog, JwksCache::new(http, settings), verified)
    }

    /// Key-set and verified-token ages measured on `now`, so tests can age both without waiting.
    #[cfg(test)]
    pub(super) fn with_jwks_clock(
        catalog: Arc<ConfigCatalog>,
        http: reqwest::Client,
        settings: JwksSettings,
        now: super::jwks::Now,
    ) -> Self {
        let unix_now = super::verified::following(Arc::clone(&now));
        let verified = VerifiedTokens::with_clock(DEFAULT_CAPACITY, settings.refresh_after, unix_now);
        Self::assemble(catalog, JwksCache::with_clock(http, settings, now), verified)
    }

    /// The same verifier with another verified-token cache (a small one, or one on a test clock).
    #[cfg(test)]
    pub(super) fn with_verified_tokens(self, verified: VerifiedTokens) -> Self {
        Self { verified, ..self }
    }

    /// Signatures checked so far; a cached answer checks none.
    #[cfg(test)]
    pub(super) fn signature_checks(&self) -> usize {
        self.signature_checks.load(Ordering::Relaxed)
    }

    #[cfg(test)]
    pub(super) fn verified_tokens(&self) -> &VerifiedTokens {
        &self.verified
    }

    fn assemble(catalog: Arc<ConfigCatalog>, jwks: JwksCache, verified: VerifiedTokens) -> Self {
        Self {
            catalog,
            jwks,
            prepared: RwLock::new(None),
            verified,
            #[cfg(test)]
            signature_checks: AtomicUsize::new(0),
        }
    }

    /// The prepared form of the catalog's current config, rebuilt when the config was replaced.
    fn prepared(&self) -> Arc<PreparedConfig> {
        let config = self.catalog.current();
        if let Some(prepared) = self.prepared.read().unwrap_or_else(|p| p.into_inner()).as_ref()
            && prepared.is_for(&config)
        {
            return Arc::clone(prepared);
        }
        let fresh = Arc::new(PreparedConfig::new(config));
        *self.prepared.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&fresh));
        fresh
    }

    async fn key<'k>(&self, keys: &'k TenantKeys, header: &Header) -> Result<Key<'k>, AuthError> {
        let family = header.alg.family();
        if family == AlgorithmFamily::Hmac {
            return keys
                .hmac
                .as_ref()
                .map(Key::Configured)
                .ok_or_else(|| invalid("algorithm not allowed for this IdP"));
        }
        // A pinned PEM needs no network, so it wins over a JWKS for the algorithms of its family.
        if let Some(pem) = keys.pem.as_ref().filter(|pem| pem.family() == family) {
            return Ok(Key::Configured(pem));
        }
        match &keys.jwks_uri {
            Some(uri) => self.jwks.key(uri, header.kid.as_deref(), header.alg).await.map(Key::Published),
            None => Err(invalid("the IdP has no key for the token's algorithm")),
        }
    }

    /// Signature, algorithm, issuer, audience and expiry, against one IdP's keys.
    async fn check_signature(&self, token: &str, header: &Header, keys: &TenantKeys) -> Result<(), AuthError> {
        let validation = keys.validation(header.alg).ok_or_else(|| invalid("algorithm not allowed for this IdP"))?;
        let key = self.key(keys, header).await?;
        #[cfg(test)]
        self.signature_checks.fetch_add(1, Ordering::Relaxed);
        decode::<IgnoredAny>(token, key.as_ref(), validation).map_err(|e| from_jwt_error(&e))?;
        Ok(())
    }

    /// Everything `verify` checks, on a token not found among the verified ones.
    async fn verify_uncached(
        &self,
        token: &str,
        tenant_hint: Option<&str>,
        prepared: &PreparedConfig,
    ) -> Result<(Caller, Claims), AuthError> {
        // `alg: none` (and any algorithm jsonwebtoken does not know) fails right here.
        let header = decode_header(token).map_err(|_| invalid("malformed token header or unsupported algorithm"))?;
        // Read unverified only to find whose key must verify it.
        let claims: Claims = dangerous::insecure_decode_claims(token).map_err(|_| invalid("malformed token claims"))?;

        if let Some(provider) = prepared.provider_for(&claims, tenant_hint) {
            self.check_signature(token, &header, prepared.provider_keys(provider)?).await?;
            let roles = roles(claim(&claims, &provider.roles_claim));
            let is_admin = roles.contains(&provider.admin_role);
            let admin = ProviderAdmin { subject: subject(&claims)?, roles, is_admin, request_id: None };
            return Ok((Caller::Provider(admin), claims));
        }
        let tenant = prepared.select(&claims, tenant_hint)?;
        self.check_signature(token, &header, prepared.keys(tenant)?).await?;
        let principal = Principal {
            tenant_id: tenant.id.clone(),
            subject: subject(&claims)?,
            roles: roles(claim(&claims, &tenant.roles_claim)),
            vendor_id: vendor(&claims, tenant.vendor_claim.as_deref())?,
            request_id: None,
        };
        Ok((Caller::Tenant(principal), claims))
    }
}

/// Only read after the signature verified: the claims are then exactly what the IdP signed.
fn subject(claims: &Claims) -> Result<String, AuthError> {
    claims
        .get("sub")
        .and_then(|sub| sub.as_str())
        .filter(|sub| !sub.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| invalid("missing required claim sub"))
}

/// The vendor the token scopes its caller to. A claim that is present but names no valid vendor
/// refuses the token: reading it as absent would widen that caller's view to whole orders.
fn vendor(claims: &Claims, vendor_claim: Option<&str>) -> Result<Option<VendorId>, AuthError> {
    let Some(value) = vendor_claim.and_then(|name| claim(claims, name)) else { return Ok(None) };
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(id) => {
            VendorId::new(id).map(Some).map_err(|_| invalid("the vendor claim is not a valid vendor id"))
        }
        _ => Err(invalid("the vendor claim is not a string")),
    }
}

enum Key<'k> {
    Configured(&'k DecodingKey),
    Published(Arc<DecodingKey>),
}

impl AsRef<DecodingKey> for Key<'_> {
    fn as_ref(&self) -> &DecodingKey {
        match self {
            Key::Configured(key) => key,
            Key::Published(key) => key,
        }
    }
}

#[async_trait]
impl TokenVerifier for JwtVerifier {
    async fn verify(&self, token: &str, tenant_hint: Option<&str>) -> Result<Caller, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(invalid("token too large"));
        }
        // Taken first: an entry is served only under the config it was verified against, and a
        // token verified now is stored under this config even if it is replaced meanwhile.
        let prepared = self.prepared();
        let key = TokenKey::new(token, tenant_hint);
        if let Some(caller) = self.verified.get(&key, prepared.generation()) {
            return Ok(caller);
        }
        let (caller, claims) = self.verify_uncached(token, tenant_hint, &prepared).await?;
        // jsonwebtoken has just required `exp` to be an integer; anything else is simply not cached.
        if let Some(exp) = claims.get("exp").and_then(|exp| exp.as_u64()) {
            self.verified.insert(key, &caller, exp, prepared.generation());
        }
        Ok(caller)
    }
}
