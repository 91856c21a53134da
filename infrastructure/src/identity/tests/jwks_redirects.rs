//! A JWKS endpoint that redirects is a failed fetch: keys come only from the configured URI.

use std::sync::Arc;

use application::ports::AuthError;

use super::jwks_server::JwksServer;
use super::support::*;
use crate::config::ConfigCatalog;
use crate::identity::{JwtVerifier, install_crypto_provider};

fn unavailable_reason(result: Result<application::Principal, AuthError>) -> String {
    match result {
        Err(AuthError::Unavailable(reason)) => reason,
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_redirecting_jwks_endpoint_is_refused_and_its_target_never_requested() {
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await;
    let verifier = verifier(&server.redirect_url);

    let reason = unavailable_reason(verify(&verifier, &signed_a(&claims_a()), None).await);

    assert!(reason.contains("302") && reason.contains("redirect"), "{reason}");
    assert_eq!(server.redirects(), 1);
    assert_eq!(server.fetches(), 0, "the redirect target was requested");
}

#[tokio::test]
async fn keys_reached_through_a_redirect_are_refused_even_by_a_client_that_follows_it() {
    install_crypto_provider();
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await;
    let catalog = Arc::new(ConfigCatalog::new(test_config(&server.redirect_url)));
    // Not built by `http_client`: follows redirects, as reqwest does by default.
    let verifier = JwtVerifier::with_jwks_settings(catalog, reqwest::Client::new(), fast_jwks());

    let reason = unavailable_reason(verify(&verifier, &signed_a(&claims_a()), None).await);

    assert!(reason.contains("redirected"), "{reason}");
}
