//! Events out through the tenant's outbound webhook (SPEC.md section 6): signed Standard
//! Webhooks deliveries to a real receiver on loopback, retries with a stable `webhook-id`,
//! the delivery log, redelivery, event-type patterns, tenant isolation, and the address guard.

use std::time::Duration;

use serde_json::{Value, json};
use tenant_oms::app::EventsSettings;

use crate::support::{
    TENANT_A, TENANT_P, TestApp, line,
    receiver::{Receiver, signature_is_valid},
};

/// A `whsec_` secret of 32 bytes, as `rotateWebhookSecret` makes them.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYo=";

const UPDATE_CONFIG: &str = "mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) { \
  tenantConfig { outboundWebhook { url events hasSecret } } userErrors { code field message } } }";
const DELIVERIES: &str = "query($filter: WebhookDeliveryFilter) { webhookDeliveries(first: 20, filter: $filter) { \
  edges { node { id eventId eventType status attempts { statusCode failure latencyMs responseExcerpt } } } } }";
const REDELIVER: &str = "mutation($input: RedeliverWebhookInput!) { redeliverWebhook(input: $input) { \
  delivery { id status } userErrors { code field message } } }";

async fn allowing_private() -> TestApp {
    TestApp::spawn_events(EventsSettings { allow_private_webhook_urls: true, ..Default::default() }).await
}

async fn point_webhook(app: &TestApp, token: &str, url: &str, events: &[&str]) -> Value {
    let input = json!({"input": {"outboundWebhook": {"url": url, "secret": SECRET, "events": events}}});
    app.gql(token, UPDATE_CONFIG, input).await["data"]["updateTenantConfig"].clone()
}

const PATIENCE: Duration = Duration::from_secs(10);
/// The first retry comes within 30 s (20 s ± 20 %).
const RETRY_PATIENCE: Duration = Duration::from_secs(35);

#[tokio::test]
async fn order_created_is_delivered_signed_retried_with_the_same_id_listed_and_redelivered() {
    let app = allowing_private().await;
    let receiver = Receiver::start().await;
    receiver.answer_with(&[500]);
    let token = app.token_a("alice");
    let configured = point_webhook(&app, &token, &receiver.url(), &["order.*"]).await;
    assert_eq!(configured["userErrors"], json!([]), "{configured}");

    let order = app.create_order(&token, "HOOK-1", vec![line("SKU-1", 1, "5.00")]).await;
    let order_id = order["id"].as_str().unwrap().to_owned();
    let created = |r: &crate::support::receiver::Received| {
        r.json()["type"] == "order.created" && r.json()["aggregateId"] == order_id.as_str()
    };
    let attempts = receiver.wait_for(2, RETRY_PATIENCE, created).await;
    assert_eq!(attempts.len(), 2, "a 500 is retried: {attempts:?}");
    let (first, retry) = (&attempts[0], &attempts[1]);
    assert_eq!(first.id, retry.id, "webhook-id is stable across retries");
    assert_eq!(first.body, retry.body, "the same envelope every time");
    let envelope = first.json();
    assert_eq!(envelope["id"], first.id.as_str(), "webhook-id is the event id");
    assert_eq!(envelope["tenantId"], TENANT_A);
    assert!(envelope["aggregateVersion"].as_i64().is_some(), "{envelope}");
    for attempt in &attempts {
        assert!(signature_is_valid(SECRET, attempt), "a Standard Webhooks verifier accepts {attempt:?}");
    }

    // The receiver has answered; the server stores the attempt right after.
    let delivery = settled_delivery(&app, &token, "order.created").await;
    let delivery = &delivery;
    assert_eq!(delivery["eventId"], first.id.as_str());
    assert_eq!(delivery["status"], "SUCCEEDED");
    let codes: Vec<Value> = delivery["attempts"].as_array().unwrap().iter().map(|a| a["statusCode"].clone()).collect();
    assert_eq!(codes, [json!(500), json!(200)], "both attempts are stored, oldest first: {delivery}");
    assert_eq!(delivery["attempts"][0]["failure"], "status 500");

    let redelivered = app.gql(&token, REDELIVER, json!({"input": {"id": delivery["id"]}})).await;
    assert_eq!(redelivered["data"]["redeliverWebhook"]["userErrors"], json!([]), "{redelivered}");
    let again = receiver.wait_for(3, PATIENCE, created).await;
    assert_eq!(again.len(), 3, "redeliverWebhook sends it again: {again:?}");
    assert_eq!(again[2].id, first.id, "a redelivery keeps the webhook-id");

    let unknown = app.gql(&token, REDELIVER, json!({"input": {"id": "not-a-delivery"}})).await;
    assert_eq!(unknown["data"]["redeliverWebhook"]["userErrors"][0]["code"], "NOT_FOUND", "{unknown}");
}

