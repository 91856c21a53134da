//! The happy paths: create → ship → deliver → complete, partial roll-ups per line quantity,
//! manual confirmation, review holds, listing and lookups.

use serde_json::json;

use crate::support::{TestApp, error_code, line, order_input};

#[tokio::test]
async fn full_happy_path_rolls_up_per_line_quantity() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "ext-1", vec![line("A", 3, "10.00"), line("B", 1, "5.25")]).await;
    assert_eq!(order["status"], "CONFIRMED");
    assert_eq!(order["number"], "ORD-000001");
    assert_eq!(order["total"], json!({"amount": "35.25", "currency": "USD"}));
    assert_eq!(order["version"], 1);
    let id = order["id"].as_str().unwrap();

    // 2 of 3 units of A: the order is partially shipped, even though line A is not whole.
    let s1 = app.ship(&t, id, &[("A", 2)]).await;
    assert_eq!(s1["userErrors"], json!([]));
    assert_eq!(s1["shipment"]["status"], "PENDING");
    let s1_id = s1["shipment"]["id"].as_str().unwrap().to_owned();
    let d1 = app.confirm_and_dispatch(&t, &s1_id, "TRK-1").await;
    assert_eq!(d1["shipment"]["status"], "SHIPPED");
    assert_eq!(d1["order"]["status"], "PARTIALLY_SHIPPED");

    let s2 = app.ship(&t, id, &[("A", 1), ("B", 1)]).await;
    let s2_id = s2["shipment"]["id"].as_str().unwrap().to_owned();
    let d2 = app.confirm_and_dispatch(&t, &s2_id, "TRK-2").await;
    assert_eq!(d2["order"]["status"], "SHIPPED");

    let del1 = app.mutate(&t, "deliverShipment", json!({"id": s1_id})).await;
    assert_eq!(del1["shipment"]["status"], "DELIVERED");
    // Every unit has left the warehouse: the spec's rules put "all shipped" before "some delivered".
    assert_eq!(del1["order"]["status"], "SHIPPED");
    let lines = &del1["order"]["lines"];
    assert_eq!(lines[0]["quantityDelivered"], 2);
    assert_eq!(lines[0]["quantityShipped"], 3);

    let del2 = app.mutate(&t, "deliverShipment", json!({"id": s2_id})).await;
    assert_eq!(del2["order"]["status"], "DELIVERED");

    let paid = app.pay(&t, id, "35.25", "USD", None).await;
    assert_eq!(paid["userErrors"], json!([]));
    let done = app.mutate(&t, "completeOrder", json!({"id": id})).await;
    assert_eq!(done["userErrors"], json!([]));
    assert_eq!(done["order"]["status"], "COMPLETED");
    assert_eq!(done["order"]["paymentStatus"], "PAID");
    // create + 2×(create, confirm, dispatch) + 2 deliveries + payment + complete = 11 versions.
    assert_eq!(done["order"]["version"], 11);

    let reloaded = app.order(&t, id).await;
    assert_eq!(reloaded["status"], "COMPLETED");
    assert_eq!(reloaded["shipments"][0]["trackingReference"], "TRK-1");
    assert_eq!(reloaded["shipments"][0]["cost"], json!({"amount": "4.50", "currency": "USD"}));
}

#[tokio::test]
async fn partial_delivery_of_one_line_is_partially_delivered() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "ext-pd", vec![line("A", 4, "1.00")]).await;
    let id = order["id"].as_str().unwrap();
    let s = app.ship(&t, id, &[("A", 1)]).await;
    let sid = s["shipment"]["id"].as_str().unwrap().to_owned();
    app.confirm_and_dispatch(&t, &sid, "TRK-PD").await;
    let d = app.mutate(&t, "deliverShipment", json!({"id": sid})).await;
    assert_eq!(d["order"]["status"], "PARTIALLY_DELIVERED");
    assert_eq!(d["order"]["lines"][0]["quantityDelivered"], 1);
}

#[tokio::test]
async fn tenant_without_auto_confirm_creates_pending_orders() {
    let app = TestApp::spawn().await;
    let t = app.token_p("pat");
    let order = app.create_order(&t, "p-1", vec![line("A", 1, "1.00")]).await;
    assert_eq!(order["status"], "PENDING");
    let id = order["id"].as_str().unwrap();
    let c = app.mutate(&t, "confirmOrder", json!({"id": id, "expectedVersion": 1})).await;
    assert_eq!(c["userErrors"], json!([]));
    assert_eq!(c["order"]["status"], "CONFIRMED");
    assert_eq!(c["order"]["version"], 2);
}

