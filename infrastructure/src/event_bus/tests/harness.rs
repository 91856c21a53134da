use std::future::Future;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::streams::{StreamId, StreamRangeReply};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::event_bus::{RedisBusOptions, RedisEventBus};

pub(super) const DEFAULT_TEST_REDIS_URL: &str = "redis://127.0.0.1:6379";

/// How long "eventually" may take: far above what any check needs, so a slow machine never
/// fails a test that is right.
pub(super) const EVENTUALLY: Duration = Duration::from_secs(30);

pub(super) fn test_redis_url() -> String {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_TEST_REDIS_URL.to_owned())
}

/// Short times, so retries and reconnects happen within a test.
pub(super) fn fast_options(stream_key: &str) -> RedisBusOptions {
    RedisBusOptions {
        stream_key: stream_key.to_owned(),
        dead_letter_key: format!("{stream_key}:dead"),
        max_deliveries: 3,
        claim_idle: Duration::from_millis(300),
        block: Duration::from_millis(100),
        command_timeout: Duration::from_secs(2),
        max_backoff: Duration::from_millis(300),
        ..RedisBusOptions::default()
    }
}

/// A pair of streams (events, dead letters) of one test on the shared test Redis.
pub(super) struct TestStreams {
    pub url: String,
    pub options: RedisBusOptions,
    admin: MultiplexedConnection,
}

impl TestStreams {
    pub async fn new() -> TestStreams {
        let url = test_redis_url();
        let options = fast_options(&format!("oms-test:{}:events", Uuid::new_v4().simple()));
        let admin = admin_connection(&url).await;
        TestStreams { url, options, admin }
    }

    pub async fn bus(&self) -> RedisEventBus {
        RedisEventBus::connect(&self.url, self.options.clone()).await.expect("connect the bus to the test Redis")
    }

    /// Entries of the group taken but not acknowledged.
    pub async fn pending(&self, group: &str) -> usize {
        self.pending_on(&self.options.stream_key, group).await
    }

    /// Entries of `stream`'s `group` taken but not acknowledged.
    pub async fn pending_on(&self, stream: &str, group: &str) -> usize {
        let summary: redis::streams::StreamPendingReply =
            redis::cmd("XPENDING").arg(stream).arg(group).query_async(&mut self.admin.clone()).await.expect("XPENDING");
        summary.count()
    }

    pub async fn dead_letters(&self) -> Vec<StreamId> {
        self.entries(&self.options.dead_letter_key).await
    }

    pub async fn entries(&self, stream: &str) -> Vec<StreamId> {
        let range: StreamRangeReply = redis::cmd("XRANGE")
            .arg(stream)
            .arg("-")
            .arg("+")
            .query_async(&mut self.admin.clone())
            .await
            .expect("XRANGE");
        range.ids
    }

    pub fn admin(&self) -> MultiplexedConnection {
        self.admin.clone()
    }

    pub async fn finish(self) {
        redis::cmd("DEL")
            .arg(&self.options.stream_key)
            .arg(&self.options.dead_letter_key)
            .exec_async(&mut self.admin.clone())
            .await
            .expect("delete the test streams");
    }
}

pub(super) async fn admin_connection(url: &str) -> MultiplexedConnection {
    let client = redis::Client::open(url).expect("a valid test Redis URL");
    tokio::time::timeout(Duration::from_secs(10), client.get_multiplexed_async_connection())
        .await
        .unwrap_or_else(|_| panic!("the test Redis at {url} did not answer (set TEST_REDIS_URL or start redis-server)"))
        .unwrap_or_else(|e| {
            panic!("the test Redis at {url} is unreachable (set TEST_REDIS_URL or start redis-server): {e}")
        })
}

/// A shutdown signal for a spawned loop, and the trigger that fires it.
pub(super) fn shutdown_signal() -> (oneshot::Sender<()>, impl Future<Output = ()> + Send + 'static) {
    let (fire, fired) = oneshot::channel::<()>();
    (fire, async move {
        // A dropped sender also shuts down: a failed test leaves no loop behind.
        let _ = fired.await;
    })
}

/// Waits until `check` holds, polling; panics with `what` after [`EVENTUALLY`].
pub(super) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + EVENTUALLY;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "not within {EVENTUALLY:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
