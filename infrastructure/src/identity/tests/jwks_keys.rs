use std::time::Duration;

use application::ports::AuthError;
use jsonwebtoken::Algorithm;

use super::jwks_server::{JwksServer, dead_url};
use super::support::*;
use crate::identity::JwksSettings;

#[tokio::test]
async fn rotated_key_verifies_after_a_refetch() {
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await;
    let verifier = verifier(&server.url);
    verify(&verifier, &signed_a(&claims_a()), None).await.expect("first key");

    // The IdP rotates: it now signs with a new key under a new kid.
    server.publish(jwks(&[jwk(PROVIDER_JWK, "tenant_a_rsa-2"), jwk(TENANT_A_JWK, TENANT_A_KID)]));
    tokio::time::sleep(fast_jwks().min_refetch_interval).await;
    let rotated = sign(Algorithm::RS256, &rsa(PROVIDER_KEY), Some("tenant_a_rsa-2"), &claims_a());

    let principal = verify(&verifier, &rotated, None).await.expect("new key after refetch");

    assert_eq!(principal.tenant_id.as_str(), "tenant_a");
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn unknown_kids_cannot_make_us_hammer_the_idp() {
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await;
    let settings = JwksSettings { min_refetch_interval: Duration::from_secs(60), ..fast_jwks() };
    let (verifier, _) = verifier_with(test_config(&server.url), settings);
    verify(&verifier, &signed_a(&claims_a()), None).await.expect("first key");

    for i in 0..20 {
        let token = sign(Algorithm::RS256, &rsa(ROGUE_KEY), Some(&format!("forged-{i}")), &claims_a());
        assert_invalid(verify(&verifier, &token, None).await, &token, "unknown signing key");
    }

    assert_eq!(server.fetches(), 1, "no refetch within the minimum interval");
}

#[tokio::test]
async fn concurrent_misses_share_one_fetch() {
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await;
    let verifier = std::sync::Arc::new(verifier(&server.url));
    let token = signed_a(&claims_a());

    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (verifier, token) = (std::sync::Arc::clone(&verifier), token.clone());
            tokio::spawn(async move { verify(&verifier, &token, None).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("valid token");
    }

    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn token_without_kid_uses_the_only_key_of_the_jwks() {
    let mut lone = jwk(TENANT_A_JWK, TENANT_A_KID);
    lone.as_object_mut().unwrap().remove("kid");
    let server = JwksServer::start(jwks(&[lone])).await;
    let verifier = verifier(&server.url);
    let token = sign(Algorithm::RS256, &rsa(TENANT_A_KEY), None, &claims_a());

    verify(&verifier, &token, None).await.expect("the single key");
}

#[tokio::test]
async fn token_without_kid_is_refused_when_the_jwks_has_several_keys() {
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID), jwk(PROVIDER_JWK, "another")])).await;
    let verifier = verifier(&server.url);
    let token = sign(Algorithm::RS256, &rsa(TENANT_A_KEY), None, &claims_a());

    assert_invalid(verify(&verifier, &token, None).await, &token, "unknown signing key");
}

#[tokio::test]
async fn jwks_server_down_is_unavailable() {
    let verifier = verifier(&dead_url().await);

    let result = verify(&verifier, &signed_a(&claims_a()), None).await;

    match result {
        Err(AuthError::Unavailable(reason)) => assert!(!reason.contains(TENANT_A_KID)),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn jwks_document_that_is_no_jwk_set_is_unavailable() {
    let server = JwksServer::start(serde_json::json!({"not": "a jwk set"})).await;
    let verifier = verifier(&server.url);

    let result = verify(&verifier, &signed_a(&claims_a()), None).await;

    assert!(matches!(result, Err(AuthError::Unavailable(_))), "{result:?}");
}
