//! Keys, configs and token minting shared by the identity tests.

use std::sync::Arc;
use std::time::Duration;

use application::Caller;
use application::Principal;
use application::ports::{AuthError, TokenVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};

use crate::config::{ConfigCatalog, SaasConfig};
use crate::identity::{JwksSettings, JwtVerifier, http_client, install_crypto_provider};

pub const TENANT_A_KEY: &str = include_str!("../../../../tests/fixtures/tenant_a_rsa.key.pem");
pub const TENANT_A_PUB: &str = include_str!("../../../../tests/fixtures/tenant_a_rsa.pub.pem");
pub const TENANT_A_JWK: &str = include_str!("../../../../tests/fixtures/tenant_a_rsa.jwk.json");
pub const TENANT_A_KID: &str = "tenant_a_rsa-1";
pub const ROGUE_KEY: &str = include_str!("../../../../tests/fixtures/rogue_rsa.key.pem");
pub const PROVIDER_KEY: &str = include_str!("../../../../tests/fixtures/provider_rsa.key.pem");
pub const PROVIDER_PUB: &str = include_str!("../../../../tests/fixtures/provider_rsa.pub.pem");
pub const PROVIDER_JWK: &str = include_str!("../../../../tests/fixtures/provider_rsa.jwk.json");
pub const TENANT_B_KEY: &str = include_str!("../../../../tests/fixtures/tenant_b_ec.key.pem");
pub const TENANT_B_PUB: &str = include_str!("../../../../tests/fixtures/tenant_b_ec.pub.pem");

pub const ISSUER_A: &str = "https://idp.tenant-a.example/realms/a";
pub const AUDIENCE_A: &str = "oms-a";
pub const ISSUER_B: &str = "https://idp.tenant-b.example";
pub const AUDIENCE_B: &str = "oms-b";
pub const SHARED_ISSUER: &str = "https://idp.shared.example/realms/orgs";
pub const SHARED_AUDIENCE: &str = "oms-shared";
pub const DEV_SECRET: &str = "a-development-secret-of-more-than-32-bytes";

/// A JWK from the fixtures, optionally under another `kid` (a rotated key).
pub fn jwk(json: &str, kid: &str) -> Value {
    let mut jwk: Value = serde_json::from_str(json).expect("fixture JWK");
    jwk["kid"] = json!(kid);
    jwk
}

pub fn jwks(keys: &[Value]) -> Value {
    json!({ "keys": keys })
}

/// Tenants: `tenant_a` (RS256 via JWKS at `jwks_uri`, Keycloak-style claims), `tenant_b` (ES256
/// via PEM), `shared_1`/`shared_2` (one IdP for both, RS256 via PEM), `dev` (HS256).
pub fn test_config(jwks_uri: &str) -> SaasConfig {
    let permissions = json!(["order:read", "order:create"]);
    let document = json!({
        "plans": { "standard": { "permissions": permissions } },
        "tenants": {
            "tenant_a": { "plan": "standard", "status": "active", "idp": {
                "issuer": ISSUER_A, "audience": AUDIENCE_A, "algorithms": ["RS256"], "jwks_uri": jwks_uri,
                "tenant_claim": "organization", "roles_claim": "realm_access.roles" } },
            "tenant_b": { "plan": "standard", "idp": {
                "issuer": ISSUER_B, "audience": AUDIENCE_B, "algorithm": "ES256", "public_key_pem": TENANT_B_PUB } },
            "shared_1": { "plan": "standard", "idp": {
                "issuer": SHARED_ISSUER, "audience": SHARED_AUDIENCE, "algorithms": ["RS256"],
                "public_key_pem": PROVIDER_PUB, "tenant_claim": "organization" } },
            "shared_2": { "plan": "standard", "idp": {
                "issuer": SHARED_ISSUER, "audience": SHARED_AUDIENCE, "algorithms": ["RS256"],
                "public_key_pem": PROVIDER_PUB, "tenant_claim": "organization" } },
            "dev": { "plan": "standard", "idp": {
                "issuer": "dev-issuer", "audience": "dev-aud", "algorithms": ["HS256"], "hs256_secret": DEV_SECRET } }
        }
    });
    let config = SaasConfig::from_json_str(&document.to_string()).expect("test config parses");
    assert_eq!(config.check(), vec![], "test config is clean");
    config
}

