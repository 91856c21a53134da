//! Every refused transition answers its error code and leaves the order exactly as it was.

use serde_json::{Value, json};

use crate::support::{TestApp, line};

/// Applies `mutation`, expects the user error `code`, and checks the order did not change.
async fn refused(app: &TestApp, t: &str, order_id: &str, mutation: &str, input: Value, code: &str) {
    let before = app.order(t, order_id).await;
    let p = app.mutate(t, mutation, input).await;
    assert_eq!(p["userErrors"][0]["code"], code, "{mutation}: {p}");
    assert!(p["order"].is_null(), "{mutation} returned an order despite failing: {p}");
    assert_eq!(app.order(t, order_id).await, before, "{mutation} changed the order although refused");
}

async fn confirmed_order(app: &TestApp, t: &str, ext: &str) -> String {
    app.create_order(t, ext, vec![line("A", 2, "3.00")]).await["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn order_transitions_refused_from_wrong_states() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let id = confirmed_order(&app, &t, "tr-1").await;
    refused(&app, &t, &id, "confirmOrder", json!({"id": id}), "INVALID_STATE").await;
    refused(&app, &t, &id, "completeOrder", json!({"id": id}), "INVALID_STATE").await;
    refused(&app, &t, &id, "reviewOrder", json!({"id": id, "approved": true}), "INVALID_STATE").await;

    app.mutate(&t, "cancelOrder", json!({"id": id})).await;
    for (m, input) in [
        ("cancelOrder", json!({"id": id})),
        ("confirmOrder", json!({"id": id})),
        ("completeOrder", json!({"id": id})),
        ("escalateOrderReview", json!({"id": id, "reviewer": "rita"})),
    ] {
        refused(&app, &t, &id, m, input, "INVALID_STATE").await;
    }
    let s = app.ship(&t, &id, &[("A", 1)]).await;
    assert_eq!(s["userErrors"][0]["code"], "INVALID_STATE");
}

#[tokio::test]
async fn shipment_on_pending_order_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.token_p("pat");
    let id = app.create_order(&t, "tr-p", vec![line("A", 1, "1.00")]).await["id"].as_str().unwrap().to_owned();
    let s = app.ship(&t, &id, &[("A", 1)]).await;
    assert_eq!(s["userErrors"][0]["code"], "INVALID_STATE");
}

#[tokio::test]
async fn shipment_transitions_refused_from_wrong_states() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let id = confirmed_order(&app, &t, "tr-2").await;
    let sid = app.ship(&t, &id, &[("A", 1)]).await["shipment"]["id"].as_str().unwrap().to_owned();
    // PENDING: cannot dispatch or deliver.
    refused(&app, &t, &id, "dispatchShipment", json!({"id": sid, "trackingReference": "T-1"}), "INVALID_STATE").await;
    refused(&app, &t, &id, "deliverShipment", json!({"id": sid}), "INVALID_STATE").await;
    app.mutate(&t, "confirmShipment", json!({"id": sid})).await;
    // CONFIRMED: cannot be confirmed again or delivered.
    refused(&app, &t, &id, "confirmShipment", json!({"id": sid}), "INVALID_STATE").await;
    refused(&app, &t, &id, "deliverShipment", json!({"id": sid}), "INVALID_STATE").await;
    app.mutate(&t, "dispatchShipment", json!({"id": sid, "trackingReference": "T-1"})).await;
    // SHIPPED: cannot be cancelled, re-dispatched; the order can no longer be cancelled.
    refused(&app, &t, &id, "cancelShipment", json!({"id": sid}), "INVALID_STATE").await;
    refused(&app, &t, &id, "dispatchShipment", json!({"id": sid, "trackingReference": "T-2"}), "INVALID_STATE").await;
    refused(&app, &t, &id, "cancelOrder", json!({"id": id}), "INVALID_STATE").await;
    refused(&app, &t, &id, "escalateOrderReview", json!({"id": id, "reviewer": "rita"}), "INVALID_STATE").await;
    app.mutate(&t, "deliverShipment", json!({"id": sid})).await;
    refused(&app, &t, &id, "deliverShipment", json!({"id": sid}), "INVALID_STATE").await;
    refused(&app, &t, &id, "completeOrder", json!({"id": id}), "INVALID_STATE").await;
}

