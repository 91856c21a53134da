use std::sync::Arc;
use std::time::Duration;

use super::fixtures::{GROUP, RecordingConsumer, RecordingListener, Refusal};
use super::harness::{TestStreams, eventually, shutdown_signal};

#[tokio::test]
async fn loops_end_promptly_on_shutdown_while_blocked_in_a_read() {
    let mut streams = TestStreams::new().await;
    // Reads would wait this long for events that never come.
    let long_block = Duration::from_secs(120);
    streams.options.block = long_block;
    // And no retry pass would be due before it.
    streams.options.claim_idle = Duration::from_secs(600);
    let bus = streams.bus().await;
    let (stop_consumer, consumer_shutdown) = shutdown_signal();
    let (stop_feed, feed_shutdown) = shutdown_signal();
    let consumer = bus.spawn_consumer(Arc::new(RecordingConsumer::new(Refusal::Never)), consumer_shutdown).await;
    let feed = bus.spawn_live_feed(Arc::new(RecordingListener::default()), feed_shutdown).await;

    let consumer_name = format!("oms-consumer:{}:{GROUP}:", streams.options.stream_key);
    let feed_name = format!("oms-live-feed:{}:", streams.options.stream_key);
    eventually("both loops are blocked in their reads", || async {
        let clients = blocked_clients(&streams).await;
        clients.contains(&(consumer_name.clone(), "xreadgroup".to_owned()))
            && clients.contains(&(feed_name.clone(), "xread".to_owned()))
    })
    .await;

    stop_consumer.send(()).expect("the loop still runs");
    stop_feed.send(()).expect("the loop still runs");
    // Far below the block time: the loops did not wait for their reads to end.
    let deadline = long_block / 4;
    tokio::time::timeout(deadline, consumer).await.expect("the consumer ended").expect("without panicking");
    tokio::time::timeout(deadline, feed).await.expect("the live feed ended").expect("without panicking");
    streams.finish().await;
}

/// (name up to the member part, command) of each client blocked in a command, from
/// `CLIENT LIST` (`id=7 … name=oms-consumer:<stream>:<group>:<member> … flags=b … cmd=xreadgroup`).
async fn blocked_clients(streams: &TestStreams) -> Vec<(String, String)> {
    let list: String = redis::cmd("CLIENT").arg("LIST").query_async(&mut streams.admin()).await.expect("CLIENT LIST");
    list.lines()
        .filter_map(|line| {
            let field = |key: &str| line.split(' ').find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='));
            let blocked = field("flags")?.contains('b');
            let name = field("name")?;
            // Drop the member part: the test does not know the random name.
            let prefix = &name[..=name.rfind(':')?];
            let command = field("cmd")?;
            blocked.then(|| (prefix.to_owned(), command.to_owned()))
        })
        .collect()
}
