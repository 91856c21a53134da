use std::sync::Arc;

use application::ports::EventBus;

use super::fixtures::{GROUP, RecordingConsumer, Refusal, event, ids};
use super::harness::{TestStreams, eventually, shutdown_signal};

#[tokio::test]
async fn a_poison_event_goes_to_the_dead_letter_stream_after_max_deliveries() {
    let streams = TestStreams::new().await;
    let bus = streams.bus().await;
    let consumer = Arc::new(RecordingConsumer::new(Refusal::Always { aggregate: "poison" }));
    let (stop, shutdown) = shutdown_signal();
    let running = bus.spawn_consumer(consumer.clone(), shutdown).await;

    let (healthy_before, poison, healthy_after) = (event("order-1", 1), event("poison", 1), event("order-1", 2));
    bus.publish(&[healthy_before.clone(), poison.clone(), healthy_after.clone()]).await.expect("publish");

    eventually("the poison event is dead-lettered", || async { !streams.dead_letters().await.is_empty() }).await;
    eventually("nothing left pending", || async { streams.pending(GROUP).await == 0 }).await;

    let dead = streams.dead_letters().await;
    assert_eq!(dead.len(), 1, "only the poison event: its batch neighbours are retried one by one");
    let letter = &dead[0];
    assert_eq!(letter.get::<String>("id"), Some(poison.id.to_string()));
    assert_eq!(letter.get::<String>("payload"), Some(poison.payload.clone()));
    assert_eq!(letter.get::<String>("group").as_deref(), Some(GROUP));
    let original_id = letter.get::<String>("original_id").expect("original id");
    assert!(streams.entries(&streams.options.stream_key).await.iter().any(|entry| entry.id == original_id));
    let reason = letter.get::<String>("reason").expect("reason");
    assert!(reason.contains(&streams.options.max_deliveries.to_string()), "{reason}");

    assert_eq!(consumer.times_offered(poison.id), streams.options.max_deliveries);
    let taken = ids(&consumer.taken());
    assert!(taken.contains(&healthy_before.id) && taken.contains(&healthy_after.id));

    stop.send(()).expect("the loop still runs");
    running.await.expect("the loop ends without panicking");
    streams.finish().await;
}

#[tokio::test]
async fn a_malformed_entry_is_dead_lettered_and_the_loop_goes_on() {
    let streams = TestStreams::new().await;
    let bus = streams.bus().await;
    let consumer = Arc::new(RecordingConsumer::new(Refusal::Never));
    let (stop, shutdown) = shutdown_signal();
    let running = bus.spawn_consumer(consumer.clone(), shutdown).await;

    // Not written by the bus: no tenant, an id that is no UUID.
    let _: String = redis::cmd("XADD")
        .arg(&streams.options.stream_key)
        .arg("*")
        .arg("id")
        .arg("not-a-uuid")
        .arg("note")
        .arg("hand-written")
        .query_async(&mut streams.admin())
        .await
        .expect("XADD");
    let good = event("order-1", 1);
    bus.publish(std::slice::from_ref(&good)).await.expect("publish");

    eventually("the good event is taken", || async { ids(&consumer.taken()).contains(&good.id) }).await;
    eventually("the malformed entry is dead-lettered", || async { streams.dead_letters().await.len() == 1 }).await;
    let letter = &streams.dead_letters().await[0];
    assert_eq!(letter.get::<String>("note").as_deref(), Some("hand-written"));
    assert!(letter.get::<String>("reason").expect("reason").contains("malformed"));
    assert_eq!(streams.pending(GROUP).await, 0);

    stop.send(()).expect("the loop still runs");
    running.await.expect("the loop ends without panicking");
    streams.finish().await;
}
