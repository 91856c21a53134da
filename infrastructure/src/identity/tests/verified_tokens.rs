//! The verified-token cache: a reused token is verified once, and an entry dies with the token's
//! `exp`, with any new config version, and never answers for another tenant hint.

use std::sync::Arc;
use std::time::Duration;

use application::Caller;
use application::ports::{AuthError, ConfigKind, ConfigSnapshot, ConfigVersion, TokenVerifier};
use jsonwebtoken::{Algorithm, EncodingKey, get_current_timestamp};
use serde_json::json;

use super::clock::FakeClock;
use super::jwks_server::JwksServer;
use super::support::*;
use crate::config::{ConfigCatalog, SaasConfig, split};
use crate::identity::verified::VerifiedTokens;
use crate::identity::{JwtVerifier, install_crypto_provider};

async fn tenant_a_server() -> JwksServer {
    JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await
}

fn signed_dev(sub: &str) -> String {
    let claims = json!({
        "iss": "dev-issuer", "aud": "dev-aud", "sub": sub, "exp": get_current_timestamp() + 60, "tenant": "dev"
    });
    sign(Algorithm::HS256, &EncodingKey::from_secret(DEV_SECRET.as_bytes()), None, &claims)
}

/// Every document of `config` at `version`, as the config store hands them out at `revision`.
fn stored(config: &SaasConfig, version: i64, revision: i64) -> ConfigSnapshot {
    let documents = split(config)
        .into_iter()
        .map(|d| ConfigVersion {
            kind: d.kind,
            key: d.key,
            version,
            document: d.document,
            changed_by: "test".to_owned(),
            changed_at: chrono::Utc::now(),
            summary: String::new(),
            revision,
        })
        .collect();
    ConfigSnapshot { documents, revision }
}

