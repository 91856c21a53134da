//! Another tenant's objects do not exist: reads answer null, writes NOT_FOUND, nothing changes.

use serde_json::json;

use crate::support::{TestApp, line};

#[tokio::test]
async fn cross_tenant_reads_are_null_and_writes_not_found() {
    let app = TestApp::spawn().await;
    let a = app.token_a("alice");
    let b = app.token_b("bob");
    let order = app.create_order(&a, "iso-1", vec![line("A", 2, "1.00")]).await;
    let id = order["id"].as_str().unwrap();
    let sid = app.ship(&a, id, &[("A", 1)]).await["shipment"]["id"].as_str().unwrap().to_owned();
    let before = app.order(&a, id).await;

    let q = app
        .gql(
            &b,
            "query($id: ID!, $sid: ID!) { order(id: $id) { id } orderByExternalRef(externalRef: \"iso-1\") { id } shipment(id: $sid) { id } orders { nodes { id } } }",
            json!({"id": id, "sid": sid}),
        )
        .await;
    assert!(q["errors"].is_null(), "{q}");
    assert_eq!(q["data"]["order"], json!(null));
    assert_eq!(q["data"]["orderByExternalRef"], json!(null));
    assert_eq!(q["data"]["shipment"], json!(null));
    assert_eq!(q["data"]["orders"]["nodes"], json!([]));

    for (m, input) in [
        ("cancelOrder", json!({"id": id})),
        ("confirmOrder", json!({"id": id})),
        ("escalateOrderReview", json!({"id": id, "reviewer": "bob"})),
        (
            "createShipment",
            json!({"orderId": id, "mode": "PICKUP", "items": [{"sku": "A", "vendorId": "v1", "quantity": 1}]}),
        ),
        ("confirmShipment", json!({"id": sid})),
        ("cancelShipment", json!({"id": sid})),
    ] {
        let p = app.mutate(&b, m, input).await;
        assert_eq!(p["userErrors"][0]["code"], "NOT_FOUND", "{m}: {p}");
    }
    assert_eq!(app.order(&a, id).await, before);
}

#[tokio::test]
async fn keys_are_tenant_scoped() {
    let app = TestApp::spawn().await;
    let a = app.create_order(&app.token_a("alice"), "same-ref", vec![line("A", 1, "1.00")]).await;
    let b = app.create_order(&app.token_b("bob"), "same-ref", vec![line("A", 1, "1.00")]).await;
    assert_ne!(a["id"], b["id"]);
    // Order numbers restart per tenant.
    assert_eq!(a["number"], "ORD-000001");
    assert_eq!(b["number"], "ORD-000001");
}