/// Intervals short enough for tests that need a refetch, long enough to observe rate limiting.
pub fn fast_jwks() -> JwksSettings {
    JwksSettings {
        fetch_timeout: Duration::from_secs(2),
        min_refetch_interval: Duration::from_millis(200),
        ..JwksSettings::default()
    }
}

pub fn verifier_with(config: SaasConfig, settings: JwksSettings) -> (JwtVerifier, Arc<ConfigCatalog>) {
    install_crypto_provider();
    let catalog = Arc::new(ConfigCatalog::new(config));
    (JwtVerifier::with_jwks_settings(Arc::clone(&catalog), client(), settings), catalog)
}

/// The client production gives the verifier.
pub fn client() -> reqwest::Client {
    http_client().expect("HTTP client")
}

pub fn verifier(jwks_uri: &str) -> JwtVerifier {
    verifier_with(test_config(jwks_uri), fast_jwks()).0
}

/// Valid claims for `tenant_a`, five minutes to live; tests overwrite what they break.
pub fn claims_a() -> Value {
    let now = get_current_timestamp();
    json!({
        "iss": ISSUER_A, "aud": AUDIENCE_A, "sub": "user-1", "iat": now, "exp": now + 300,
        "organization": { "tenant_a": { "id": "8d1f" } },
        "realm_access": { "roles": ["vendor", "offline_access"] }
    })
}

pub fn claims_b() -> Value {
    let now = get_current_timestamp();
    json!({ "iss": ISSUER_B, "aud": AUDIENCE_B, "sub": "user-b", "exp": now + 300, "tenant": "tenant_b", "roles": ["tenant_admin"] })
}

pub fn claims_shared(organization: Value) -> Value {
    let now = get_current_timestamp();
    json!({ "iss": SHARED_ISSUER, "aud": SHARED_AUDIENCE, "sub": "user-s", "exp": now + 300, "organization": organization })
}

pub fn sign(alg: Algorithm, key: &EncodingKey, kid: Option<&str>, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).expect("sign test token")
}

pub fn rsa(pem: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(pem.as_bytes()).expect("RSA private key fixture")
}

pub fn ec(pem: &str) -> EncodingKey {
    EncodingKey::from_ec_pem(pem.as_bytes()).expect("EC private key fixture")
}

pub fn signed_a(claims: &Value) -> String {
    sign(Algorithm::RS256, &rsa(TENANT_A_KEY), Some(TENANT_A_KID), claims)
}

/// `base64url(header).base64url(claims).` with whatever header the attacker likes.
pub fn unsigned(header: &Value, claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", part(header), part(claims))
}

/// Verifies a token that must be a tenant's (provider tokens are tested through `verifier.verify`).
pub async fn verify(verifier: &JwtVerifier, token: &str, hint: Option<&str>) -> Result<Principal, AuthError> {
    verifier.verify(token, hint).await.map(|caller| match caller {
        Caller::Tenant(p) => p,
        Caller::Provider(a) => panic!("expected a tenant principal, got provider admin {}", a.subject),
    })
}

/// Refused as Invalid, with a reason that mentions `expected` and quotes nothing of the token.
pub fn assert_invalid(result: Result<Principal, AuthError>, token: &str, expected: &str) {
    let reason = match result {
        Err(AuthError::Invalid(reason)) => reason,
        other => panic!("expected Invalid({expected}), got {other:?}"),
    };
    assert!(reason.contains(expected), "reason {reason:?} does not mention {expected:?}");
    for part in token.split('.').filter(|p| p.len() > 8) {
        assert!(!reason.contains(part), "the reason quotes the token");
    }
}
