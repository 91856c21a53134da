use application::ports::EventBus;

use super::fixtures::{event, events};
use super::harness::{TestStreams, fast_options};
use crate::event_bus::entry_fields::envelope_from_entry;
use crate::event_bus::{RedisBusError, RedisBusOptions, RedisEventBus};

#[tokio::test]
async fn publish_appends_one_entry_per_event_in_order() {
    let streams = TestStreams::new().await;
    let bus = streams.bus().await;
    let first = events("order-1", 1..=3);
    let second = vec![event("order-2", 1), event("order-1", 4)];

    bus.publish(&first).await.expect("publish");
    bus.publish(&second).await.expect("publish");
    bus.publish(&[]).await.expect("an empty batch is fine");

    let stored: Vec<_> = streams
        .entries(&streams.options.stream_key)
        .await
        .iter()
        .map(|entry| envelope_from_entry(entry).expect("an entry the bus wrote parses"))
        .collect();
    assert_eq!(stored, [first, second].concat());
    streams.finish().await;
}

#[tokio::test]
async fn publish_trims_the_stream_to_about_max_len() {
    let mut streams = TestStreams::new().await;
    streams.options.max_len = 10;
    let bus = streams.bus().await;
    for chunk in events("order-1", 1..=500).chunks(50) {
        bus.publish(chunk).await.expect("publish");
    }
    // Approximate trimming drops whole nodes (100 entries by default), never below max_len.
    let length = streams.entries(&streams.options.stream_key).await.len();
    assert!((10..500).contains(&length), "length {length}");
    streams.finish().await;
}

#[tokio::test]
async fn ready_answers_when_redis_does() {
    let streams = TestStreams::new().await;
    streams.bus().await.ready().await.expect("ready");
    streams.finish().await;
}

#[tokio::test]
async fn an_unreachable_redis_fails_connect_without_showing_the_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let url = format!("redis://app:s3cret-word@127.0.0.1:{port}/0");
    let error = RedisEventBus::connect(&url, fast_options("oms-test:unreachable")).await.expect_err("nothing listens");
    let text = error.to_string();
    assert!(matches!(error, RedisBusError::Unreachable { .. }), "{text}");
    assert!(!text.contains("s3cret-word"), "{text}");
    assert!(text.contains("redis://app:***@127.0.0.1"), "{text}");
}

#[tokio::test]
async fn an_invalid_url_is_refused_without_showing_the_password() {
    let error = RedisEventBus::connect("redis://app:s3cret-word@127.0.0.1:not-a-port/0", RedisBusOptions::default())
        .await
        .expect_err("no port");
    let text = error.to_string();
    assert!(matches!(error, RedisBusError::InvalidUrl { .. }), "{text}");
    assert!(!text.contains("s3cret-word"), "{text}");
}

#[tokio::test]
async fn a_tls_url_fails_cleanly_against_a_plain_redis() {
    // Builds the rustls config (the crypto provider must be chosen, not panic) and fails the
    // handshake with a Redis that speaks no TLS.
    let plain_url = super::harness::test_redis_url();
    drop(super::harness::admin_connection(&plain_url).await);
    let url = plain_url.replacen("redis://", "rediss://", 1);
    let error = RedisEventBus::connect(&url, fast_options("oms-test:tls")).await.expect_err("no TLS there");
    assert!(matches!(error, RedisBusError::Unreachable { .. }), "{error}");
}

#[tokio::test]
async fn options_that_cannot_work_are_refused() {
    let url = super::harness::test_redis_url();
    let same_keys = RedisBusOptions { dead_letter_key: "oms:events".to_owned(), ..RedisBusOptions::default() };
    let no_block = RedisBusOptions { block: std::time::Duration::ZERO, ..RedisBusOptions::default() };
    for options in [same_keys, no_block] {
        let error = RedisEventBus::connect(&url, options).await.expect_err("invalid options");
        assert!(matches!(error, RedisBusError::InvalidOptions(_)), "{error}");
    }
}
