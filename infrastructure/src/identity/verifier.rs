//! `TokenVerifier` for the tenants' OIDC identity providers.

use std::sync::{Arc, RwLock};

use application::ports::{AuthError, TokenVerifier};
use application::{Caller, Principal, ProviderAdmin};
use async_trait::async_trait;
use jsonwebtoken::{AlgorithmFamily, DecodingKey, Header, dangerous, decode, decode_header};
use serde::de::IgnoredAny;

use super::claims::{Claims, claim, roles};
use super::jwks::{JwksCache, JwksSettings};
use super::prepared::{PreparedConfig, TenantKeys};
use super::refusal::{from_jwt_error, invalid};
use crate::config::ConfigCatalog;

/// Far above any real IdP's token; refusing bigger ones bounds the work an anonymous caller causes.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Verifies a bearer token against the IdP of the tenant it claims (SPEC.md sections 1 and 9).
pub struct JwtVerifier {
    catalog: Arc<ConfigCatalog>,
    jwks: JwksCache,
    prepared: RwLock<Option<Arc<PreparedConfig>>>,
}

impl JwtVerifier {
    /// `http` fetches the IdPs' JWK sets: build it with [`super::http_client`], which follows no
    /// redirects (a redirect is refused either way, but a client that follows one has already
    /// sent a request wherever it pointed).
    pub fn new(catalog: Arc<ConfigCatalog>, http: reqwest::Client) -> Self {
        Self::with_jwks_settings(catalog, http, JwksSettings::default())
    }

    pub fn with_jwks_settings(catalog: Arc<ConfigCatalog>, http: reqwest::Client, settings: JwksSettings) -> Self {
        Self { catalog, jwks: JwksCache::new(http, settings), prepared: RwLock::new(None) }
    }

    /// Key-set ages measured on `now`, so tests can age a set without waiting.
    #[cfg(test)]
    pub(super) fn with_jwks_clock(
        catalog: Arc<ConfigCatalog>,
        http: reqwest::Client,
        settings: JwksSettings,
        now: super::jwks::Now,
    ) -> Self {
        Self { catalog, jwks: JwksCache::with_clock(http, settings, now), prepared: RwLock::new(None) }
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
        decode::<IgnoredAny>(token, key.as_ref(), validation).map_err(|e| from_jwt_error(&e))?;
        Ok(())
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
        // `alg: none` (and any algorithm jsonwebtoken does not know) fails right here.
        let header = decode_header(token).map_err(|_| invalid("malformed token header or unsupported algorithm"))?;
        // Read unverified only to find whose key must verify it.
        let claims: Claims = dangerous::insecure_decode_claims(token).map_err(|_| invalid("malformed token claims"))?;

        let prepared = self.prepared();
        if let Some(provider) = prepared.provider_for(&claims, tenant_hint) {
            self.check_signature(token, &header, prepared.provider_keys(provider)?).await?;
            let roles = roles(claim(&claims, &provider.roles_claim));
            let is_admin = roles.contains(&provider.admin_role);
            return Ok(Caller::Provider(ProviderAdmin {
                subject: subject(&claims)?,
                roles,
                is_admin,
                request_id: None,
            }));
        }
        let tenant = prepared.select(&claims, tenant_hint)?;
        self.check_signature(token, &header, prepared.keys(tenant)?).await?;
        Ok(Caller::Tenant(Principal {
            tenant_id: tenant.id.clone(),
            subject: subject(&claims)?,
            roles: roles(claim(&claims, &tenant.roles_claim)),
            request_id: None,
        }))
    }
}
