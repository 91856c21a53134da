//! Timeline and feed (SPEC.md section 6, issue 10): an order's events as a field of the order,
//! the tenant's pull feed by cursor with its filters and its gate, and redelivering every
//! webhook delivery since a time to a loopback receiver.

use std::time::Duration;

use serde_json::{Value, json};
use tenant_oms::app::EventsSettings;

use crate::support::{BASIC, TENANT_A, TestApp, error_code, line, receiver::Receiver};

const TIMELINE: &str = "query($id: ID!, $first: Int, $after: String) { order(id: $id) { \
  events(first: $first, after: $after) { pageInfo { hasNextPage endCursor } \
  edges { cursor node { id type occurredAt aggregateId aggregateVersion data } } } } }";
const FEED: &str = "query($first: Int, $after: String, $filter: EventFilter) { \
  events(first: $first, after: $after, filter: $filter) { pageInfo { hasNextPage endCursor } \
  nodes { id type aggregateId aggregateVersion } } }";

/// The feed serves what was written at once: these tests write one thing at a time, so no
/// event can commit behind a page already read (the settle horizon has its own tests).
async fn spawn(allow_private_webhook_urls: bool) -> TestApp {
    TestApp::spawn_events(EventsSettings {
        allow_private_webhook_urls,
        event_feed_settle: Some(Duration::ZERO),
        ..Default::default()
    })
    .await
}

