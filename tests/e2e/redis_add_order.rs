//! The inbound `add_order` stream (issue 11, SPEC.md section 6 "Inbound"): with `--redis-url`,
//! a message pushed to `oms:{tenantId}:add_order` is run like the add-order webhook. Messages
//! are written here with plain `XADD`, as a partner would. Each test has tenants of its own (the
//! stream names carry the tenant), so tests sharing the test Redis never meet.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{
    Claims, ProcessFixture, TENANT_A, TestApp,
    create_load::graphql,
    events::{OwnRedis, delete_streams, on_redis, require_redis, test_redis_url},
    line, order_input,
    process::ServeProcess,
    saas_config_json,
};

/// Far above what a message takes; the reader's reconnect backoff after an outage is 10 s at
/// most, so a message after one waits for that at worst.
const PATIENCE: Duration = Duration::from_secs(45);
const GROUP: &str = "tenant-oms";
const ORDERS: &str = "{ orders(first: 100) { nodes { id externalRef number } } }";
const AUDIT: &str = "{ auditLog(first: 100) { nodes { actor action orderId input outcome requestId } } }";

/// A tenant id of this test's own.
fn fresh_tenant(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

fn stream_of(tenant: &str) -> String {
    format!("oms:{tenant}:add_order")
}

/// Adds `tenant` to the test config on tenant A's IdP and plan; with `add_order`, its
/// add-order webhook is configured (so its stream is read).
fn add_tenant(config: &mut Value, tenant: &str, add_order: bool) {
    let mut entry = json!({"plan": "standard", "status": "active", "idp": config["tenants"][TENANT_A]["idp"].clone()});
    if add_order {
        entry["webhooks"] = json!({"add_order": {"provider": "standard",
            "shared_secret": "inbound-add-order-secret-0123456789abcdef", "max_age_seconds": 300}});
    }
    config["tenants"][tenant] = entry;
}

async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url).expect("redis url").get_multiplexed_async_connection().await.expect("connect to Redis")
}

/// `XADD` of `fields` to `tenant`'s stream; the entry id.
async fn push(url: &str, tenant: &str, fields: &[(&str, String)]) -> String {
    let mut add = redis::cmd("XADD");
    add.arg(stream_of(tenant)).arg("*");
    for (name, value) in fields {
        add.arg(*name).arg(value);
    }
    add.query_async(&mut redis_connection(url).await).await.expect("XADD")
}

async fn entries(url: &str, stream: &str) -> Vec<redis::streams::StreamId> {
    let range: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(stream)
        .arg("-")
        .arg("+")
        .query_async(&mut redis_connection(url).await)
        .await
        .expect("XRANGE");
    range.ids
}

async fn pending(url: &str, tenant: &str) -> usize {
    let summary: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
        .arg(stream_of(tenant))
        .arg(GROUP)
        .query_async(&mut redis_connection(url).await)
        .await
        .expect("XPENDING");
    summary.count()
}

/// The consumer groups on `tenant`'s stream (0 when nobody made the stream or a group).
async fn groups_on(url: &str, tenant: &str) -> usize {
    let groups: redis::RedisResult<redis::streams::StreamInfoGroupsReply> =
        redis::cmd("XINFO").arg("GROUPS").arg(stream_of(tenant)).query_async(&mut redis_connection(url).await).await;
    groups.map(|reply| reply.groups.len()).unwrap_or(0)
}

async fn delete_inbound(url: &str, tenants: &[&str]) {
    let mut connection = redis_connection(url).await;
    for tenant in tenants {
        let stream = stream_of(tenant);
        let _ = redis::cmd("DEL").arg(&stream).arg(format!("{stream}:dead")).exec_async(&mut connection).await;
    }
}

fn body_of(external_ref: &str, lines: Vec<Value>) -> String {
    order_input(external_ref, lines).to_string()
}

