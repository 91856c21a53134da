use std::sync::Arc;

use application::ports::EventBus;

use super::fixtures::{RecordingListener, event, events, ids};
use super::harness::{TestStreams, eventually, shutdown_signal};

#[tokio::test]
async fn every_instance_observes_every_instance_s_events_from_when_it_started() {
    let streams = TestStreams::new().await;
    let (first_bus, second_bus) = (streams.bus().await, streams.bus().await);
    first_bus.publish(&[event("order-0", 1)]).await.expect("publish before the feeds start");

    let (first, second) = (Arc::new(RecordingListener::default()), Arc::new(RecordingListener::default()));
    let (stop_first, first_shutdown) = shutdown_signal();
    let (stop_second, second_shutdown) = shutdown_signal();
    let first_running = first_bus.spawn_live_feed(first.clone(), first_shutdown).await;
    let second_running = second_bus.spawn_live_feed(second.clone(), second_shutdown).await;

    let from_first = events("order-1", 1..=3);
    let from_second = events("order-2", 1..=2);
    first_bus.publish(&from_first).await.expect("publish");
    second_bus.publish(&from_second).await.expect("publish");
    let expected = ids(&[from_first, from_second].concat());

    for listener in [&first, &second] {
        eventually("the feed observed both instances' events", || async {
            listener.observed().len() >= expected.len()
        })
        .await;
        assert_eq!(ids(&listener.observed()), expected, "in stream order, nothing from before the start");
    }

    stop_first.send(()).expect("the loop still runs");
    stop_second.send(()).expect("the loop still runs");
    first_running.await.expect("the loop ends without panicking");
    second_running.await.expect("the loop ends without panicking");
    streams.finish().await;
}
