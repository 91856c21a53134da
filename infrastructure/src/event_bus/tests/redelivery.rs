use std::sync::Arc;

use application::ports::EventBus;

use super::fixtures::{GROUP, RecordingConsumer, Refusal, events, ids};
use super::harness::{TestStreams, eventually, shutdown_signal};

#[tokio::test]
async fn a_refused_event_is_offered_again_until_taken() {
    let streams = TestStreams::new().await;
    let bus = streams.bus().await;
    let published = events("order-1", 1..=3);
    let refused_once = published[1].id;
    let consumer = Arc::new(RecordingConsumer::new(Refusal::FirstTime([refused_once].into())));
    let (stop, shutdown) = shutdown_signal();
    let running = bus.spawn_consumer(consumer.clone(), shutdown).await;

    bus.publish(&published).await.expect("publish");

    eventually("every event taken, the refused one after a retry", || async {
        let taken = ids(&consumer.taken());
        ids(&published).iter().all(|id| taken.contains(id))
    })
    .await;
    assert_eq!(consumer.times_offered(refused_once), 2);
    eventually("nothing left pending", || async { streams.pending(GROUP).await == 0 }).await;
    assert!(streams.dead_letters().await.is_empty());

    stop.send(()).expect("the loop still runs");
    running.await.expect("the loop ends without panicking");
    streams.finish().await;
}
