use std::time::Duration;

use application::ports::TokenVerifier;
use jsonwebtoken::Algorithm;
use serde_json::json;

use super::jwks_server::JwksServer;
use super::support::*;
use crate::config::SaasConfig;
use crate::identity::{DevTokenIssuer, install_crypto_provider};

#[tokio::test]
async fn rs256_token_verifies_with_a_key_from_the_jwks() {
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await;
    let verifier = verifier(&server.url);

    let principal = verify(&verifier, &signed_a(&claims_a()), None).await.expect("valid token");

    assert_eq!(principal.tenant_id.as_str(), "tenant_a");
    assert_eq!(principal.subject, "user-1");
    assert_eq!(principal.roles, vec!["vendor", "offline_access"]);
    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn jwks_is_cached_between_tokens() {
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await;
    let verifier = verifier(&server.url);

    for _ in 0..5 {
        verify(&verifier, &signed_a(&claims_a()), None).await.expect("valid token");
    }

    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn es256_token_verifies_with_the_configured_pem() {
    let verifier = verifier("http://127.0.0.1:9/unused");
    let token = sign(Algorithm::ES256, &ec(TENANT_B_KEY), None, &claims_b());

    let principal = verify(&verifier, &token, None).await.expect("valid token");

    assert_eq!(principal.tenant_id.as_str(), "tenant_b");
    assert_eq!(principal.subject, "user-b");
    assert_eq!(principal.roles, vec!["tenant_admin"]);
}

#[tokio::test]
async fn dev_token_verifies_against_the_demo_config() {
    install_crypto_provider();
    let secret = "demo-secret-demo-secret-demo-secret!";
    let (verifier, _) = verifier_with(SaasConfig::demo(secret), fast_jwks());
    let issuer = DevTokenIssuer::new(secret, SaasConfig::DEMO_ISSUER, SaasConfig::DEMO_AUDIENCE);

    let token = issuer.mint("demo", "dev-user", &["tenant_admin", "vendor"], Duration::from_secs(600));
    let principal = verify(&verifier, &token, None).await.expect("dev token");

    assert_eq!(principal.tenant_id.as_str(), "demo");
    assert_eq!(principal.subject, "dev-user");
    assert_eq!(principal.roles, vec!["tenant_admin", "vendor"]);
}

#[tokio::test]
async fn dev_token_issuer_debug_hides_the_secret() {
    let issuer = DevTokenIssuer::new("super-secret-value-123", "iss", "aud");
    assert!(!format!("{issuer:?}").contains("super-secret-value-123"));
}

#[tokio::test]
async fn hs256_token_verifies_with_the_configured_secret() {
    let verifier = verifier("http://127.0.0.1:9/unused");
    let now = jsonwebtoken::get_current_timestamp();
    let claims =
        json!({"iss": "dev-issuer", "aud": "dev-aud", "sub": "me", "exp": now + 60, "tenant": ["dev"], "roles": "a b"});
    let token = sign(Algorithm::HS256, &jsonwebtoken::EncodingKey::from_secret(DEV_SECRET.as_bytes()), None, &claims);

    let principal = verify(&verifier, &token, None).await.expect("valid token");

    assert_eq!(principal.tenant_id.as_str(), "dev");
    assert_eq!(principal.roles, vec!["a", "b"], "a space-separated roles string is split");
}

#[tokio::test]
async fn replacing_the_config_drops_cached_keys() {
    let (verifier, catalog) = verifier_with(SaasConfig::demo("first-secret-first-secret-first-secret"), fast_jwks());
    let old = DevTokenIssuer::new("first-secret-first-secret-first-secret", "tenant-oms-demo", "tenant-oms");
    let token = old.mint("demo", "u", &[], Duration::from_secs(60));
    verifier.verify(&token, None).await.expect("valid under the first config");

    catalog.replace(SaasConfig::demo("second-secret-second-secret-second"));

    assert_invalid(verify(&verifier, &token, None).await, &token, "bad signature");
}

#[test]
fn installing_the_crypto_provider_twice_is_harmless() {
    install_crypto_provider();
    install_crypto_provider();
}
