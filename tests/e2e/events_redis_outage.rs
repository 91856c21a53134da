//! Redis stopped mid-run (issue 10's acceptance): orders are still taken (their events wait in
//! the outbox), `/readyz` says the event bus is unreachable, and once a Redis answers again on
//! the same address (a fresh one: without persistence it lost the stream and the consumer group)
//! the events of the outage are delivered.

use std::{collections::HashSet, time::Duration};

use serde_json::json;

use crate::support::{
    TestApp,
    events::{OwnRedis, aggregate_id, on_redis, order_created, point_webhook, readyz},
    line,
    receiver::Receiver,
};

/// Far above what delivery takes. After an outage the relay and the consumer retry on capped
/// backoffs (the relay's doubles from 100 ms; the outage here lasts a few seconds), so
/// allow for one more wait of each.
const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn orders_taken_while_redis_is_down_are_delivered_once_it_is_back() {
    let redis = OwnRedis::start().await;
    let port = redis.port;
    let app = TestApp::spawn_events(on_redis(&redis.url())).await;
    let receiver = Receiver::start().await;
    let token = app.token_a("alice");
    point_webhook(&app, &token, &receiver.url(), &["order.created"]).await;

    let mut before = HashSet::new();
    for i in 0..3 {
        let order = app.create_order(&token, &format!("UP-{i}"), vec![line("SKU-1", 1, "5.00")]).await;
        before.insert(order["id"].as_str().expect("order id").to_owned());
    }
    let arrived = receiver.wait_for(before.len(), PATIENCE, order_created).await;
    assert_eq!(arrived.iter().map(aggregate_id).collect::<HashSet<_>>(), before, "delivered before the outage");
    assert_eq!(readyz(&app).await.0, 200, "ready while Redis answers");

    redis.kill().await;
    let mut during = HashSet::new();
    for i in 0..5 {
        // `create_order` asserts the order was taken.
        let order = app.create_order(&token, &format!("DOWN-{i}"), vec![line("SKU-1", 1, "5.00")]).await;
        during.insert(order["id"].as_str().expect("order id").to_owned());
    }
    let (status, body) = readyz(&app).await;
    assert_eq!(status, 503, "not ready while Redis is down: {body}");
    assert_eq!(body["events"], "unreachable", "{body}");
    assert_eq!(body["database"], "ok", "{body}");
    let nothing_new = receiver.received().into_iter().filter(|r| during.contains(&aggregate_id(r))).count();
    assert_eq!(nothing_new, 0, "nothing of the outage can have been delivered yet");

    let _redis = OwnRedis::start_on(port).await;
    let all = before.len() + during.len();
    let arrived = receiver.wait_for(all, PATIENCE, order_created).await;
    let delivered: HashSet<String> = arrived.iter().map(aggregate_id).collect();
    let missing: Vec<&String> = during.difference(&delivered).collect();
    assert!(missing.is_empty(), "orders of the outage never delivered: {missing:?}");
    let (status, body) = readyz(&app).await;
    assert_eq!((status, &body["events"]), (200, &json!("ok")), "ready again: {body}");
}

/// The window a Redis without persistence leaves: events the relay published (so marked
/// published in the outbox) that no consumer had read yet when Redis went away. Here the
/// consumer group is kept from reading (an ACL takes `XREADGROUP` from the default user) while
/// orders are taken, so their events are certainly in the stream and nowhere else when Redis is
/// killed; the instance must notice the loss when it finds its group gone and publish them again.
#[tokio::test]
async fn events_published_but_not_yet_consumed_when_redis_restarts_empty_are_delivered() {
    let redis = OwnRedis::start().await;
    let port = redis.port;
    let settings = on_redis(&redis.url());
    let stream = settings.redis_stream.clone().expect("stream");
    let app = TestApp::spawn_events(settings).await;
    let receiver = Receiver::start().await;
    let token = app.token_a("alice");
    point_webhook(&app, &token, &receiver.url(), &["order.created"]).await;
    app.create_order(&token, "READ-0", vec![line("SKU-1", 1, "5.00")]).await;
    assert_eq!(receiver.wait_for(1, PATIENCE, order_created).await.len(), 1, "delivered while all is well");

    redis.command(&["ACL", "SETUSER", "default", "-xreadgroup"]).await;
    let mut unread = HashSet::new();
    for i in 0..3 {
        let order = app.create_order(&token, &format!("UNREAD-{i}"), vec![line("SKU-1", 1, "5.00")]).await;
        unread.insert(order["id"].as_str().expect("order id").to_owned());
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let published: HashSet<String> = redis.aggregates_in(&stream, "order.created").await.into_iter().collect();
        if unread.is_subset(&published) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the relay never published the orders");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    redis.kill().await;
    let _redis = OwnRedis::start_on(port).await;

    let arrived = receiver.wait_for(1 + unread.len(), PATIENCE, order_created).await;
    let delivered: HashSet<String> = arrived.iter().map(aggregate_id).collect();
    let missing: Vec<&String> = unread.difference(&delivered).collect();
    assert!(missing.is_empty(), "published into the lost stream and never delivered: {missing:?}");
}
