//! Returns and refunds over HTTP: only delivered units come back; a refund is gross less the
//! restocking fee, capped by the tenant's max_refund_amount and by what was paid.

use serde_json::{Value, json};

use crate::support::{REFUND_150, REFUND_500, TestApp, line, line_in};

const ENTRIES: &str = "query($id: ID) { ledgerEntries(first: 100, filter: {orderId: $id}) { \
  nodes { kind postings { account side amount { amount currency } } } } }";

fn return_lines(sku: &str, quantity: i64) -> Value {
    json!([{"sku": sku, "vendorId": "v1", "quantity": quantity}])
}

/// Delivers `lines`, pays `amount`, requests and approves a return of `returned` units of "A".
async fn approved_return(
    app: &TestApp,
    t: &str,
    ext: &str,
    lines: Vec<Value>,
    amount: &str,
    currency: &str,
    returned: i64,
) -> (String, String) {
    let order = app.delivered_order(t, ext, lines).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let paid = app.pay(t, &id, amount, currency, None).await;
    assert_eq!(paid["userErrors"], json!([]), "{paid}");
    let requested = app
        .mutate(t, "requestReturn", json!({"orderId": id, "lines": return_lines("A", returned), "reason": "broken"}))
        .await;
    assert_eq!(requested["userErrors"], json!([]), "{requested}");
    assert_eq!(requested["return"]["status"], "REQUESTED");
    let rid = requested["return"]["id"].as_str().unwrap().to_owned();
    let approved = app.mutate(t, "approveReturn", json!({"id": rid})).await;
    assert_eq!(approved["return"]["status"], "APPROVED", "{approved}");
    (id, rid)
}

