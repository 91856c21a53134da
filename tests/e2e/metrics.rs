//! `GET /metrics` of a real `tenant-oms serve` process, read back with a Prometheus text-format
//! parser: it counts exactly the calls this test made (a process of its own, so no other test's
//! calls are in it), it is served without a token on the `--metrics-listen` address only, and
//! that listener stops with the process on SIGTERM.

use std::{net::SocketAddr, time::Duration};

use prometheus_parse::{Sample, Scrape, Value as Metric};
use serde_json::{Value, json};

use crate::support::{
    Claims, ProcessFixture, TENANT_A, events::SECRET, order_input, process::ServeProcess, receiver::Receiver,
    sign_rs256,
};

const ME: &str = "{ me { subject } }";
const CREATE: &str = "mutation($input: CreateOrderInput!) { createOrder(input: $input) {
  order { id } userErrors { code } } }";
const UPDATE_CONFIG: &str = "mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) {
  userErrors { code field message } } }";
/// A tenant whose IdP's JWKS cannot be fetched (nothing listens on port 1).
const DEAD_IDP_TENANT: &str = "tenant_dead_idp";
const DEAD_IDP_ISSUER: &str = "http://127.0.0.1:1/realms/dead";

async fn graphql(client: &reqwest::Client, addr: SocketAddr, token: Option<&str>, query: &str, input: Value) -> Value {
    let mut request =
        client.post(format!("http://{addr}/graphql")).json(&json!({"query": query, "variables": {"input": input}}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request").json().await.unwrap_or(Value::Null)
}

async fn scrape(client: &reqwest::Client, addr: SocketAddr) -> Scrape {
    let text = client.get(format!("http://{addr}/metrics")).send().await.expect("scrape").text().await.expect("body");
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("Prometheus text format")
}

fn samples<'a>(scrape: &'a Scrape, name: &'a str, labels: &'a [(&str, &str)]) -> impl Iterator<Item = &'a Sample> {
    scrape.samples.iter().filter(move |s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
}

/// The value of the one sample of `name` with `labels` (0 when there is none).
fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples(scrape, name, labels).collect();
    assert!(found.len() <= 1, "{name} {labels:?} matches {} samples", found.len());
    found.first().map_or(0.0, |s| match &s.value {
        Metric::Counter(v) | Metric::Gauge(v) | Metric::Untyped(v) => *v,
        Metric::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
        Metric::Summary(_) => panic!("{name} is a summary"),
    })
}

fn config_with_dead_idp(fixture: &ProcessFixture) -> std::path::PathBuf {
    let mut config: Value =
        serde_json::from_str(&std::fs::read_to_string(&fixture.config_file).expect("config")).expect("config json");
    config["tenants"][DEAD_IDP_TENANT] = json!({"plan": "standard", "idp": {
        "issuer": DEAD_IDP_ISSUER, "audience": "oms", "algorithms": ["RS256"],
        "jwks_uri": "http://127.0.0.1:1/jwks.json", "tenant_claim": "organization"}});
    let file = fixture.config_file.with_file_name("with-dead-idp.json");
    std::fs::write(&file, config.to_string()).expect("write config");
    file
}