#[tokio::test]
async fn review_hold_blocks_shipping_until_the_named_reviewer_approves() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "rev-1", vec![line("A", 2, "1.00")]).await;
    let id = order["id"].as_str().unwrap();
    let e = app.mutate(&t, "escalateOrderReview", json!({"id": id, "reviewer": "rita", "comments": "fraud?"})).await;
    assert_eq!(e["order"]["onReviewHold"], true);

    let blocked = app.ship(&t, id, &[("A", 1)]).await;
    assert_eq!(blocked["userErrors"][0]["code"], "INVALID_STATE");

    // Someone else may not decide.
    let body =
        app.gql(&t, &crate::support::ops_doc("reviewOrder"), json!({"input": {"id": id, "approved": true}})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"));

    let rita = app.token_a("rita");
    let r = app.mutate(&rita, "reviewOrder", json!({"id": id, "approved": true, "comments": "ok"})).await;
    assert_eq!(r["userErrors"], json!([]));
    assert_eq!(r["order"]["onReviewHold"], false);
    assert_eq!(r["order"]["review"]["decision"]["approved"], true);
    let s = app.ship(&t, id, &[("A", 1)]).await;
    assert_eq!(s["userErrors"], json!([]));
}

#[tokio::test]
async fn rejected_review_cancels_the_order() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "rev-2", vec![line("A", 2, "1.00")]).await;
    let id = order["id"].as_str().unwrap();
    app.mutate(&t, "escalateOrderReview", json!({"id": id, "reviewer": "rita"})).await;
    let r = app
        .mutate(&app.token_a("rita"), "reviewOrder", json!({"id": id, "approved": false, "comments": "fraud"}))
        .await;
    assert_eq!(r["order"]["status"], "CANCELLED");
}

#[tokio::test]
async fn kwd_amounts_keep_three_decimals_exactly() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let mut input = order_input("kwd-1", vec![]);
    input["lines"] = json!([{"sku": "K", "name": "Dates", "vendorId": "v1", "quantity": 3,
                             "unitPrice": {"amount": "1.005", "currency": "KWD"}}]);
    let p = app.mutate(&t, "createOrder", input).await;
    assert_eq!(p["order"]["total"], json!({"amount": "3.015", "currency": "KWD"}));
    assert_eq!(p["order"]["lines"][0]["unitPrice"]["amount"], "1.005");
}

#[tokio::test]
async fn orders_list_paginates_and_filters_without_losing_rows() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let mut ids = Vec::new();
    for i in 0..7 {
        let sku = if i % 2 == 0 { "EVEN" } else { "ODD" };
        let o = app.create_order(&t, &format!("list-{i}"), vec![line(sku, 1, "1.00")]).await;
        ids.push(o["id"].as_str().unwrap().to_owned());
    }
    let doc = "query($first: Int, $after: String, $filter: OrderFilter) { orders(first: $first, after: $after, filter: $filter) { edges { cursor node { id externalRef } } nodes { id } pageInfo { hasNextPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app.gql(&t, doc, json!({"first": 3, "after": after})).await;
        let conn = &body["data"]["orders"];
        for n in conn["nodes"].as_array().unwrap() {
            seen.push(n["id"].as_str().unwrap().to_owned());
        }
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first, "every order exactly once, newest first");

    let even = app.gql(&t, doc, json!({"first": 100, "filter": {"sku": "EVEN"}})).await;
    assert_eq!(even["data"]["orders"]["nodes"].as_array().unwrap().len(), 4);
    let by_email = app.gql(&t, doc, json!({"filter": {"customerEmail": "ANN@example.com"}})).await;
    assert_eq!(by_email["data"]["orders"]["nodes"].as_array().unwrap().len(), 7);
    let none = app.gql(&t, doc, json!({"filter": {"customerEmail": "bob@example.com"}})).await;
    assert_eq!(none["data"]["orders"]["nodes"], json!([]));
    let confirmed =
        app.gql(&t, doc, json!({"filter": {"status": "CONFIRMED", "createdAfter": "2000-01-01T00:00:00Z"}})).await;
    assert_eq!(confirmed["data"]["orders"]["nodes"].as_array().unwrap().len(), 7);
    let future = app.gql(&t, doc, json!({"filter": {"createdAfter": "2999-01-01T00:00:00Z"}})).await;
    assert_eq!(future["data"]["orders"]["nodes"], json!([]));
    let past = app.gql(&t, doc, json!({"filter": {"createdBefore": "2000-01-01T00:00:00Z"}})).await;
    assert_eq!(past["data"]["orders"]["nodes"], json!([]));
}

