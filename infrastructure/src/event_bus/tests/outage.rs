//! Redis goes away and comes back (empty, as a Redis without persistence does): publishing
//! fails fast meanwhile, and the loops resume on their own afterwards.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use application::ports::{BusError, EventBus};
use tokio::process::{Child, Command};

use super::fixtures::{RecordingConsumer, RecordingListener, Refusal, event, ids};
use super::harness::{admin_connection, eventually, fast_options, shutdown_signal};
use crate::event_bus::RedisEventBus;

const PASSWORD: &str = "outage-s3cret";

/// A `redis-server` of this test's own, on a loopback port; killed when dropped.
struct OwnRedis {
    process: Child,
}

impl OwnRedis {
    async fn start(port: u16) -> OwnRedis {
        let process = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--requirepass", PASSWORD])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start redis-server (it is installed on every dev and CI machine)");
        let url = url(port);
        eventually("the own redis-server answers", || async {
            let Ok(client) = redis::Client::open(url.as_str()) else { return false };
            let Ok(mut connection) = client.get_multiplexed_async_connection().await else { return false };
            redis::cmd("PING").exec_async(&mut connection).await.is_ok()
        })
        .await;
        OwnRedis { process }
    }

    async fn kill(mut self) {
        self.process.kill().await.expect("kill redis-server");
    }
}

fn url(port: u16) -> String {
    format!("redis://:{PASSWORD}@127.0.0.1:{port}")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

#[tokio::test]
async fn publishing_fails_fast_during_an_outage_and_the_loops_resume_after_it() {
    let port = free_port();
    let redis = OwnRedis::start(port).await;
    let bus = RedisEventBus::connect(&url(port), fast_options("oms-test:outage:events")).await.expect("connect");
    let consumer = Arc::new(RecordingConsumer::new(Refusal::Never));
    let listener = Arc::new(RecordingListener::default());
    let (stop_consumer, consumer_shutdown) = shutdown_signal();
    let (stop_feed, feed_shutdown) = shutdown_signal();
    let consuming = bus.spawn_consumer(consumer.clone(), consumer_shutdown).await;
    let feeding = bus.spawn_live_feed(listener.clone(), feed_shutdown).await;

    let before = event("order-1", 1);
    bus.publish(std::slice::from_ref(&before)).await.expect("publish before the outage");
    eventually("the event before the outage arrives", || async {
        ids(&consumer.taken()).contains(&before.id) && ids(&listener.observed()).contains(&before.id)
    })
    .await;

    redis.kill().await;
    // Generous: a few seconds' timeout inside, never a hang.
    let outage_limit = Duration::from_secs(20);
    let during = tokio::time::timeout(outage_limit, bus.publish(&[event("order-1", 2)]))
        .await
        .expect("publish returns during the outage");
    match during {
        Err(BusError::Unavailable(reason)) => assert!(!reason.contains(PASSWORD), "{reason}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    let readiness = tokio::time::timeout(outage_limit, bus.ready()).await.expect("ready returns during the outage");
    assert!(readiness.is_err(), "not ready while Redis is down");

    let redis = OwnRedis::start(port).await;
    let after = event("order-1", 3);
    // As the relay does: publish again until the bus takes it.
    eventually("publishing works again", || async { bus.publish(std::slice::from_ref(&after)).await.is_ok() }).await;
    eventually("the event after the outage arrives", || async {
        ids(&consumer.taken()).contains(&after.id) && ids(&listener.observed()).contains(&after.id)
    })
    .await;
    bus.ready().await.expect("ready again");

    stop_consumer.send(()).expect("the loop still runs");
    stop_feed.send(()).expect("the loop still runs");
    consuming.await.expect("the consumer ends without panicking");
    feeding.await.expect("the live feed ends without panicking");
    // The server (and its data) goes with the process; still, check it answered to the end.
    drop(admin_connection(&url(port)).await);
    redis.kill().await;
}
