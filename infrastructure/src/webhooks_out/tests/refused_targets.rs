//! Without the opt-in, a non-public target is refused before any connection is made: the test
//! binds the target's port itself and finds no connection waiting on it afterwards.

use std::time::Duration;

use application::ports::{AttemptFailure, AttemptOutcome, WebhookTransport};
use tokio::net::TcpListener;

use super::support::*;

/// How long to wait for a connection that must not come. The attempt has already ended by
/// then, so a connection it made would be waiting in the listener's backlog at once.
const NO_CONNECTION_WITHIN: Duration = Duration::from_millis(300);

async fn send_to_own_listener(url_for_port: impl Fn(u16) -> String) -> (AttemptOutcome, TcpListener) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local addr").port();
    let outcome = public_only_transport().send(&message(url_for_port(port))).await;
    (outcome, listener)
}

async fn assert_never_connected(listener: &TcpListener) {
    let accepted = tokio::time::timeout(NO_CONNECTION_WITHIN, listener.accept()).await;
    assert!(accepted.is_err(), "the refused target got a connection");
}

fn refusal_reason(outcome: &AttemptOutcome) -> &str {
    match &outcome.failure {
        Some(AttemptFailure::AddressRefused(reason)) => reason,
        other => panic!("expected AddressRefused, got {other:?}"),
    }
}

#[tokio::test]
async fn a_loopback_address_in_the_url_is_refused_and_never_connected() {
    let (outcome, listener) = send_to_own_listener(|port| format!("http://127.0.0.1:{port}/hook")).await;

    assert!(refusal_reason(&outcome).contains("127.0.0.1"), "{outcome:?}");
    assert_eq!(outcome.status, None);
    assert_never_connected(&listener).await;
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_by_the_resolver_and_never_connected() {
    let (outcome, listener) = send_to_own_listener(|port| format!("http://localhost:{port}/hook")).await;

    assert!(refusal_reason(&outcome).contains("localhost"), "{outcome:?}");
    assert_never_connected(&listener).await;
}

#[tokio::test]
async fn loopback_spelled_as_ipv6_is_refused_and_never_connected() {
    let spellings: [fn(u16) -> String; 3] = [
        |port| format!("http://[::1]:{port}/hook"),
        |port| format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        |port| format!("http://0x7f.0.0.1:{port}/hook"),
    ];
    for url_for_port in spellings {
        let (outcome, listener) = send_to_own_listener(url_for_port).await;

        refusal_reason(&outcome);
        assert_never_connected(&listener).await;
    }
}

#[tokio::test]
async fn private_and_metadata_addresses_are_refused() {
    for url in ["https://10.0.0.5/hook", "http://169.254.169.254/latest/meta-data/", "https://[fd00::1]/hook"] {
        let outcome = public_only_transport().send(&message(url)).await;

        refusal_reason(&outcome);
        assert_eq!(outcome.response_excerpt, refusal_reason(&outcome));
    }
}