/// The tenant's only delivery of `event_type`, once it is no longer pending.
async fn settled_delivery(app: &TestApp, token: &str, event_type: &str) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let listed = app.gql(token, DELIVERIES, json!({"filter": {"eventType": event_type}})).await;
        let edges = listed["data"]["webhookDeliveries"]["edges"].as_array().cloned().unwrap_or_default();
        assert_eq!(edges.len(), 1, "{listed}");
        let delivery = edges[0]["node"].clone();
        if delivery["status"] != "PENDING" || tokio::time::Instant::now() >= deadline {
            return delivery;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn patterns_filter_event_types_and_other_tenants_events_never_arrive() {
    let app = allowing_private().await;
    let receiver = Receiver::start().await;
    let token = app.token_a("alice");
    point_webhook(&app, &token, &receiver.url(), &["shipment.*"]).await;
    let other = Receiver::start().await;
    let token_p = app.token_p("paula");
    point_webhook(&app, &token_p, &other.url(), &["*"]).await;

    let order = app.create_order(&token, "PAT-1", vec![line("SKU-1", 2, "5.00")]).await;
    let order_id = order["id"].as_str().unwrap();
    let shipped = app.ship(&token, order_id, &[("SKU-1", 1)]).await;
    assert_eq!(shipped["userErrors"], json!([]), "{shipped}");
    app.create_order(&token_p, "PAT-P", vec![line("SKU-9", 1, "1.00")]).await;

    let shipments = receiver.wait_for(1, PATIENCE, |r| r.json()["type"] == "shipment.created").await;
    assert_eq!(shipments.len(), 1, "shipment.* matches shipment.created");
    let others = other.wait_for(1, PATIENCE, |r| r.json()["type"] == "order.created").await;
    assert_eq!(others.len(), 1, "tenant P gets its own order.created");
    // Everything that was going to arrive has had its chance by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for r in receiver.received() {
        let event = r.json();
        assert_eq!(event["tenantId"], TENANT_A, "only tenant A's events reach A: {event}");
        assert!(event["type"].as_str().unwrap().starts_with("shipment."), "order.* was not asked for: {event}");
    }
    for r in other.received() {
        assert_eq!(r.json()["tenantId"], TENANT_P, "only tenant P's events reach P");
    }
}

#[tokio::test]
async fn private_and_loopback_webhook_urls_are_refused_without_the_opt_in() {
    let app = TestApp::spawn().await;
    let token = app.token_a("alice");
    for url in ["http://127.0.0.1", "https://10.0.0.5", "https://169.254.169.254", "https://localhost"] {
        let refused = point_webhook(&app, &token, url, &["order.*"]).await;
        assert_eq!(refused["userErrors"][0]["code"], "VALIDATION_FAILED", "{url}: {refused}");
        assert_eq!(refused["tenantConfig"], Value::Null, "{url} changed nothing: {refused}");
    }
    let public = point_webhook(&app, &token, "https://hooks.tenant-a.example/oms", &["order.*"]).await;
    assert_eq!(public["userErrors"], json!([]), "a public URL is accepted: {public}");
}

#[tokio::test]
async fn a_secret_receivers_cannot_use_is_refused_and_never_echoed() {
    let app = TestApp::spawn().await;
    let token = app.token_a("alice");
    for secret in ["not base64 at all!", "whsec_c2hvcnQ="] {
        let input =
            json!({"input": {"outboundWebhook": {"url": "https://hooks.example/oms", "secret": secret, "events": []}}});
        let refused = app.gql(&token, UPDATE_CONFIG, input).await["data"]["updateTenantConfig"].clone();
        assert_eq!(refused["userErrors"][0]["code"], "VALIDATION_FAILED", "{secret}: {refused}");
        assert!(!refused.to_string().contains(secret), "the secret is not repeated: {refused}");
    }
}