#[tokio::test]
async fn a_reused_token_is_verified_once() {
    let server = tenant_a_server().await;
    let verifier = verifier(&server.url);
    let token = signed_a(&claims_a());

    let first = verify(&verifier, &token, None).await.expect("valid token");
    let second = verify(&verifier, &token, None).await.expect("served from the cache");

    assert_eq!(second, first);
    assert_eq!(verifier.signature_checks(), 1, "the second call checked no signature");
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn an_entry_is_not_served_once_the_token_expires() {
    let server = tenant_a_server().await;
    let clock = FakeClock::new();
    install_crypto_provider();
    let catalog = Arc::new(ConfigCatalog::new(test_config(&server.url)));
    let verifier = JwtVerifier::with_jwks_clock(catalog, client(), fast_jwks(), clock.as_now());
    let mut claims = claims_a();
    claims["exp"] = json!(get_current_timestamp() + 120);
    let token = signed_a(&claims);
    verify(&verifier, &token, None).await.expect("valid token");
    verify(&verifier, &token, None).await.expect("cached");
    assert_eq!(verifier.signature_checks(), 1);

    clock.advance(Duration::from_secs(121));
    // jsonwebtoken reads the real clock, which has not reached exp: the token verifies again,
    // which shows the expired entry was not served.
    verify(&verifier, &token, None).await.expect("verified again");

    assert_eq!(verifier.signature_checks(), 2);
}

#[tokio::test]
async fn a_token_past_exp_but_within_the_leeway_is_never_cached() {
    let server = tenant_a_server().await;
    let verifier = verifier(&server.url);
    let mut claims = claims_a();
    claims["exp"] = json!(get_current_timestamp() - 5);
    let token = signed_a(&claims);

    verify(&verifier, &token, None).await.expect("within the verifier's leeway");
    verify(&verifier, &token, None).await.expect("within the verifier's leeway");

    assert_eq!(verifier.signature_checks(), 2);
    assert_eq!(verifier.verified_tokens().len(), 0);
}

#[tokio::test]
async fn a_verification_is_trusted_for_one_key_refresh_interval_at_most() {
    let server = tenant_a_server().await;
    let clock = FakeClock::new();
    install_crypto_provider();
    let catalog = Arc::new(ConfigCatalog::new(test_config(&server.url)));
    let verifier = JwtVerifier::with_jwks_clock(catalog, client(), fast_jwks(), clock.as_now());
    let mut claims = claims_a();
    claims["exp"] = json!(get_current_timestamp() + 3600);
    let token = signed_a(&claims);
    verify(&verifier, &token, None).await.expect("valid token");

    clock.advance(fast_jwks().refresh_after + Duration::from_secs(1));
    verify(&verifier, &token, None).await.expect("verified again");

    assert_eq!(verifier.signature_checks(), 2, "a withdrawn key must not live on in the cache");
}

#[tokio::test]
async fn a_new_config_version_verifies_again() {
    let server = tenant_a_server().await;
    let (verifier, catalog) = verifier_with(test_config(&server.url), fast_jwks());
    let token = signed_a(&claims_a());
    verify(&verifier, &token, None).await.expect("valid token");

    catalog.replace(test_config(&server.url));
    verify(&verifier, &token, None).await.expect("valid under the new version");
    verify(&verifier, &token, None).await.expect("cached under the new version");

    assert_eq!(verifier.signature_checks(), 2, "verified once per config version");
}

#[tokio::test]
async fn a_token_the_new_config_refuses_is_refused_though_cached() {
    let server = tenant_a_server().await;
    let (verifier, catalog) = verifier_with(test_config(&server.url), fast_jwks());
    let token = signed_a(&claims_a());
    verify(&verifier, &token, None).await.expect("valid token");

    let mut moved = test_config(&server.url);
    moved.tenants.get_mut("tenant_a").expect("tenant_a").idp.issuer = Some("https://idp.elsewhere.example".to_owned());
    catalog.replace(moved);

    assert_invalid(verify(&verifier, &token, None).await, &token, "unknown issuer");
}

#[tokio::test]
async fn a_published_version_of_the_tenant_document_invalidates_its_tokens() {
    install_crypto_provider();
    let server = tenant_a_server().await;
    let config = test_config(&server.url);
    let catalog = Arc::new(ConfigCatalog::from_store(&stored(&config, 1, 1)));
    let verifier = JwtVerifier::with_jwks_settings(Arc::clone(&catalog), client(), fast_jwks());
    let token = signed_a(&claims_a());
    verify(&verifier, &token, None).await.expect("valid token");
    verify(&verifier, &token, None).await.expect("cached");

    let mut edited = config.clone();
    edited.tenants.get_mut("tenant_a").expect("tenant_a").idp.audience = Some("oms-a-v2".to_owned());
    assert!(catalog.install(&stored(&edited, 2, 2)));
    assert_eq!(catalog.version_of(ConfigKind::Tenant, "tenant_a"), 2);

    assert_invalid(verify(&verifier, &token, None).await, &token, "wrong audience");
    assert_eq!(verifier.signature_checks(), 2);
}

#[tokio::test]
async fn each_tenant_hint_is_cached_on_its_own() {
    let verifier = verifier("http://127.0.0.1:9/unused");
    let token = sign(Algorithm::RS256, &rsa(PROVIDER_KEY), None, &claims_shared(json!(["shared_1", "shared_2"])));
    let tenant = |result: Result<application::Principal, AuthError>| result.expect("valid").tenant_id;

    assert_eq!(tenant(verify(&verifier, &token, Some("shared_1")).await).as_str(), "shared_1");
    assert_eq!(tenant(verify(&verifier, &token, Some("shared_2")).await).as_str(), "shared_2");
    assert_eq!(verifier.signature_checks(), 2, "another hint is another entry");
    assert_eq!(tenant(verify(&verifier, &token, Some("shared_1")).await).as_str(), "shared_1");
    assert_eq!(tenant(verify(&verifier, &token, Some("shared_2")).await).as_str(), "shared_2");
    assert_eq!(verifier.signature_checks(), 2);

    // Without a hint the token is still ambiguous, and a hint outside its claim still refused.
    assert_eq!(verify(&verifier, &token, None).await, Err(AuthError::AmbiguousTenant));
    assert_invalid(verify(&verifier, &token, Some("tenant_a")).await, &token, "X-Tenant-Id");
}

#[tokio::test]
async fn a_cached_token_is_still_refused_under_a_hint_it_does_not_name() {
    let server = tenant_a_server().await;
    let verifier = verifier(&server.url);
    let token = signed_a(&claims_a());
    verify(&verifier, &token, None).await.expect("valid token");

    assert_invalid(verify(&verifier, &token, Some("tenant_b")).await, &token, "X-Tenant-Id");
    let caller = verifier.verify(&token, Some("tenant_a")).await.expect("its own tenant");
    assert!(matches!(caller, Caller::Tenant(p) if p.tenant_id.as_str() == "tenant_a"));
}

#[tokio::test]
async fn refused_tokens_are_not_cached() {
    let server = tenant_a_server().await;
    let verifier = verifier(&server.url);
    let mut expired = claims_a();
    expired["exp"] = json!(get_current_timestamp() - 3600);

    for token in [signed_a(&expired), sign(Algorithm::RS256, &rsa(ROGUE_KEY), Some(TENANT_A_KID), &claims_a())] {
        for _ in 0..2 {
            assert!(verify(&verifier, &token, None).await.is_err());
        }
    }

    assert_eq!(verifier.signature_checks(), 4, "each refusal verified afresh");
    assert_eq!(verifier.verified_tokens().len(), 0);
}

#[tokio::test]
async fn the_cache_stays_bounded_with_many_distinct_tokens() {
    let small = VerifiedTokens::new(64, Duration::from_secs(300));
    let capacity = small.capacity();
    assert!(capacity <= 64, "capacity {capacity}");
    let verifier = verifier("http://127.0.0.1:9/unused").with_verified_tokens(small);

    for i in 0..1_000 {
        verify(&verifier, &signed_dev(&format!("user-{i}")), None).await.expect("valid token");
        assert!(verifier.verified_tokens().len() <= capacity, "after {} tokens", i + 1);
    }

    // Still a cache: the token just verified is served from it.
    let token = signed_dev("last");
    verify(&verifier, &token, None).await.expect("valid token");
    verify(&verifier, &token, None).await.expect("cached");
    assert_eq!(verifier.signature_checks(), 1_001);
}
