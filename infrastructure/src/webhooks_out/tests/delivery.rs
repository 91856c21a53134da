//! A delivery reaches the receiver as Standard Webhooks describes it, and only the receiver.

use application::ports::{AttemptFailure, WebhookTransport};
use axum::http::{StatusCode, header};
use chrono::Utc;

use super::receiver::{Answer, Receiver};
use super::support::*;
use crate::webhooks_out::{DEFAULT_TOLERANCE, SignedHeaders, verify};

#[tokio::test]
async fn the_receiver_gets_a_signed_post_that_a_standard_verifier_accepts() {
    let receiver = Receiver::start(Answer::status(StatusCode::OK).with_body("ok")).await;
    let message = message(receiver.url("/hook"));

    let outcome = transport_allowing_private().send(&message).await;

    assert!(outcome.succeeded(), "{outcome:?}");
    assert_eq!((outcome.status, outcome.response_excerpt.as_str(), outcome.retry_after), (Some(200), "ok", None));
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(header("content-type"), "application/json");
    assert_eq!(header("webhook-id"), EVENT_ID);
    assert_eq!(header("webhook-timestamp"), message.timestamp.timestamp().to_string());
    assert!(header("user-agent").starts_with("tenant-oms-webhooks/"), "{}", header("user-agent"));
    assert_eq!(request.body, BODY);
    let signature = header("webhook-signature");
    assert!(signature.starts_with("v1,"), "{signature}");
    let timestamp = header("webhook-timestamp");
    let signed = SignedHeaders { id: &header("webhook-id"), timestamp: &timestamp, signature: &signature };
    verify(SECRET, &signed, request.body.as_bytes(), Utc::now(), DEFAULT_TOLERANCE).expect("signature verifies");
}

#[tokio::test]
async fn with_the_opt_in_a_name_goes_through_the_resolver_to_the_receiver() {
    let receiver = Receiver::start(Answer::status(StatusCode::NO_CONTENT)).await;

    let outcome = transport_allowing_private().send(&message(format!("http://localhost:{}/hook", receiver.port))).await;

    assert!(outcome.succeeded(), "{outcome:?}");
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn a_redirect_is_an_answer_and_is_not_followed() {
    let receiver = Receiver::start(Answer::status(StatusCode::FOUND).with_header(header::LOCATION, "/elsewhere")).await;

    let outcome = transport_allowing_private().send(&message(receiver.url("/hook"))).await;

    assert_eq!(outcome.failure, Some(AttemptFailure::Status(302)));
    let paths: Vec<String> = receiver.received().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/hook"]);
}

#[tokio::test]
async fn a_closed_port_is_a_connect_failure_whose_text_names_neither_query_nor_secret() {
    let url = format!("{}?token=query-s3cret", dead_url().await);

    let outcome = transport_allowing_private().send(&message(url)).await;

    let Some(AttemptFailure::Connect(reason)) = &outcome.failure else {
        panic!("expected a connect failure, got {outcome:?}");
    };
    assert_eq!(outcome.status, None);
    assert_eq!(&outcome.response_excerpt, reason);
    for leaked in ["query-s3cret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] {
        assert!(!reason.contains(leaked), "{reason}");
    }
}

#[tokio::test]
async fn a_malformed_secret_sends_nothing_and_is_not_shown() {
    let receiver = Receiver::start(Answer::status(StatusCode::OK)).await;
    let mut message = message(receiver.url("/hook"));
    message.secret = "whsec_not-base64-s3cret!".to_owned();

    let outcome = transport_allowing_private().send(&message).await;

    assert!(matches!(&outcome.failure, Some(AttemptFailure::Connect(reason)) if !reason.contains("s3cret")));
    assert!(receiver.received().is_empty());
}
