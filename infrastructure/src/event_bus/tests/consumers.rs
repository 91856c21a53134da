use std::collections::HashSet;
use std::sync::Arc;

use application::ports::EventBus;

use super::fixtures::{GROUP, RecordingConsumer, Refusal, event, events, ids};
use super::harness::{TestStreams, eventually, shutdown_signal};

#[tokio::test]
async fn a_consumer_takes_published_events_in_stream_order_and_acknowledges_them() {
    let streams = TestStreams::new().await;
    let bus = streams.bus().await;
    let consumer = Arc::new(RecordingConsumer::new(Refusal::Never));
    let (stop, shutdown) = shutdown_signal();
    let running = bus.spawn_consumer(consumer.clone(), shutdown).await;

    let published = [events("order-1", 1..=20), vec![event("order-2", 1)], events("order-1", 21..=150)];
    for batch in &published {
        bus.publish(batch).await.expect("publish");
    }
    let published = published.concat();

    eventually("the consumer took every event", || async { consumer.taken().len() >= published.len() }).await;
    assert_eq!(ids(&consumer.taken()), ids(&published), "in stream order, each once");
    eventually("nothing left pending", || async { streams.pending(GROUP).await == 0 }).await;

    stop.send(()).expect("the loop still runs");
    running.await.expect("the loop ends without panicking");
    streams.finish().await;
}

#[tokio::test]
async fn two_instances_in_one_group_see_each_event_exactly_once() {
    let streams = TestStreams::new().await;
    let (first_bus, second_bus) = (streams.bus().await, streams.bus().await);
    let first = Arc::new(RecordingConsumer::new(Refusal::Never));
    let second = Arc::new(RecordingConsumer::new(Refusal::Never));
    let (stop_first, first_shutdown) = shutdown_signal();
    let (stop_second, second_shutdown) = shutdown_signal();
    let first_running = first_bus.spawn_consumer(first.clone(), first_shutdown).await;
    let second_running = second_bus.spawn_consumer(second.clone(), second_shutdown).await;

    let mut published = Vec::new();
    for round in 0..6 {
        let batch = events(&format!("order-{round}"), 1..=10);
        // Both instances publish, as both run a relay.
        let bus = if round % 2 == 0 { &first_bus } else { &second_bus };
        bus.publish(&batch).await.expect("publish");
        published.extend(batch);
    }

    let seen = || [first.taken(), second.taken()].concat();
    eventually("the group took every event", || async { seen().len() >= published.len() }).await;
    // A moment for any duplicate to show up before counting.
    tokio::time::sleep(streams.options.claim_idle * 2).await;
    let seen = seen();
    assert_eq!(seen.len(), published.len(), "no event taken twice");
    assert_eq!(ids(&seen).into_iter().collect::<HashSet<_>>(), ids(&published).into_iter().collect());
    assert_eq!(streams.pending(GROUP).await, 0);

    stop_first.send(()).expect("the loop still runs");
    stop_second.send(()).expect("the loop still runs");
    first_running.await.expect("the loop ends without panicking");
    second_running.await.expect("the loop ends without panicking");
    streams.finish().await;
}
