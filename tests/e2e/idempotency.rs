//! Replays return the original result; a reused key with other content is refused.

use futures::future::join_all;
use serde_json::json;

use crate::support::{TestApp, line, order_input};

async fn count_orders(app: &TestApp, t: &str) -> usize {
    let body = app.gql(t, "{ orders(first: 100) { nodes { id } } }", json!({})).await;
    body["data"]["orders"]["nodes"].as_array().unwrap().len()
}

#[tokio::test]
async fn same_external_ref_returns_the_first_order() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let first = app.mutate(&t, "createOrder", order_input("dup-ref", vec![line("A", 1, "1.00")])).await;
    assert_eq!(first["replayed"], false);
    let second = app.mutate(&t, "createOrder", order_input("dup-ref", vec![line("B", 9, "9.00")])).await;
    assert_eq!(second["replayed"], true);
    assert_eq!(second["order"]["id"], first["order"]["id"]);
    assert_eq!(second["order"]["lines"][0]["sku"], "A");
    assert_eq!(count_orders(&app, &t).await, 1);
}

#[tokio::test]
async fn concurrent_creates_with_one_external_ref_make_one_order() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let calls = (0..20).map(|_| app.mutate(&t, "createOrder", order_input("race-ref", vec![line("A", 1, "1.00")])));
    let results = join_all(calls).await;
    let ids: std::collections::HashSet<_> =
        results.iter().map(|p| p["order"]["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|p| p["replayed"] == false).count(), 1);
    assert_eq!(count_orders(&app, &t).await, 1);
}

#[tokio::test]
async fn idempotency_key_replays_and_refuses_other_content() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let mut input = order_input("", vec![line("A", 1, "1.00")]);
    input["externalRef"] = json!(null);
    input["idempotencyKey"] = json!("key-1");
    let first = app.mutate(&t, "createOrder", input.clone()).await;
    let again = app.mutate(&t, "createOrder", input.clone()).await;
    assert_eq!(again["replayed"], true);
    assert_eq!(again["order"]["id"], first["order"]["id"]);

    input["lines"] = json!([line("A", 2, "1.00")]);
    let conflict = app.mutate(&t, "createOrder", input).await;
    assert_eq!(conflict["userErrors"][0]["code"], "IDEMPOTENCY_CONFLICT");
    assert_eq!(conflict["userErrors"][0]["field"], json!(["idempotencyKey"]));
    assert_eq!(count_orders(&app, &t).await, 1);
}

#[tokio::test]
async fn idempotency_key_header_is_honoured() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let auth = format!("Bearer {t}");
    let mut input = order_input("", vec![line("A", 1, "1.00")]);
    input["externalRef"] = json!(null);
    let body = json!({"query": crate::support::ops_doc("createOrder"), "variables": {"input": input}});
    let headers = [("authorization", auth.as_str()), ("idempotency-key", "hdr-1")];
    let (_, a) = app.post(&headers, &body).await;
    let (_, b) = app.post(&headers, &body).await;
    assert_eq!(a["data"]["createOrder"]["order"]["id"], b["data"]["createOrder"]["order"]["id"]);
    assert_eq!(b["data"]["createOrder"]["replayed"], true);
    assert_eq!(count_orders(&app, &t).await, 1);
}

#[tokio::test]
async fn shipment_idempotency_key_allocates_once() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let id = app.create_order(&t, "ship-key", vec![line("A", 5, "1.00")]).await["id"].as_str().unwrap().to_owned();
    let input = json!({"orderId": id, "mode": "WAREHOUSE", "idempotencyKey": "ship-1",
                       "items": [{"sku": "A", "vendorId": "v1", "quantity": 2}]});
    let results = join_all((0..10).map(|_| app.mutate(&t, "createShipment", input.clone()))).await;
    let ids: std::collections::HashSet<_> =
        results.iter().map(|p| p["shipment"]["id"].as_str().unwrap_or_else(|| panic!("{p}")).to_owned()).collect();
    assert_eq!(ids.len(), 1);
    let order = app.order(&t, &id).await;
    assert_eq!(order["lines"][0]["quantityAllocated"], 2);
    assert_eq!(order["shipments"].as_array().unwrap().len(), 1);

    let reused = app.mutate(&t, "createOrder", {
        let mut o = order_input("other", vec![line("A", 1, "1.00")]);
        o["idempotencyKey"] = json!("ship-1");
        o
    });
    assert_eq!(reused.await["userErrors"][0]["code"], "IDEMPOTENCY_CONFLICT");
}
