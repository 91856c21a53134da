//! What the events acceptance tests share: the tenant's outbound webhook pointed at a loopback
//! receiver, the test Redis (shared, one stream per test) or a `redis-server` of the test's own,
//! and readings of what a receiver got.

use std::{collections::HashMap, process::Stdio, time::Duration};

use serde_json::{Value, json};
use tenant_oms::app::EventsSettings;
use tokio::process::{Child, Command};

use super::{TestApp, receiver::Received};

/// A `whsec_` secret of 32 bytes, as `rotateWebhookSecret` makes them.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=";

const UPDATE_CONFIG: &str = "mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) { \
  tenantConfig { outboundWebhook { url } } userErrors { code field message } } }";

/// Points the token's tenant's outbound webhook at `url` for `events`, asserting it was taken.
pub async fn point_webhook(app: &TestApp, token: &str, url: &str, events: &[&str]) {
    let input = json!({"input": {"outboundWebhook": {"url": url, "secret": SECRET, "events": events}}});
    let answer = app.gql(token, UPDATE_CONFIG, input).await;
    assert_eq!(answer["data"]["updateTenantConfig"]["userErrors"], json!([]), "{answer}");
}

/// The `order.created` deliveries among `received`.
pub fn order_created(received: &Received) -> bool {
    received.json()["type"] == "order.created"
}

/// The aggregate (order id) a delivery is about.
pub fn aggregate_id(received: &Received) -> String {
    received.json()["aggregateId"].as_str().unwrap_or_default().to_owned()
}

/// How many times each `webhook-id` arrived.
pub fn arrivals_by_id(received: &[Received]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for r in received {
        *counts.entry(r.id.clone()).or_default() += 1;
    }
    counts
}

/// The shared test Redis: `TEST_REDIS_URL`, or the local default. Unreachable fails the test.
pub fn test_redis_url() -> String {
    std::env::var("TEST_REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned())
}

/// Event settings on the Redis at `url` with a stream of this test's own (instances of one
/// test share it; tests never see each other's events), and loopback receivers allowed.
pub fn on_redis(url: &str) -> EventsSettings {
    EventsSettings {
        redis_url: Some(url.to_owned()),
        redis_stream: Some(format!("oms-e2e:{}:events", uuid::Uuid::new_v4().simple())),
        allow_private_webhook_urls: true,
        ..Default::default()
    }
}

/// Fails the test at once, with a message saying why, when the Redis at `url` does not answer.
pub async fn require_redis(url: &str) {
    let answered = async {
        let client = redis::Client::open(url).ok()?;
        let mut connection = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING").exec_async(&mut connection).await.ok()
    };
    let answered = tokio::time::timeout(Duration::from_secs(10), answered).await.ok().flatten();
    assert!(answered.is_some(), "the test Redis at {url} is unreachable (set TEST_REDIS_URL or start redis-server)");
}

/// Deletes a test's streams from the shared Redis (the stream and its dead letters).
pub async fn delete_streams(url: &str, events: &EventsSettings) {
    let Some(stream) = &events.redis_stream else { return };
    let Ok(client) = redis::Client::open(url) else { return };
    let Ok(mut connection) = client.get_multiplexed_async_connection().await else { return };
    let _ = redis::cmd("DEL").arg(stream).arg(format!("{stream}:dead")).exec_async(&mut connection).await;
}

/// A `redis-server` of the test's own on a loopback port, without persistence (a restart
/// starts empty); killed when dropped.
pub struct OwnRedis {
    pub port: u16,
    process: Child,
}

impl OwnRedis {
    /// On a free port.
    pub async fn start() -> OwnRedis {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        Self::start_on(port).await
    }

    /// On `port` (a restart after `kill`).
    pub async fn start_on(port: u16) -> OwnRedis {
        let process = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start redis-server (it is installed on every dev and CI machine)");
        let redis = OwnRedis { port, process };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let ping = async {
                let client = redis::Client::open(redis.url()).ok()?;
                let mut connection = client.get_multiplexed_async_connection().await.ok()?;
                redis::cmd("PING").exec_async(&mut connection).await.ok()
            };
            if ping.await.is_some() {
                return redis;
            }
            assert!(tokio::time::Instant::now() < deadline, "the own redis-server on port {port} never answered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: everything it held is gone.
    pub async fn kill(mut self) {
        self.process.kill().await.expect("kill redis-server");
    }

    pub async fn admin(&self) -> redis::aio::MultiplexedConnection {
        let client = redis::Client::open(self.url()).expect("redis url");
        client.get_multiplexed_async_connection().await.expect("connect to the own redis-server")
    }

    /// Runs one command as the admin, panicking on an error reply.
    pub async fn command(&self, args: &[&str]) {
        let mut command = redis::cmd(args[0]);
        command.arg(&args[1..]);
        command.exec_async(&mut self.admin().await).await.unwrap_or_else(|e| panic!("{args:?}: {e}"));
    }

    /// The aggregates of the `event_type` entries in `stream`, in stream order.
    pub async fn aggregates_in(&self, stream: &str, event_type: &str) -> Vec<String> {
        let range: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(stream)
            .arg("-")
            .arg("+")
            .query_async(&mut self.admin().await)
            .await
            .expect("XRANGE");
        range
            .ids
            .iter()
            .filter(|entry| entry.get::<String>("type").as_deref() == Some(event_type))
            .filter_map(|entry| entry.get::<String>("aggregate"))
            .collect()
    }
}

/// `GET /readyz`: the status and the body.
pub async fn readyz(app: &TestApp) -> (u16, Value) {
    let response = app.client.get(app.url("/readyz")).send().await.expect("readyz");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