fn postings(entries: &Value, kind: &str) -> Vec<(String, String, String)> {
    entries["data"]["ledgerEntries"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .flat_map(|e| e["postings"].as_array().unwrap().clone())
        .map(|p| {
            (
                p["account"].as_str().unwrap().to_owned(),
                p["side"].as_str().unwrap().to_owned(),
                p["amount"]["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn owned(rows: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    rows.iter().map(|(a, s, m)| ((*a).to_owned(), (*s).to_owned(), (*m).to_owned())).collect()
}

#[tokio::test]
async fn two_of_three_at_100_with_10_percent_fee_is_capped_at_150() {
    let app = TestApp::spawn().await;
    let t = app.token_for(REFUND_150, "rae", &["tenant_admin"]);
    let (id, rid) = approved_return(&app, &t, "ret-150", vec![line("A", 3, "100.00")], "300.00", "USD", 2).await;
    let input = json!({"returnId": rid, "comments": "sorry", "idempotencyKey": "refund-1"});
    let refund = app.mutate(&t, "processRefund", input.clone()).await;
    assert_eq!(refund["userErrors"], json!([]), "{refund}");
    assert_eq!(refund["refund"]["amount"], json!({"amount": "150.00", "currency": "USD"}));
    assert_eq!(refund["refund"]["restockingFee"], json!({"amount": "20.00", "currency": "USD"}));
    assert_eq!(refund["refund"]["capApplied"], "MAX_REFUND_AMOUNT");
    assert_eq!(refund["refund"]["gross"]["amount"], "200.00");
    assert_eq!(refund["return"]["status"], "REFUNDED");
    assert_eq!(refund["order"]["paymentStatus"], "PARTIALLY_REFUNDED");
    assert_eq!(refund["order"]["balance"]["refunded"]["amount"], "150.00");
    assert_eq!(refund["order"]["balance"]["due"]["amount"], "0.00");

    let books = app.gql(&t, ENTRIES, json!({"id": id})).await;
    assert_eq!(
        postings(&books, "REFUND_PROCESSED"),
        owned(&[
            ("refunds", "DEBIT", "150.00"),
            ("cash", "CREDIT", "150.00"),
            ("refunds", "DEBIT", "20.00"),
            ("restocking_fees", "CREDIT", "20.00"),
        ])
    );

    // A replay answers the same refund; a second refund of the return is refused.
    let replay = app.mutate(&t, "processRefund", input).await;
    assert_eq!(replay["replayed"], true, "{replay}");
    assert_eq!(replay["refund"]["amount"]["amount"], "150.00");
    let again = app.mutate(&t, "processRefund", json!({"returnId": rid})).await;
    assert_eq!(again["userErrors"][0]["code"], "INVALID_STATE", "{again}");
    let trial = app.gql(&t, "{ trialBalance { balanced } }", json!({})).await;
    assert_eq!(trial["data"]["trialBalance"]["balanced"], true);
}

#[tokio::test]
async fn the_same_return_under_a_500_maximum_refunds_180() {
    let app = TestApp::spawn().await;
    let t = app.token_for(REFUND_500, "rae", &["tenant_admin"]);
    let (_, rid) = approved_return(&app, &t, "ret-500", vec![line("A", 3, "100.00")], "300.00", "USD", 2).await;
    let refund = app.mutate(&t, "processRefund", json!({"returnId": rid})).await;
    assert_eq!(refund["refund"]["amount"]["amount"], "180.00", "{refund}");
    assert_eq!(refund["refund"]["restockingFee"]["amount"], "20.00");
    assert_eq!(refund["refund"]["capApplied"], "NONE");
}

#[tokio::test]
async fn a_kwd_order_keeps_three_decimals_exactly() {
    let app = TestApp::spawn().await;
    let t = app.token_for(REFUND_500, "rae", &["tenant_admin"]);
    let lines = vec![line_in("A", 3, "12.345", "KWD")];
    let (id, rid) = approved_return(&app, &t, "ret-kwd", lines, "37.035", "KWD", 2).await;
    let refund = app.mutate(&t, "processRefund", json!({"returnId": rid})).await;
    // gross 24.690, fee 10 % = 2.469, refund 22.221: fils, never rounded to cents.
    assert_eq!(refund["refund"]["gross"], json!({"amount": "24.690", "currency": "KWD"}), "{refund}");
    assert_eq!(refund["refund"]["restockingFee"], json!({"amount": "2.469", "currency": "KWD"}));
    assert_eq!(refund["refund"]["amount"], json!({"amount": "22.221", "currency": "KWD"}));
    assert_eq!(refund["order"]["balance"]["total"]["amount"], "37.035");
    assert_eq!(refund["order"]["balance"]["paid"]["amount"], "37.035");
    let books = app.gql(&t, ENTRIES, json!({"id": id})).await;
    assert!(postings(&books, "REFUND_PROCESSED").contains(&(
        "cash".to_owned(),
        "CREDIT".to_owned(),
        "22.221".to_owned()
    )));
    let trial = app.gql(&t, "{ trialBalance { currencies { currency balance } } }", json!({})).await;
    assert_eq!(trial["data"]["trialBalance"]["currencies"], json!([{"currency": "KWD", "balance": "0.000"}]));
    let overprecise = app.pay(&t, &id, "0.0001", "KWD", None).await;
    assert_eq!(overprecise["userErrors"][0]["code"], "VALIDATION_FAILED");
}

#[tokio::test]
async fn only_delivered_units_not_yet_returned_may_come_back() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "ret-rules", vec![line("A", 2, "5.00"), line("B", 1, "1.00")]).await;
    let id = order["id"].as_str().unwrap();
    let undelivered = app.mutate(&t, "requestReturn", json!({"orderId": id, "lines": return_lines("A", 1)})).await;
    assert_eq!(undelivered["userErrors"][0]["code"], "VALIDATION_FAILED", "{undelivered}");
    assert_eq!(undelivered["userErrors"][0]["field"], json!(["lines", "0", "quantity"]));

    let s = app.ship(&t, id, &[("A", 2)]).await;
    let sid = s["shipment"]["id"].as_str().unwrap().to_owned();
    app.confirm_and_dispatch(&t, &sid, "TRK-RULES").await;
    app.mutate(&t, "deliverShipment", json!({"id": sid})).await;

    let first = app.mutate(&t, "requestReturn", json!({"orderId": id, "lines": return_lines("A", 2)})).await;
    let rid = first["return"]["id"].as_str().unwrap().to_owned();
    assert_eq!(first["order"]["returns"][0]["lines"], json!([{"sku": "A", "vendorId": "v1", "quantity": 2}]));
    let more = app.mutate(&t, "requestReturn", json!({"orderId": id, "lines": return_lines("A", 1)})).await;
    assert_eq!(more["userErrors"][0]["code"], "VALIDATION_FAILED", "{more}");
    let unknown = app.mutate(&t, "requestReturn", json!({"orderId": id, "lines": return_lines("Z", 1)})).await;
    assert_eq!(unknown["userErrors"][0]["field"], json!(["lines", "0"]), "{unknown}");

    let early = app.mutate(&t, "processRefund", json!({"returnId": rid})).await;
    assert_eq!(early["userErrors"][0]["code"], "INVALID_STATE", "{early}");
    let declined = app.mutate(&t, "declineReturn", json!({"id": rid, "reason": "worn"})).await;
    assert_eq!(declined["return"]["status"], "DECLINED", "{declined}");
    assert_eq!(declined["return"]["declineReason"], "worn");
    let twice = app.mutate(&t, "approveReturn", json!({"id": rid})).await;
    assert_eq!(twice["userErrors"][0]["code"], "INVALID_STATE", "{twice}");
    // Declined units may be asked back again.
    let again = app.mutate(&t, "requestReturn", json!({"orderId": id, "lines": return_lines("A", 2)})).await;
    assert_eq!(again["userErrors"], json!([]), "{again}");

    // Another tenant's return does not exist.
    let b = app.token_b("bea");
    let foreign = app.mutate(&b, "approveReturn", json!({"id": rid})).await;
    assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
    let foreign = app.mutate(&b, "processRefund", json!({"returnId": rid})).await;
    assert_eq!(foreign["userErrors"][0]["field"], json!(["returnId"]), "{foreign}");
}
