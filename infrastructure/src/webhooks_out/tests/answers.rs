//! What an attempt records of the receiver's answer, or of its silence.

use std::time::Duration;

use application::ports::{AttemptFailure, WebhookTransport};
use axum::http::{StatusCode, header};
use chrono::Utc;

use super::receiver::{Answer, Receiver};
use super::support::*;
use crate::webhooks_out::EXCERPT_BYTES;

#[tokio::test]
async fn an_error_status_is_a_status_failure_with_the_body_excerpt() {
    let receiver =
        Receiver::start(Answer::status(StatusCode::INTERNAL_SERVER_ERROR).with_body("database unavailable")).await;

    let outcome = transport_allowing_private().send(&message(receiver.url("/hook"))).await;

    assert!(!outcome.succeeded());
    assert_eq!(outcome.status, Some(500));
    assert_eq!(outcome.failure, Some(AttemptFailure::Status(500)));
    assert_eq!(outcome.response_excerpt, "database unavailable");
}

#[tokio::test]
async fn a_long_answer_is_cut_to_one_kibibyte() {
    let long_body = "0123456789abcdef".repeat(3 * 1024 / 16);
    let receiver = Receiver::start(Answer::status(StatusCode::OK).with_body(long_body.clone())).await;

    let outcome = transport_allowing_private().send(&message(receiver.url("/hook"))).await;

    assert!(outcome.succeeded(), "{outcome:?}");
    assert_eq!(outcome.response_excerpt.len(), EXCERPT_BYTES);
    assert_eq!(outcome.response_excerpt, long_body[..EXCERPT_BYTES]);
}

#[tokio::test]
async fn retry_after_in_seconds_is_recorded() {
    let receiver =
        Receiver::start(Answer::status(StatusCode::SERVICE_UNAVAILABLE).with_header(header::RETRY_AFTER, "120")).await;

    let outcome = transport_allowing_private().send(&message(receiver.url("/hook"))).await;

    assert_eq!(outcome.failure, Some(AttemptFailure::Status(503)));
    assert_eq!(outcome.retry_after, Some(Duration::from_secs(120)));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_recorded_as_the_wait_until_then() {
    let in_an_hour = (Utc::now() + chrono::Duration::hours(1)).format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let receiver =
        Receiver::start(Answer::status(StatusCode::TOO_MANY_REQUESTS).with_header(header::RETRY_AFTER, in_an_hour))
            .await;

    let outcome = transport_allowing_private().send(&message(receiver.url("/hook"))).await;

    assert_eq!(outcome.failure, Some(AttemptFailure::Status(429)));
    let wait = outcome.retry_after.expect("Retry-After parsed");
    // The date has whole seconds and the clock moved on a little since it was written.
    assert!((Duration::from_secs(3000)..=Duration::from_secs(3600)).contains(&wait), "{wait:?}");
}

#[tokio::test]
async fn a_receiver_slower_than_the_timeout_is_a_timeout() {
    let receiver = Receiver::start(Answer::status(StatusCode::OK).after(Duration::from_secs(60))).await;
    let transport = transport_allowing_private_with_timeout(Duration::from_millis(300));

    let outcome = transport.send(&message(receiver.url("/hook"))).await;

    assert_eq!(outcome.failure, Some(AttemptFailure::Timeout));
    assert_eq!(outcome.status, None);
    assert_eq!(receiver.received().len(), 1, "the request did arrive; the answer did not");
}