#[tokio::test]
async fn metrics_count_the_calls_made() {
    let fixture = ProcessFixture::new().await;
    let receiver = Receiver::start().await;
    let config = config_with_dead_idp(&fixture);
    let flags = ["--metrics-listen", "127.0.0.1:0", "--allow-private-webhook-urls"];
    let server = ServeProcess::start_with(&fixture.location, &config, &flags).await;
    let metrics_addr = server.metrics_addr.expect("the metrics listener's address is logged");
    let client = reqwest::Client::new();
    let token = fixture.token_a("metrics-test");

    let webhook = json!({"outboundWebhook": {"url": receiver.url(), "secret": SECRET, "events": ["order.created"]}});
    let configured = graphql(&client, server.addr, Some(&token), UPDATE_CONFIG, webhook).await;
    assert_eq!(configured["data"]["updateTenantConfig"]["userErrors"], json!([]), "{configured}");
    for _ in 0..3 {
        let me = graphql(&client, server.addr, Some(&token), ME, Value::Null).await;
        assert_eq!(me["data"]["me"]["subject"], "metrics-test", "{me}");
    }
    let created = graphql(&client, server.addr, Some(&token), CREATE, order_input("m-1", vec![line(1)])).await;
    assert!(created["data"]["createOrder"]["order"]["id"].is_string(), "{created}");
    let refused = graphql(&client, server.addr, Some(&token), CREATE, order_input("m-2", vec![line(0)])).await;
    assert_eq!(refused["data"]["createOrder"]["userErrors"][0]["code"], "VALIDATION_FAILED", "{refused}");
    let anonymous = graphql(&client, server.addr, None, ME, Value::Null).await;
    assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED", "{anonymous}");
    let dead_idp_token = sign_rs256(
        &Claims::for_tenants(DEAD_IDP_ISSUER, "oms", "someone", &[DEAD_IDP_TENANT]),
        include_str!("../fixtures/tenant_a_rsa.key.pem"),
        "tenant-a-key-1",
    );
    let unverifiable = graphql(&client, server.addr, Some(&dead_idp_token), ME, Value::Null).await;
    assert!(unverifiable["errors"][0]["extensions"]["code"].is_string(), "{unverifiable}");

    // The webhook delivery is made in the background: wait for it to be counted.
    receiver.wait_for(1, Duration::from_secs(30), |_| true).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        let metrics = scrape(&client, metrics_addr).await;
        let delivered = value(&metrics, "oms_webhook_deliveries_total", &[("outcome", "succeeded")]);
        if delivered >= 1.0 || tokio::time::Instant::now() >= deadline {
            break metrics;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    let requests = "oms_graphql_requests_total";
    assert_eq!(value(&metrics, requests, &[("operation", "me"), ("outcome", "ok")]), 3.0);
    assert_eq!(value(&metrics, requests, &[("operation", "createOrder"), ("outcome", "ok")]), 1.0);
    assert_eq!(value(&metrics, requests, &[("operation", "createOrder"), ("outcome", "user_error")]), 1.0);
    assert_eq!(value(&metrics, requests, &[("operation", "updateTenantConfig"), ("outcome", "ok")]), 1.0);
    assert_eq!(value(&metrics, requests, &[("operation", "(unread)"), ("outcome", "http_401")]), 1.0);
    let latency = "oms_graphql_request_duration_seconds_count";
    assert_eq!(value(&metrics, latency, &[("operation", "me"), ("outcome", "ok")]), 3.0);
    assert_eq!(value(&metrics, "oms_tenant_requests_total", &[("tenant", TENANT_A)]), 6.0);
    assert_eq!(value(&metrics, "oms_webhook_deliveries_total", &[("outcome", "succeeded")]), 1.0);
    // Tenant A's JWKS was fetched once (then cached); the dead IdP's could not be.
    assert_eq!(
        value(&metrics, "oms_jwks_fetches_total", &[("outcome", "ok")]),
        *fixture.jwks.fetches.lock().expect("lock") as f64
    );
    assert!(value(&metrics, "oms_jwks_fetches_total", &[("outcome", "ok")]) >= 1.0);
    assert!(value(&metrics, "oms_jwks_fetches_total", &[("outcome", "error")]) >= 1.0);
    assert!(samples(&metrics, "oms_db_pool_max_connections", &[]).count() >= 1, "no pool gauge");
    assert!(samples(&metrics, "oms_db_pool_connections", &[("state", "in_use")]).count() >= 1, "no pool gauge");
    assert!(samples(&metrics, "oms_outbox_backlog", &[]).count() == 1, "no outbox backlog gauge");
    assert!(samples(&metrics, "oms_outbox_lag_seconds", &[]).count() == 1, "no outbox lag gauge");
    assert!(value(&metrics, "oms_outbox_published_total", &[]) >= 1.0, "the order's events were relayed");

    // With a listener of its own, the API's address does not serve the metrics.
    let on_api = client.get(format!("http://{}/metrics", server.addr)).send().await.expect("request");
    assert_eq!(on_api.status().as_u16(), 404);

    // SIGTERM stops the metrics listener with the API: the process exits cleanly, and the
    // metrics address no longer answers.
    let status = server.terminate_within(Duration::from_secs(40)).await;
    assert!(status.success(), "tenant-oms serve exited with {status} after SIGTERM");
    assert!(client.get(format!("http://{metrics_addr}/metrics")).send().await.is_err(), "metrics still served");
}

fn line(quantity: i64) -> Value {
    json!({"sku": "SKU-1", "name": "Item", "vendorId": "v1", "quantity": quantity,
           "unitPrice": {"amount": "1.00", "currency": "USD"}})
}
