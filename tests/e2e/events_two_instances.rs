//! Two instances on one database and one Redis (issue 10's acceptance): the consumer group
//! shares the webhook fan-out between them and the deliveries are unique per event, so each
//! `order.created` reaches the tenant's receiver exactly once, whichever instance took the order.

use std::{collections::HashSet, time::Duration};

use crate::support::{
    TestApp,
    events::{
        aggregate_id, arrivals_by_id, delete_streams, on_redis, order_created, point_webhook, require_redis,
        test_redis_url,
    },
    line,
    receiver::Receiver,
};

const ORDERS: usize = 30;
/// Far above what delivery takes; only a broken delivery waits this long.
const PATIENCE: Duration = Duration::from_secs(20);
/// After the last expected arrival: a duplicate (a second fan-out, a second attempt) would be
/// made by then, both instances poll their work every second.
const DUPLICATE_WATCH: Duration = Duration::from_secs(3);

#[tokio::test]
async fn each_order_created_through_either_instance_is_delivered_exactly_once() {
    let redis_url = test_redis_url();
    require_redis(&redis_url).await;
    let settings = on_redis(&redis_url);
    let first = TestApp::spawn_events(settings.clone()).await;
    let second = first.second_instance().await;
    let receiver = Receiver::start().await;
    let token = first.token_a("alice");
    // Orders follow at once: the second instance has not polled the config yet, and must still
    // fan out and send the events that occurred after the change.
    point_webhook(&first, &token, &receiver.url(), &["order.created"]).await;

    let mut created = HashSet::new();
    for i in 0..ORDERS {
        let instance = if i % 2 == 0 { &first } else { &second };
        let order = instance.create_order(&token, &format!("TWO-{i}"), vec![line("SKU-1", 1, "5.00")]).await;
        created.insert(order["id"].as_str().expect("order id").to_owned());
    }

    let arrived = receiver.wait_for(ORDERS, PATIENCE, order_created).await;
    assert_eq!(arrived.len(), ORDERS, "only {} of {ORDERS} order.created arrived", arrived.len());
    tokio::time::sleep(DUPLICATE_WATCH).await;
    let received: Vec<_> = receiver.received().into_iter().filter(order_created).collect();
    let duplicates: Vec<_> = arrivals_by_id(&received).into_iter().filter(|(_, n)| *n > 1).collect();
    assert!(duplicates.is_empty(), "delivered more than once (webhook-id, times): {duplicates:?}");
    let delivered: HashSet<String> = received.iter().map(aggregate_id).collect();
    assert_eq!(delivered, created, "every order created, and only those, is delivered");
    delete_streams(&redis_url, &settings).await;
}