/// Polls `read` until it gives `Some`; panics with `what` after [`PATIENCE`].
async fn eventually<T, F, Fut>(what: &str, mut read: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = read().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "not within {PATIENCE:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn orders_of(app: &TestApp, tenant: &str) -> Vec<Value> {
    let body = app.gql(&app.token_for(tenant, "ops", &["tenant_admin"]), ORDERS, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["orders"]["nodes"].as_array().expect("orders").clone()
}

async fn order_with_ref(app: &TestApp, tenant: &str, external_ref: &str) -> Option<Value> {
    orders_of(app, tenant).await.into_iter().find(|order| order["externalRef"] == external_ref)
}

#[tokio::test]
async fn messages_on_the_stream_create_orders_once_and_bad_ones_are_dead_lettered() {
    let url = test_redis_url();
    require_redis(&url).await;
    let (tenant, unread) = (fresh_tenant("inbound"), fresh_tenant("unread"));
    let settings = on_redis(&url);
    let app = TestApp::spawn_configured(
        |_| {},
        settings.clone(),
        |config| {
            add_tenant(config, &tenant, true);
            add_tenant(config, &unread, false);
        },
    )
    .await;

    // A message with the partner's id: one order, audited as the add-order webhook.
    push(&url, &tenant, &[("id", "m-1".to_owned()), ("body", body_of("in-1", vec![line("SKU-1", 2, "5.00")]))]).await;
    let order = eventually("the first message's order", || order_with_ref(&app, &tenant, "in-1")).await;
    let token = app.token_for(&tenant, "ops", &["tenant_admin"]);
    let trail = app.gql(&token, AUDIT, json!({})).await;
    let records = trail["data"]["auditLog"]["nodes"].as_array().expect("records").clone();
    let created: Vec<&Value> = records.iter().filter(|r| r["orderId"] == order["id"]).collect();
    assert_eq!(created.len(), 1, "{records:?}");
    assert_eq!(created[0]["actor"], "webhook:add_order");
    assert_eq!(created[0]["action"], "createOrder");
    assert_eq!(created[0]["outcome"], "ok");
    assert_eq!(created[0]["requestId"], "m-1", "the record names the message");

    // The same message id again (another entry, another order's content): nothing new.
    push(&url, &tenant, &[("id", "m-1".to_owned()), ("body", body_of("in-1-again", vec![line("SKU-1", 1, "5.00")]))])
        .await;
    // Unusable messages: not JSON, no lines. Then a good one, which they must not hold up.
    let not_json =
        push(&url, &tenant, &[("id", "bad-json".to_owned()), ("body", "{\"externalRef\": ".to_owned())]).await;
    let no_lines =
        push(&url, &tenant, &[("id", "no-lines".to_owned()), ("body", body_of("in-no-lines", vec![]))]).await;
    // Written to a tenant whose add-order is not configured: never read.
    push(&url, &unread, &[("body", body_of("unread-1", vec![line("SKU-1", 1, "5.00")]))]).await;
    push(&url, &tenant, &[("body", body_of("in-2", vec![line("SKU-2", 1, "7.00")]))]).await;
    eventually("the message after the bad ones", || order_with_ref(&app, &tenant, "in-2")).await;

    let refs: Vec<Value> = orders_of(&app, &tenant).await.iter().map(|o| o["externalRef"].clone()).collect();
    assert_eq!(refs.len(), 2, "one order per message id, none for the bad ones: {refs:?}");
    let dead_stream = format!("{}:dead", stream_of(&tenant));
    let letters = eventually("both bad messages dead-lettered", || async {
        let letters = entries(&url, &dead_stream).await;
        (letters.len() == 2).then_some(letters)
    })
    .await;
    let reason_of = |entry_id: &str| {
        let letter = letters.iter().find(|l| l.get::<String>("original_id").as_deref() == Some(entry_id));
        letter.and_then(|l| l.get::<String>("reason")).unwrap_or_else(|| panic!("no dead letter for {entry_id}"))
    };
    let not_json_reason = reason_of(&not_json);
    assert!(
        not_json_reason.starts_with("VALIDATION_FAILED: ") && not_json_reason.contains("not JSON"),
        "{not_json_reason}"
    );
    assert!(reason_of(&no_lines).starts_with("VALIDATION_FAILED: "), "{}", reason_of(&no_lines));
    assert!(letters.iter().all(|l| l.get::<String>("group").as_deref() == Some(GROUP)));
    assert_eq!(letters[0].get::<String>("id").as_deref(), Some("bad-json"), "the message is kept whole");
    eventually("nothing left pending", || async { (pending(&url, &tenant).await == 0).then_some(()) }).await;

    // Each refusal audited once, on the tenant's trail.
    let trail = app.gql(&token, AUDIT, json!({})).await;
    let records = trail["data"]["auditLog"]["nodes"].as_array().expect("records").clone();
    let refused: Vec<&Value> = records.iter().filter(|r| r["outcome"] == "VALIDATION_FAILED").collect();
    assert_eq!(refused.len(), 2, "{records:?}");
    assert!(refused.iter().all(|r| r["actor"] == "webhook:add_order"), "{refused:?}");
    let bad_json = refused.iter().find(|r| r["requestId"] == "bad-json").expect("the not-JSON message's record");
    assert_eq!(bad_json["input"]["via"], "redis_stream");
    assert!(refused.iter().any(|r| r["requestId"] == "no-lines"), "{refused:?}");

    // The unconfigured tenant's stream: no group made on it, nothing taken from it.
    assert_eq!(groups_on(&url, &unread).await, 0);
    assert!(orders_of(&app, &unread).await.is_empty());

    delete_inbound(&url, &[&tenant, &unread]).await;
    delete_streams(&url, &settings).await;
}

/// The `externalRef`s of the orders the server at `addr` lists; `None` when it does not answer.
async fn external_refs_of(client: &reqwest::Client, addr: std::net::SocketAddr, token: &str) -> Option<Vec<String>> {
    let answer = graphql(client, addr, token, ORDERS, json!({})).await?;
    let orders = answer["data"]["orders"]["nodes"].as_array()?;
    Some(orders.iter().filter_map(|o| o["externalRef"].as_str().map(str::to_owned)).collect())
}

/// The process test: the real binary with a Redis of the test's own, which is killed mid-run
/// (the server keeps answering GraphQL) and started again empty on the same port (a message
/// pushed then is still taken); then SIGTERM stops the server cleanly.
#[tokio::test]
async fn the_stream_reader_survives_a_redis_restart_and_the_server_stops_on_sigterm() {
    let fixture = ProcessFixture::new().await;
    let tenant = fresh_tenant("inbound");
    let mut config = saas_config_json(&fixture.jwks.base_url());
    add_tenant(&mut config, &tenant, true);
    std::fs::write(&fixture.config_file, config.to_string()).expect("write the config");
    let redis = OwnRedis::start().await;
    let (port, url) = (redis.port, redis.url());
    let server =
        ServeProcess::start_with(&fixture.location, &fixture.config_file, &["--redis-url", url.as_str()]).await;
    let client = reqwest::Client::new();
    let token = fixture.jwks.sign(&Claims::for_tenants(&fixture.jwks.issuer(), "oms", "ops", &[tenant.as_str()]));
    let addr = server.addr;
    let external_refs = || external_refs_of(&client, addr, &token);

    push(&url, &tenant, &[("body", body_of("before", vec![line("SKU-1", 1, "5.00")]))]).await;
    eventually("the order of the message before the outage", || async {
        external_refs().await.filter(|refs| refs.contains(&"before".to_owned()))
    })
    .await;

    redis.kill().await;
    let during = external_refs().await.expect("GraphQL answers while Redis is down");
    assert_eq!(during, vec!["before".to_owned()]);

    let _redis = OwnRedis::start_on(port).await;
    push(&url, &tenant, &[("body", body_of("after", vec![line("SKU-1", 1, "5.00")]))]).await;
    eventually("the order of the message after the restart", || async {
        external_refs().await.filter(|refs| refs.contains(&"after".to_owned()))
    })
    .await;

    let status = server.terminate_within(Duration::from_secs(20)).await;
    assert!(status.success(), "tenant-oms serve exited with {status}");
}
