//! Concurrent mutations of one order never lose an update nor over-allocate.

use futures::future::join_all;
use serde_json::json;

use crate::support::{TestApp, line};

#[tokio::test]
async fn fifty_concurrent_shipments_allocate_exactly_the_ordered_units() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let id = app.create_order(&t, "conc-1", vec![line("A", 10, "1.00")]).await["id"].as_str().unwrap().to_owned();
    let input = json!({"orderId": id, "mode": "WAREHOUSE", "items": [{"sku": "A", "vendorId": "v1", "quantity": 1}]});
    let results = join_all((0..50).map(|_| app.mutate(&t, "createShipment", input.clone()))).await;

    let accepted = results.iter().filter(|p| p["userErrors"] == json!([])).count();
    let refused: Vec<_> = results.iter().filter(|p| p["userErrors"] != json!([])).collect();
    assert_eq!(accepted, 10, "{results:?}");
    assert!(refused.iter().all(|p| p["userErrors"][0]["code"] == "VALIDATION_FAILED"), "{refused:?}");

    let order = app.order(&t, &id).await;
    assert_eq!(order["lines"][0]["quantityAllocated"], 10);
    assert_eq!(order["shipments"].as_array().unwrap().len(), 10);
    // Every accepted change is one version: nothing was lost.
    assert_eq!(order["version"], 11);
}

#[tokio::test]
async fn concurrent_mutations_of_different_kinds_serialize() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let id = app.create_order(&t, "conc-2", vec![line("A", 20, "1.00")]).await["id"].as_str().unwrap().to_owned();
    let ship = json!({"orderId": id, "mode": "WAREHOUSE", "items": [{"sku": "A", "vendorId": "v1", "quantity": 1}]});
    let mut calls = Vec::new();
    for i in 0..20 {
        if i == 10 {
            calls.push(app.mutate(&t, "escalateOrderReview", json!({"id": id, "reviewer": "rita"})));
        } else {
            calls.push(app.mutate(&t, "createShipment", ship.clone()));
        }
    }
    let results = join_all(calls).await;
    let accepted = results.iter().filter(|p| p["userErrors"] == json!([])).count() as i64;
    let order = app.order(&t, &id).await;
    assert_eq!(order["version"].as_i64().unwrap(), 1 + accepted, "{results:?}");
    assert_eq!(order["onReviewHold"], true);
    let shipments = order["shipments"].as_array().unwrap().len() as i64;
    assert_eq!(order["lines"][0]["quantityAllocated"].as_i64().unwrap(), shipments);
}