#[tokio::test]
async fn over_allocation_and_unknown_items_are_refused() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let id = confirmed_order(&app, &t, "tr-3").await;
    let input = |items: Value| json!({"orderId": id, "mode": "PICKUP", "items": items});
    // Too many units, an unknown sku, another vendor's line, a zero quantity, no items at all.
    for items in [
        json!([{"sku": "A", "vendorId": "v1", "quantity": 3}]),
        json!([{"sku": "Z", "vendorId": "v1", "quantity": 1}]),
        json!([{"sku": "A", "vendorId": "v2", "quantity": 1}]),
        json!([{"sku": "A", "vendorId": "v1", "quantity": 0}]),
        json!([]),
    ] {
        refused(&app, &t, &id, "createShipment", input(items), "VALIDATION_FAILED").await;
    }
    let p = app.mutate(&t, "createShipment", input(json!([{"sku": "A", "vendorId": "v1", "quantity": 3}]))).await;
    assert_eq!(p["userErrors"][0]["field"], json!(["items", "0", "quantity"]));

    // A cancelled shipment gives its units back.
    let sid = app.ship(&t, &id, &[("A", 2)]).await["shipment"]["id"].as_str().unwrap().to_owned();
    refused(
        &app,
        &t,
        &id,
        "createShipment",
        input(json!([{"sku": "A", "vendorId": "v1", "quantity": 1}])),
        "VALIDATION_FAILED",
    )
    .await;
    app.mutate(&t, "cancelShipment", json!({"id": sid})).await;
    assert_eq!(app.ship(&t, &id, &[("A", 2)]).await["userErrors"], json!([]));
}

#[tokio::test]
async fn stale_expected_version_is_a_conflict() {
    let app = TestApp::spawn().await;
    let t = app.token_p("pat");
    let id = app.create_order(&t, "tr-v", vec![line("A", 1, "1.00")]).await["id"].as_str().unwrap().to_owned();
    app.mutate(&t, "escalateOrderReview", json!({"id": id, "reviewer": "rita"})).await;
    refused(&app, &t, &id, "confirmOrder", json!({"id": id, "expectedVersion": 1}), "CONFLICT").await;
    let ok = app.mutate(&t, "cancelOrder", json!({"id": id, "expectedVersion": 2})).await;
    assert_eq!(ok["order"]["status"], "CANCELLED");
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let missing = uuid::Uuid::now_v7().to_string();
    for (m, input) in [
        ("confirmOrder", json!({"id": missing})),
        ("cancelOrder", json!({"id": "garbage"})),
        ("confirmShipment", json!({"id": missing})),
        ("dispatchShipment", json!({"id": missing, "trackingReference": "X"})),
        (
            "createShipment",
            json!({"orderId": missing, "mode": "PICKUP", "items": [{"sku": "A", "vendorId": "v1", "quantity": 1}]}),
        ),
    ] {
        let p = app.mutate(&t, m, input).await;
        assert_eq!(p["userErrors"][0]["code"], "NOT_FOUND", "{m}: {p}");
    }
}

#[tokio::test]
async fn tracking_reference_is_unique_per_carrier() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let id = app.create_order(&t, "tr-trk", vec![line("A", 3, "1.00")]).await["id"].as_str().unwrap().to_owned();
    let first = app.ship(&t, &id, &[("A", 1)]).await["shipment"]["id"].as_str().unwrap().to_owned();
    app.confirm_and_dispatch(&t, &first, "DUP-1").await;

    let second = app.ship(&t, &id, &[("A", 1)]).await["shipment"]["id"].as_str().unwrap().to_owned();
    app.mutate(&t, "confirmShipment", json!({"id": second})).await;
    refused(&app, &t, &id, "dispatchShipment", json!({"id": second, "trackingReference": "DUP-1"}), "CONFLICT").await;

    // Another carrier may use the same reference.
    let other = app
        .mutate(
            &t,
            "createShipment",
            json!({"orderId": id, "mode": "DROPOFF", "provider": "aramex",
            "items": [{"sku": "A", "vendorId": "v1", "quantity": 1}]}),
        )
        .await["shipment"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.confirm_and_dispatch(&t, &other, "DUP-1").await;
}
