use application::ports::AuthError;
use jsonwebtoken::{Algorithm, EncodingKey, get_current_timestamp};
use serde_json::json;

use super::jwks_server::JwksServer;
use super::support::*;

async fn server_and_verifier() -> (JwksServer, crate::identity::JwtVerifier) {
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await;
    let verifier = verifier(&server.url);
    (server, verifier)
}

#[tokio::test]
async fn expired_token_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let mut claims = claims_a();
    claims["exp"] = json!(get_current_timestamp() - 120);
    let token = signed_a(&claims);

    assert_invalid(verify(&verifier, &token, None).await, &token, "expired");
}

#[tokio::test]
async fn token_not_yet_valid_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let mut claims = claims_a();
    claims["nbf"] = json!(get_current_timestamp() + 600);
    let token = signed_a(&claims);

    assert_invalid(verify(&verifier, &token, None).await, &token, "not valid yet");
}

#[tokio::test]
async fn wrong_audience_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let mut claims = claims_a();
    claims["aud"] = json!("some-other-app");
    let token = signed_a(&claims);

    assert_invalid(verify(&verifier, &token, None).await, &token, "audience");
}

#[tokio::test]
async fn missing_audience_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let mut claims = claims_a();
    claims.as_object_mut().unwrap().remove("aud");
    let token = signed_a(&claims);

    assert_invalid(verify(&verifier, &token, None).await, &token, "aud");
}

#[tokio::test]
async fn unknown_issuer_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let mut claims = claims_a();
    claims["iss"] = json!("https://idp.attacker.example");
    let token = signed_a(&claims);

    assert_invalid(verify(&verifier, &token, None).await, &token, "unknown issuer");
}

#[tokio::test]
async fn missing_exp_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let mut claims = claims_a();
    claims.as_object_mut().unwrap().remove("exp");
    let token = signed_a(&claims);

    assert_invalid(verify(&verifier, &token, None).await, &token, "exp");
}

#[tokio::test]
async fn missing_sub_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let mut claims = claims_a();
    claims.as_object_mut().unwrap().remove("sub");
    let token = signed_a(&claims);

    assert_invalid(verify(&verifier, &token, None).await, &token, "sub");
}

#[tokio::test]
async fn token_signed_by_a_rogue_key_under_the_tenants_kid_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let token = sign(Algorithm::RS256, &rsa(ROGUE_KEY), Some(TENANT_A_KID), &claims_a());

    assert_invalid(verify(&verifier, &token, None).await, &token, "bad signature");
}

#[tokio::test]
async fn alg_none_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    for alg in ["none", "None", "NONE"] {
        let token = unsigned(&json!({"alg": alg, "typ": "JWT", "kid": TENANT_A_KID}), &claims_a());
        assert_invalid(verify(&verifier, &token, None).await, &token, "unsupported algorithm");
    }
    let pem_tenant = unsigned(&json!({"alg": "none"}), &claims_b());
    assert_invalid(verify(&verifier, &pem_tenant, None).await, &pem_tenant, "unsupported algorithm");
}

#[tokio::test]
async fn hs256_signed_with_the_tenants_public_key_is_refused() {
    let (server, verifier) = server_and_verifier().await;
    // The classic confusion: the public key's bytes used as an HMAC secret.
    let confused = EncodingKey::from_secret(TENANT_A_PUB.as_bytes());
    let token = sign(Algorithm::HS256, &confused, Some(TENANT_A_KID), &claims_a());
    assert_invalid(verify(&verifier, &token, None).await, &token, "algorithm not allowed");

    let confused_b = EncodingKey::from_secret(TENANT_B_PUB.as_bytes());
    let token_b = sign(Algorithm::HS256, &confused_b, None, &claims_b());
    assert_invalid(verify(&verifier, &token_b, None).await, &token_b, "algorithm not allowed");
    assert_eq!(server.fetches(), 0, "refused before any key was looked up");
}

#[tokio::test]
async fn algorithm_outside_the_idps_list_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    // A genuine signature by the tenant's own key, but with an algorithm its IdP does not use.
    let token = sign(Algorithm::PS256, &rsa(TENANT_A_KEY), Some(TENANT_A_KID), &claims_a());

    assert_invalid(verify(&verifier, &token, None).await, &token, "algorithm not allowed");
}

#[tokio::test]
async fn garbage_is_refused_and_empty_is_missing() {
    let (_server, verifier) = server_and_verifier().await;
    for token in ["abc", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30.sig"] {
        assert!(matches!(verify(&verifier, token, None).await, Err(AuthError::Invalid(_))), "{token}");
    }
    assert_eq!(verify(&verifier, "", None).await, Err(AuthError::Missing));
    let huge = "a".repeat(20_000);
    assert_invalid(verify(&verifier, &huge, None).await, &huge, "too large");
}

#[tokio::test]
async fn hs256_listed_without_a_secret_never_falls_back_to_the_public_key() {
    let document = json!({
        "plans": {"p": {}},
        "tenants": {"t": {"plan": "p", "idp": {"issuer": "https://idp.t", "audience": "oms",
            "algorithms": ["RS256", "HS256"], "public_key_pem": TENANT_A_PUB}}}
    });
    let config = crate::config::SaasConfig::from_json_str(&document.to_string()).unwrap();
    assert!(!config.check().is_empty(), "check flags this config");
    let (verifier, _) = verifier_with(config, fast_jwks());
    let now = get_current_timestamp();
    let claims = json!({"iss": "https://idp.t", "aud": "oms", "sub": "x", "exp": now + 60, "tenant": "t"});
    let token = sign(Algorithm::HS256, &EncodingKey::from_secret(TENANT_A_PUB.as_bytes()), None, &claims);

    assert_invalid(verify(&verifier, &token, None).await, &token, "algorithm not allowed");
}
