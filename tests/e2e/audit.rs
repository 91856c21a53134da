//! Every state-changing call leaves exactly one audit record, refused ones included.

use serde_json::{Value, json};

use crate::support::{TENANT_A, TestApp, line, ops_doc, order_input};

const AUDIT: &str = "{ auditLog(first: 100) { nodes { actor action orderId targetIds input outcome requestId } } }";

async fn trail(app: &TestApp, token: &str) -> Vec<Value> {
    let body = app.gql(token, AUDIT, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["auditLog"]["nodes"].as_array().unwrap().clone()
}

/// Runs one mutation as `token` with a known request id and checks it added exactly one record,
/// the newest, with this action, outcome and request id.
async fn audited(app: &TestApp, auditor: &str, token: &str, mutation: &str, input: Value, outcome: &str) -> Value {
    let before = trail(app, auditor).await.len();
    let request_id = format!("req-{}", uuid::Uuid::new_v4());
    let auth = format!("Bearer {token}");
    let (_, body) = app
        .post(
            &[("authorization", &auth), ("x-request-id", &request_id)],
            &json!({"query": ops_doc(mutation), "variables": {"input": input}}),
        )
        .await;
    let after = trail(app, auditor).await;
    assert_eq!(after.len(), before + 1, "{mutation} left {} records: {body}", after.len() - before);
    let newest = after[0].clone();
    assert_eq!(newest["action"], mutation, "{newest}");
    assert_eq!(newest["outcome"], outcome, "{mutation}: {newest} / {body}");
    assert_eq!(newest["requestId"], request_id.as_str());
    newest
}

#[tokio::test]
async fn every_foundation_mutation_leaves_exactly_one_record() {
    let app = TestApp::spawn().await;
    let admin = app.token_a("alice");
    let a = admin.as_str();

    let created = audited(&app, a, a, "createOrder", order_input("au-1", vec![line("A", 1, "2.00")]), "ok").await;
    assert_eq!(created["actor"], "alice");
    assert_eq!(created["input"]["externalRef"], "au-1");
    let order_id = created["orderId"].as_str().expect("order id recorded").to_owned();
    let id = order_id.as_str();
    // A replay changes nothing but is still one call, recorded once.
    audited(&app, a, a, "createOrder", order_input("au-1", vec![line("A", 1, "2.00")]), "ok").await;
    audited(&app, a, a, "createOrder", order_input("au-x", vec![line("A", 0, "2.00")]), "VALIDATION_FAILED").await;
    audited(&app, a, a, "confirmOrder", json!({"id": id}), "INVALID_STATE").await;

    audited(&app, a, a, "escalateOrderReview", json!({"id": id, "reviewer": "rita"}), "ok").await;
    audited(&app, a, a, "reviewOrder", json!({"id": id, "approved": true}), "FORBIDDEN").await;
    let rita = app.token_a("rita");
    let reviewed = audited(&app, a, &rita, "reviewOrder", json!({"id": id, "approved": true}), "ok").await;
    assert_eq!(reviewed["actor"], "rita");

    let ship = json!({"orderId": id, "mode": "PICKUP", "items": [{"sku": "A", "vendorId": "v1", "quantity": 1}]});
    let shipped = audited(&app, a, a, "createShipment", ship.clone(), "ok").await;
    assert_eq!(shipped["orderId"], id);
    let shipment_id = shipped["targetIds"][1].as_str().expect("shipment id recorded").to_owned();
    let sid = shipment_id.as_str();
    audited(&app, a, a, "createShipment", ship, "VALIDATION_FAILED").await;
    let confirmed = audited(&app, a, a, "confirmShipment", json!({"id": sid}), "ok").await;
    assert_eq!(confirmed["orderId"], id, "the shipment's order is recorded");
    audited(&app, a, a, "dispatchShipment", json!({"id": sid, "trackingReference": "AU-1"}), "ok").await;
    audited(&app, a, a, "cancelShipment", json!({"id": sid}), "INVALID_STATE").await;
    audited(&app, a, a, "deliverShipment", json!({"id": sid}), "ok").await;
    audited(&app, a, a, "completeOrder", json!({"id": id}), "INVALID_STATE").await;
    let pay = json!({"orderId": id, "amount": {"amount": "2.00", "currency": "USD"}, "idempotencyKey": "au-pay"});
    let paid = audited(&app, a, a, "recordPayment", pay.clone(), "ok").await;
    assert_eq!(paid["orderId"], id);
    assert_eq!(paid["input"]["amount"]["amount"], "2.00");
    audited(&app, a, a, "recordPayment", pay, "ok").await;
    let more = json!({"orderId": id, "amount": {"amount": "1.00", "currency": "USD"}});
    audited(&app, a, a, "recordPayment", more, "INVALID_STATE").await;
    audited(&app, a, a, "completeOrder", json!({"id": id}), "ok").await;

    let ret = json!({"orderId": id, "lines": [{"sku": "A", "vendorId": "v1", "quantity": 1}], "reason": "broken"});
    audited(
        &app,
        a,
        a,
        "requestReturn",
        json!({"orderId": id, "lines": [{"sku": "A", "vendorId": "v1", "quantity": 2}]}),
        "VALIDATION_FAILED",
    )
    .await;
    let requested = audited(&app, a, a, "requestReturn", ret, "ok").await;
    assert_eq!(requested["orderId"], id);
    let rid = app.order(a, id).await["returns"][0]["id"].as_str().expect("return").to_owned();
    audited(&app, a, a, "processRefund", json!({"returnId": rid}), "INVALID_STATE").await;
    let approved = audited(&app, a, a, "approveReturn", json!({"id": rid}), "ok").await;
    assert_eq!(approved["orderId"], id);
    audited(&app, a, a, "declineReturn", json!({"id": rid, "reason": "late"}), "INVALID_STATE").await;
    audited(&app, a, a, "processRefund", json!({"returnId": rid, "comments": "sorry"}), "ok").await;
    audited(&app, a, a, "processRefund", json!({"returnId": rid, "idempotencyKey": "other"}), "INVALID_STATE").await;
    audited(&app, a, a, "approveReturn", json!({"id": uuid::Uuid::now_v7().to_string()}), "NOT_FOUND").await;
    audited(&app, a, a, "cancelOrder", json!({"id": id}), "INVALID_STATE").await;
    audited(&app, a, a, "confirmShipment", json!({"id": uuid::Uuid::now_v7().to_string()}), "NOT_FOUND").await;

    // Callers refused by the plan or their roles are recorded too, under their own name.
    let nobody = app.token_for(TENANT_A, "nobody", &["no-such-role"]);
    let refused =
        audited(&app, a, &nobody, "createOrder", order_input("au-2", vec![line("A", 1, "1.00")]), "FORBIDDEN").await;
    assert_eq!(refused["actor"], "nobody");
    let vendor = app.token_for(TENANT_A, "vera", &["vendor"]);
    audited(&app, a, &vendor, "dispatchShipment", json!({"id": sid, "trackingReference": "X"}), "FORBIDDEN").await;
}

#[tokio::test]
async fn audit_log_filters_and_stays_within_the_tenant() {
    let app = TestApp::spawn().await;
    let a = app.token_a("alice");
    let first = app.create_order(&a, "f-1", vec![line("A", 1, "1.00")]).await;
    app.create_order(&app.token_a("bob"), "f-2", vec![line("A", 1, "1.00")]).await;
    let id = first["id"].as_str().unwrap();
    app.mutate(&a, "cancelOrder", json!({"id": id})).await;

    let q = "query($f: AuditLogFilter) { auditLog(filter: $f) { nodes { action actor orderId } } }";
    let by_order = app.gql(&a, q, json!({"f": {"orderId": id}})).await;
    let actions: Vec<&str> = by_order["data"]["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["cancelOrder", "createOrder"]);
    let by_actor = app.gql(&a, q, json!({"f": {"actor": "bob"}})).await;
    assert_eq!(by_actor["data"]["auditLog"]["nodes"].as_array().unwrap().len(), 1);
    let by_action = app.gql(&a, q, json!({"f": {"action": "createOrder"}})).await;
    assert_eq!(by_action["data"]["auditLog"]["nodes"].as_array().unwrap().len(), 2);
    let future = app.gql(&a, q, json!({"f": {"from": "2999-01-01T00:00:00Z"}})).await;
    assert_eq!(future["data"]["auditLog"]["nodes"], json!([]));

    // Tenant B sees none of tenant A's trail.
    let b = app.gql(&app.token_b("bea"), q, json!({})).await;
    assert_eq!(b["data"]["auditLog"]["nodes"], json!([]), "{b}");
}