async fn timeline_page(app: &TestApp, token: &str, order_id: &str, first: i64, after: Option<&str>) -> Value {
    let body = app.gql(token, TIMELINE, json!({"id": order_id, "first": first, "after": after})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["order"]["events"].clone()
}

async fn feed_page(app: &TestApp, token: &str, first: i64, after: Option<&str>, filter: Value) -> Value {
    let body = app.gql(token, FEED, json!({"first": first, "after": after, "filter": filter})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["events"].clone()
}

/// Every event the feed serves after `after`, following `endCursor` `first` at a time.
async fn whole_feed(app: &TestApp, token: &str, first: i64, after: Option<&str>, filter: Value) -> (Vec<Value>, Value) {
    let (mut events, mut cursor) = (Vec::new(), after.map(str::to_owned));
    loop {
        let page = feed_page(app, token, first, cursor.as_deref(), filter.clone()).await;
        let nodes = page["nodes"].as_array().cloned().unwrap_or_default();
        assert!(nodes.len() as i64 <= first, "{page}");
        events.extend(nodes);
        if let Some(end) = page["pageInfo"]["endCursor"].as_str() {
            cursor = Some(end.to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return (events, json!(cursor));
        }
    }
}

fn kinds(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or_default().to_owned(),
                e["aggregateId"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn kind(event_type: &str, order_id: &str) -> (String, String) {
    (event_type.to_owned(), order_id.to_owned())
}

#[tokio::test]
async fn an_orders_timeline_lists_its_events_in_order_and_pages_by_cursor() {
    let app = spawn(false).await;
    let token = app.token_a("alice");
    let order = app.create_order(&token, "TL-1", vec![line("SKU-1", 2, "5.00")]).await;
    let order_id = order["id"].as_str().unwrap();
    let shipped = app.ship(&token, order_id, &[("SKU-1", 1)]).await;
    assert_eq!(shipped["userErrors"], json!([]), "{shipped}");

    let all = timeline_page(&app, &token, order_id, 10, None).await;
    let edges = all["edges"].as_array().unwrap();
    let types: Vec<&str> = edges.iter().map(|e| e["node"]["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["order.created", "order.confirmed", "shipment.created"], "{all}");
    let versions: Vec<i64> = edges.iter().map(|e| e["node"]["aggregateVersion"].as_i64().unwrap()).collect();
    assert_eq!(versions, [1, 1, 2], "one change, one version: {all}");
    for edge in edges {
        let node = &edge["node"];
        assert_eq!(node["aggregateId"], order_id);
        assert_eq!(edge["cursor"], node["id"], "the cursor is the event's id");
        assert_eq!(node["data"]["orderId"], order_id, "{node}");
    }
    assert_eq!(edges[2]["node"]["data"]["shipmentId"], shipped["shipment"]["id"], "{all}");
    assert_eq!(all["pageInfo"]["hasNextPage"], false);

    let p1 = timeline_page(&app, &token, order_id, 2, None).await;
    assert_eq!(p1["edges"].as_array().unwrap().len(), 2);
    assert_eq!(p1["pageInfo"]["hasNextPage"], true);
    let after = p1["pageInfo"]["endCursor"].as_str().unwrap();
    let p2 = timeline_page(&app, &token, order_id, 2, Some(after)).await;
    assert_eq!(p2["edges"].as_array().unwrap().len(), 1);
    assert_eq!(p2["edges"][0]["node"]["type"], "shipment.created");
    assert_eq!(p2["pageInfo"]["hasNextPage"], false);

    // Without auto-confirmation an order starts with its creation only.
    let token_p = app.token_p("paula");
    let pending = app.create_order(&token_p, "TL-P", vec![line("SKU-1", 1, "1.00")]).await;
    let pending_events = timeline_page(&app, &token_p, pending["id"].as_str().unwrap(), 10, None).await;
    let types: Vec<&Value> = pending_events["edges"].as_array().unwrap().iter().map(|e| &e["node"]["type"]).collect();
    assert_eq!(types, [&json!("order.created")]);

    // A page of orders may ask for each one's events: one read per order, bounded by the cost.
    let listed = app.gql(&token, "{ orders(first: 10) { nodes { id events { nodes { type } } } } }", json!({})).await;
    assert!(listed["errors"].is_null(), "{listed}");
    assert_eq!(listed["data"]["orders"]["nodes"][0]["events"]["nodes"].as_array().map(Vec::len), Some(3));
    let costly = app
        .gql(&token, "{ orders(first: 100) { nodes { events(first: 100) { nodes { id type } } } } }", json!({}))
        .await;
    assert_eq!(error_code(&costly), Some("QUERY_TOO_COMPLEX"), "{costly}");

    let bad = app.gql(&token, TIMELINE, json!({"id": order_id, "first": 101})).await;
    assert_eq!(error_code(&bad), Some("VALIDATION_FAILED"), "{bad}");
}

#[tokio::test]
async fn the_feed_pages_the_tenants_events_by_cursor_filters_them_and_shows_no_other_tenants() {
    let app = spawn(false).await;
    let token = app.token_a("alice");
    let token_p = app.token_p("paula");
    let o1 = app.create_order(&token, "FEED-1", vec![line("SKU-1", 2, "5.00")]).await;
    let o1 = o1["id"].as_str().unwrap().to_owned();
    let p1 = app.create_order(&token_p, "FEED-P", vec![line("SKU-1", 1, "1.00")]).await;
    let p1 = p1["id"].as_str().unwrap().to_owned();
    let o2 = app.create_order(&token, "FEED-2", vec![line("SKU-2", 1, "3.00")]).await;
    let o2 = o2["id"].as_str().unwrap().to_owned();
    let shipped = app.ship(&token, &o1, &[("SKU-1", 1)]).await;
    assert_eq!(shipped["userErrors"], json!([]), "{shipped}");

    let (events, end) = whole_feed(&app, &token, 2, None, Value::Null).await;
    assert_eq!(
        kinds(&events),
        [
            kind("order.created", &o1),
            kind("order.confirmed", &o1),
            kind("order.created", &o2),
            kind("order.confirmed", &o2),
            kind("shipment.created", &o1),
        ],
        "oldest first, tenant P's order nowhere: {events:?}"
    );
    let ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids increase: {ids:?}");
    let (p_events, _) = whole_feed(&app, &token_p, 100, None, Value::Null).await;
    assert_eq!(kinds(&p_events), [kind("order.created", &p1)], "tenant P sees only its own");

    // A partner that stopped at the end resumes there and sees only what came since.
    let end = end.as_str().unwrap().to_owned();
    assert!(feed_page(&app, &token, 10, Some(&end), Value::Null).await["nodes"].as_array().unwrap().is_empty());
    let o3 = app.create_order(&token, "FEED-3", vec![line("SKU-3", 1, "2.00")]).await;
    let o3 = o3["id"].as_str().unwrap().to_owned();
    let (since, _) = whole_feed(&app, &token, 10, Some(&end), Value::Null).await;
    assert_eq!(kinds(&since), [kind("order.created", &o3), kind("order.confirmed", &o3)]);

    let (shipments, _) = whole_feed(&app, &token, 10, None, json!({"types": ["shipment.created"]})).await;
    assert_eq!(kinds(&shipments), [kind("shipment.created", &o1)]);
    let (of_o2, _) = whole_feed(&app, &token, 1, None, json!({"aggregateId": o2})).await;
    assert_eq!(kinds(&of_o2), [kind("order.created", &o2), kind("order.confirmed", &o2)]);
    let both = json!({"aggregateId": o1, "types": ["order.created", "shipment.created"]});
    let (narrowed, _) = whole_feed(&app, &token, 10, None, both).await;
    assert_eq!(kinds(&narrowed), [kind("order.created", &o1), kind("shipment.created", &o1)]);
    // Tenant P's order id narrows tenant A's feed to nothing.
    let (foreign, _) = whole_feed(&app, &token, 10, None, json!({"aggregateId": p1})).await;
    assert!(foreign.is_empty(), "{foreign:?}");

    let bad_cursor = app.gql(&token, FEED, json!({"after": "ORD-000001"})).await;
    assert_eq!(error_code(&bad_cursor), Some("VALIDATION_FAILED"), "{bad_cursor}");
    let bad_order = app.gql(&token, FEED, json!({"filter": {"aggregateId": "ORD-000001"}})).await;
    assert_eq!(error_code(&bad_order), Some("VALIDATION_FAILED"), "{bad_order}");
}

#[tokio::test]
async fn the_feed_needs_webhook_read_and_the_timeline_order_read() {
    let app = spawn(false).await;
    let admin = app.token_a("alice");
    let order = app.create_order(&admin, "GATE-1", vec![line("SKU-1", 1, "1.00")]).await;
    let order_id = order["id"].as_str().unwrap();

    // Vendors read orders, and so their timelines, but not the tenant's feed.
    let vendor = app.token_for(TENANT_A, "vera", &["vendor"]);
    let refused = app.gql(&vendor, FEED, json!({})).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");
    assert!(refused["data"].is_null() || refused["data"]["events"].is_null(), "{refused}");
    assert_eq!(timeline_page(&app, &vendor, order_id, 10, None).await["edges"].as_array().map(Vec::len), Some(2));

    let nobody = app.token_for(TENANT_A, "nobody", &["no-such-role"]);
    let refused = app.gql(&nobody, TIMELINE, json!({"id": order_id})).await;
    assert_eq!(error_code(&refused), Some("FORBIDDEN"), "{refused}");

    // A plan without webhooks does not even list the feed, and calling it is PLAN_FORBIDDEN.
    let basic = app.token_for(BASIC, "bea", &["tenant_admin"]);
    let refused = app.gql(&basic, FEED, json!({})).await;
    assert_eq!(error_code(&refused), Some("PLAN_FORBIDDEN"), "{refused}");
}

const UPDATE_CONFIG: &str = "mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) { \
  userErrors { code field message } } }";
const DELIVERIES: &str = "{ webhookDeliveries(first: 20) { nodes { eventId status } } }";
const REDELIVER_ALL: &str = "mutation($since: DateTime!) { redeliverWebhooks(input: {since: $since}) { \
  count userErrors { code field message } } }";
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=";
const PATIENCE: Duration = Duration::from_secs(10);

/// Waits until no delivery of the tenant is pending (its attempt is stored after the receiver
/// answers, so a redelivery asked for before that would be overwritten by it).
async fn settled_deliveries(app: &TestApp, token: &str, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let listed = app.gql(token, DELIVERIES, json!({})).await;
        let nodes = listed["data"]["webhookDeliveries"]["nodes"].as_array().cloned().unwrap_or_default();
        let settled = nodes.len() == count && nodes.iter().all(|n| n["status"] == "SUCCEEDED");
        if settled || tokio::time::Instant::now() >= deadline {
            assert!(settled, "{listed}");
            return nodes;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn redeliver_webhooks_sends_every_delivery_since_a_time_again_and_is_audited() {
    let app = spawn(true).await;
    let receiver = Receiver::start().await;
    let token = app.token_a("alice");
    let input =
        json!({"input": {"outboundWebhook": {"url": receiver.url(), "secret": SECRET, "events": ["order.created"]}}});
    let configured = app.gql(&token, UPDATE_CONFIG, input).await;
    assert_eq!(configured["data"]["updateTenantConfig"]["userErrors"], json!([]), "{configured}");

    let created = |r: &crate::support::receiver::Received| r.json()["type"] == "order.created";
    app.create_order(&token, "RE-1", vec![line("SKU-1", 1, "1.00")]).await;
    assert_eq!(receiver.wait_for(1, PATIENCE, created).await.len(), 1);
    settled_deliveries(&app, &token, 1).await;
    let since = chrono::Utc::now();
    let second = app.create_order(&token, "RE-2", vec![line("SKU-1", 1, "1.00")]).await;
    let second_id = second["id"].as_str().unwrap();
    assert_eq!(receiver.wait_for(2, PATIENCE, created).await.len(), 2);
    settled_deliveries(&app, &token, 2).await;

    let answer = app.gql(&token, REDELIVER_ALL, json!({"since": since.to_rfc3339()})).await;
    let payload = &answer["data"]["redeliverWebhooks"];
    assert_eq!(payload["userErrors"], json!([]), "{answer}");
    assert_eq!(payload["count"], 1, "only the delivery created since: {answer}");

    let received = receiver.wait_for(3, PATIENCE, created).await;
    assert_eq!(received.len(), 3, "{received:?}");
    let again = &received[2];
    assert_eq!(again.json()["aggregateId"], second_id, "the second order's event is sent again");
    assert_eq!(again.id, received[1].id, "with the same webhook-id");
    // Nothing else follows: the first order's delivery predates `since`.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 3);

    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let refused = app.gql(&token, REDELIVER_ALL, json!({"since": future})).await;
    assert_eq!(refused["data"]["redeliverWebhooks"]["userErrors"][0]["code"], "VALIDATION_FAILED", "{refused}");
    let vendor = app.token_for(TENANT_A, "vera", &["vendor"]);
    let forbidden = app.gql(&vendor, REDELIVER_ALL, json!({"since": since.to_rfc3339()})).await;
    assert_eq!(error_code(&forbidden), Some("FORBIDDEN"), "{forbidden}");

    let audit = app
        .gql(
            &token,
            "{ auditLog(first: 10, filter: {action: \"redeliverWebhooks\"}) { nodes { actor input outcome } } }",
            json!({}),
        )
        .await;
    let outcomes: Vec<Value> =
        audit["data"]["auditLog"]["nodes"].as_array().unwrap().iter().map(|n| n["outcome"].clone()).collect();
    assert_eq!(outcomes, [json!("FORBIDDEN"), json!("VALIDATION_FAILED"), json!("ok")], "newest first: {audit}");
    let ok = &audit["data"]["auditLog"]["nodes"][2];
    assert_eq!(ok["actor"], "alice");
    let recorded = ok["input"]["since"].as_str().and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
    assert_eq!(recorded.map(|t| t.timestamp_micros()), Some(since.timestamp_micros()), "{ok}");

    // Another tenant's redelivery touches none of tenant A's deliveries.
    let token_p = app.token_p("paula");
    let other = app.gql(&token_p, REDELIVER_ALL, json!({"since": since.to_rfc3339()})).await;
    assert_eq!(other["data"]["redeliverWebhooks"]["count"], 0, "{other}");
}