/// A createdAfter/createdBefore window is served by creation time, with cursors of its own: a
/// cursor of the list without a window is refused there by name, and the other way round.
#[tokio::test]
async fn a_time_window_pages_by_creation_time_with_cursors_of_its_own() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let mut ids = Vec::new();
    for i in 0..5 {
        let o = app.create_order(&t, &format!("win-{i}"), vec![line("A", 1, "1.00")]).await;
        ids.push(o["id"].as_str().unwrap().to_owned());
    }
    let doc = "query($first: Int, $after: String, $filter: OrderFilter) { orders(first: $first, after: $after, filter: $filter) { nodes { id createdAt } pageInfo { hasNextPage endCursor } } }";
    let window = json!({"createdAfter": "2000-01-01T00:00:00Z", "createdBefore": "2999-01-01T00:00:00Z"});
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app.gql(&t, doc, json!({"first": 2, "after": after, "filter": window})).await;
        let conn = &body["data"]["orders"];
        seen.extend(conn["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap().to_owned()));
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first, "every order of the window exactly once, newest first");

    let cursor =
        |body: &serde_json::Value| body["data"]["orders"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let by_id = cursor(&app.gql(&t, doc, json!({"first": 1})).await);
    let by_time = cursor(&app.gql(&t, doc, json!({"first": 1, "filter": window})).await);
    assert!(!by_id.contains(&ids[4]) && !by_time.contains(&ids[4]), "cursors are opaque: {by_id}, {by_time}");
    for (after, filter) in [(&by_id, window.clone()), (&by_time, json!(null))] {
        let mixed = app.gql(&t, doc, json!({"first": 1, "after": after, "filter": filter})).await;
        assert_eq!(error_code(&mixed), Some("VALIDATION_FAILED"), "{mixed}");
        assert!(mixed["errors"][0]["message"].as_str().unwrap().contains("another filter"), "{mixed}");
    }
    // Cursors handed out before they were opaque were the order id: still a place in the list.
    let legacy = app.gql(&t, doc, json!({"first": 10, "after": ids[2]})).await;
    let rest: Vec<&str> =
        legacy["data"]["orders"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).collect();
    assert_eq!(rest, vec![ids[1].as_str(), ids[0].as_str()]);
}

#[tokio::test]
async fn lookups_by_external_ref_and_shipment_id() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "look-1", vec![line("A", 2, "1.00")]).await;
    let id = order["id"].as_str().unwrap();
    let s = app.ship(&t, id, &[("A", 1)]).await;
    let sid = s["shipment"]["id"].as_str().unwrap();

    let by_ref = app.gql(&t, "{ orderByExternalRef(externalRef: \"look-1\") { id } }", json!({})).await;
    assert_eq!(by_ref["data"]["orderByExternalRef"]["id"], id);
    let sh = app
        .gql(
            &t,
            "query($id: ID!) { shipment(id: $id) { id status mode provider items { quantity } order { id } } }",
            json!({"id": sid}),
        )
        .await;
    assert_eq!(sh["data"]["shipment"]["order"]["id"], id);
    assert_eq!(sh["data"]["shipment"]["mode"], "WAREHOUSE");
    assert_eq!(sh["data"]["shipment"]["provider"], "dhl");
    let missing = app.gql(&t, "{ order(id: \"not-an-id\") { id } }", json!({})).await;
    assert_eq!(missing["data"]["order"], json!(null));
    assert!(missing["errors"].is_null());
}

#[tokio::test]
async fn cancel_order_cancels_its_open_shipments_and_frees_nothing_shipped() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "cx-1", vec![line("A", 2, "1.00")]).await;
    let id = order["id"].as_str().unwrap();
    app.ship(&t, id, &[("A", 1)]).await;
    let c = app.mutate(&t, "cancelOrder", json!({"id": id, "reason": "customer changed mind"})).await;
    assert_eq!(c["userErrors"], json!([]));
    assert_eq!(c["order"]["status"], "CANCELLED");
    assert_eq!(c["order"]["shipments"][0]["status"], "CANCELLED");
}

#[tokio::test]
async fn me_names_the_caller() {
    let app = TestApp::spawn().await;
    let body = app.gql(&app.token_a("alice"), "{ me { subject tenantId roles plan } }", json!({})).await;
    assert_eq!(
        body["data"]["me"],
        json!({"subject": "alice", "tenantId": "tenant_a", "roles": ["tenant_admin", "vendor"], "plan": "standard"})
    );
}
