//! How old a cached key set may be: refreshed in the background past `refresh_after`, refused
//! past `max_staleness`, and refetched for unknown `kid`s at most once per window.

use std::sync::Arc;
use std::time::Duration;

use application::ports::AuthError;
use axum::http::StatusCode;
use jsonwebtoken::Algorithm;

use super::clock::FakeClock;
use super::jwks_server::JwksServer;
use super::support::*;
use crate::config::ConfigCatalog;
use crate::identity::{JwksSettings, JwtVerifier, install_crypto_provider};

const REFRESH_AFTER: Duration = Duration::from_secs(5 * 60);
const MAX_STALENESS: Duration = Duration::from_secs(24 * 60 * 60);
const WINDOW: Duration = Duration::from_secs(10);

/// A hang guard for calls that must not wait on a held fetch: it turns a wait into a failure
/// instead of a stuck test, and says nothing about speed.
const HANG: Duration = Duration::from_secs(30);

fn aged_verifier(server: &JwksServer, clock: &FakeClock) -> JwtVerifier {
    install_crypto_provider();
    let settings = JwksSettings {
        refresh_after: REFRESH_AFTER,
        max_staleness: MAX_STALENESS,
        min_refetch_interval: WINDOW,
        ..fast_jwks()
    };
    let catalog = Arc::new(ConfigCatalog::new(test_config(&server.url)));
    JwtVerifier::with_jwks_clock(catalog, client(), settings, clock.as_now())
}

async fn start() -> (JwksServer, FakeClock, JwtVerifier) {
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await;
    let clock = FakeClock::new();
    let verifier = aged_verifier(&server, &clock);
    verify(&verifier, &signed_a(&claims_a()), None).await.expect("first fetch");
    assert_eq!(server.fetches(), 1);
    (server, clock, verifier)
}

fn rotated_token() -> String {
    sign(Algorithm::RS256, &rsa(PROVIDER_KEY), Some("tenant_a_rsa-2"), &claims_a())
}

#[test]
fn defaults_refresh_every_five_minutes_and_trust_a_day_at_most() {
    let defaults = JwksSettings::default();
    assert_eq!(defaults.refresh_after, REFRESH_AFTER);
    assert_eq!(defaults.max_staleness, MAX_STALENESS);
    assert_eq!(defaults.min_refetch_interval, WINDOW);
}

#[tokio::test]
async fn a_set_younger_than_the_refresh_age_is_served_without_a_fetch() {
    let (server, clock, verifier) = start().await;
    clock.advance(REFRESH_AFTER - Duration::from_secs(1));

    verify(&verifier, &signed_a(&claims_a()), None).await.expect("cached key");
    tokio::task::yield_now().await;

    assert_eq!(server.fetches(), 1);
}

#[tokio::test]
async fn a_stale_set_is_served_while_one_refresh_runs_in_the_background() {
    let (server, clock, verifier) = start().await;
    server.hold();
    clock.advance(REFRESH_AFTER + Duration::from_secs(1));

    for _ in 0..5 {
        let served = tokio::time::timeout(HANG, verify(&verifier, &signed_a(&claims_a()), None)).await;
        served.expect("served from the cache, not after the held refresh").expect("cached key");
    }
    server.wait_for_fetches(2).await;
    // Let any further refresh the five stale hits might have started reach the server.
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert_eq!(server.fetches(), 2, "one refresh for five stale hits");

    // The refresh brings the rotated key; a token signed with it waits for that refresh (which
    // holds the fetch lock) instead of making a fetch of its own.
    server.publish(jwks(&[jwk(PROVIDER_JWK, "tenant_a_rsa-2"), jwk(TENANT_A_JWK, TENANT_A_KID)]));
    server.release();
    verify(&verifier, &rotated_token(), None).await.expect("rotated key from the refresh");
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn a_failed_refresh_keeps_serving_the_cached_set_until_max_staleness() {
    let (server, clock, verifier) = start().await;
    server.fail_with(StatusCode::SERVICE_UNAVAILABLE);
    clock.advance(MAX_STALENESS - Duration::from_secs(60));

    verify(&verifier, &signed_a(&claims_a()), None).await.expect("still within max staleness");
    server.wait_for_fetches(2).await;

    clock.advance(Duration::from_secs(61));
    let result = verify(&verifier, &signed_a(&claims_a()), None).await;

    match result {
        Err(AuthError::Unavailable(reason)) => assert!(reason.contains("503"), "{reason}"),
        other => panic!("expected Unavailable past max staleness, got {other:?}"),
    }
    assert_eq!(server.fetches(), 3, "past max staleness the request fetches in the foreground");
}

#[tokio::test]
async fn past_max_staleness_fresh_keys_are_fetched_before_answering() {
    let (server, clock, verifier) = start().await;
    server.publish(jwks(&[jwk(PROVIDER_JWK, "tenant_a_rsa-2")]));
    clock.advance(MAX_STALENESS);

    // The withdrawn key is not served from the expired set: the request fetched the new set.
    let token = signed_a(&claims_a());
    assert_invalid(verify(&verifier, &token, None).await, &token, "unknown signing key");
    assert_eq!(server.fetches(), 2);
    verify(&verifier, &rotated_token(), None).await.expect("the new set's key");
}

#[tokio::test]
async fn past_max_staleness_with_the_idp_down_is_unavailable_and_the_idp_is_asked_once_per_window() {
    let (server, clock, verifier) = start().await;
    server.fail_with(StatusCode::BAD_GATEWAY);
    clock.advance(MAX_STALENESS + Duration::from_secs(1));

    for _ in 0..5 {
        let result = verify(&verifier, &signed_a(&claims_a()), None).await;
        assert!(matches!(result, Err(AuthError::Unavailable(_))), "{result:?}");
    }

    assert_eq!(server.fetches(), 2, "the down IdP is asked once per window");
}

#[tokio::test]
async fn random_kids_cause_at_most_one_fetch_per_window() {
    let (server, clock, verifier) = start().await;
    let forged = |i: usize| sign(Algorithm::RS256, &rsa(ROGUE_KEY), Some(&format!("forged-{i}")), &claims_a());

    let mut expected = 1;
    for window in 0..3 {
        clock.advance(WINDOW);
        expected += 1;
        for i in 0..20 {
            let token = forged(window * 100 + i);
            assert_invalid(verify(&verifier, &token, None).await, &token, "unknown signing key");
            if i == 10 {
                clock.advance(WINDOW / 2);
            }
        }
        assert_eq!(server.fetches(), expected, "window {window}");
    }
    // The genuine key is still served from the cache throughout.
    verify(&verifier, &signed_a(&claims_a()), None).await.expect("cached key");
    assert_eq!(server.fetches(), expected);
}
