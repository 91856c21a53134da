//! Payments and the books over HTTP: the receivable booked at confirmation, payments with
//! idempotency keys, completion and cancellation rules, ledgerEntries and trialBalance.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::support::{TestApp, error_code, line};

const ENTRIES: &str = "query($f: LedgerEntryFilter, $first: Int, $after: String) { \
  ledgerEntries(first: $first, after: $after, filter: $f) { \
    edges { cursor } pageInfo { hasNextPage } \
    nodes { id kind orderId idempotencyKey reference method postings { account side amount { amount currency } } } } }";

const TRIAL: &str = "{ trialBalance { balanced currencies { currency debits credits balance } } }";

async fn entries(app: &TestApp, t: &str, filter: Value) -> Vec<Value> {
    let body = app.gql(t, ENTRIES, json!({"f": filter, "first": 100})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["ledgerEntries"]["nodes"].as_array().unwrap().clone()
}

fn kinds(entries: &[Value]) -> Vec<&str> {
    entries.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

/// Debits minus credits of `account` over `entries`, in minor units of a 2-decimal currency.
fn net_cents(entries: &[Value], account: &str) -> i64 {
    let cents = |a: &str| -> i64 { a.replace('.', "").parse().unwrap() };
    entries
        .iter()
        .flat_map(|e| e["postings"].as_array().unwrap().clone())
        .filter(|p| p["account"] == account)
        .map(|p| {
            let amount = cents(p["amount"]["amount"].as_str().unwrap());
            if p["side"] == "DEBIT" { amount } else { -amount }
        })
        .sum()
}

async fn assert_books_balance(app: &TestApp, t: &str) {
    let trial = app.gql(t, TRIAL, json!({})).await;
    assert!(trial["errors"].is_null(), "{trial}");
    assert_eq!(trial["data"]["trialBalance"]["balanced"], true, "{trial}");
    for c in trial["data"]["trialBalance"]["currencies"].as_array().unwrap() {
        assert!(c["balance"].as_str().unwrap().trim_start_matches(['0', '.']).is_empty(), "{c}");
    }
}

#[tokio::test]
async fn full_flow_reaches_completed_and_paid_and_completion_before_payment_is_refused() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.delivered_order(&t, "led-1", vec![line("A", 2, "50.00")]).await;
    let id = order["id"].as_str().unwrap();
    assert_eq!(order["paymentStatus"], "UNPAID");
    assert_eq!(order["balance"]["total"], json!({"amount": "100.00", "currency": "USD"}));
    assert_eq!(order["balance"]["due"]["amount"], "100.00");

    let early = app.mutate(&t, "completeOrder", json!({"id": id})).await;
    assert_eq!(early["userErrors"][0]["code"], "INVALID_STATE", "{early}");
    assert!(early["userErrors"][0]["message"].as_str().unwrap().contains("due"), "{early}");

    let part = app.pay(&t, id, "60.00", "USD", Some("pay-a")).await;
    assert_eq!(part["userErrors"], json!([]), "{part}");
    assert_eq!(part["replayed"], false);
    assert_eq!(part["order"]["paymentStatus"], "PARTIALLY_PAID");
    assert_eq!(part["order"]["balance"]["due"]["amount"], "40.00");
    let refused = app.mutate(&t, "completeOrder", json!({"id": id})).await;
    assert_eq!(refused["userErrors"][0]["code"], "INVALID_STATE");

    let over = app.pay(&t, id, "40.01", "USD", None).await;
    assert_eq!(over["userErrors"][0]["code"], "VALIDATION_FAILED", "{over}");
    assert_eq!(over["userErrors"][0]["field"], json!(["amount"]));
    let euros = app.pay(&t, id, "40.00", "EUR", None).await;
    assert_eq!(euros["userErrors"][0]["code"], "VALIDATION_FAILED", "{euros}");
    let too_precise = app.pay(&t, id, "1.001", "USD", None).await;
    assert_eq!(too_precise["userErrors"][0]["code"], "VALIDATION_FAILED", "{too_precise}");

    let rest = app.pay(&t, id, "40.00", "USD", None).await;
    assert_eq!(rest["order"]["paymentStatus"], "PAID");
    let nothing_due = app.pay(&t, id, "0.01", "USD", None).await;
    assert_eq!(nothing_due["userErrors"][0]["code"], "INVALID_STATE", "{nothing_due}");

    let done = app.mutate(&t, "completeOrder", json!({"id": id})).await;
    assert_eq!(done["userErrors"], json!([]), "{done}");
    assert_eq!(done["order"]["status"], "COMPLETED");
    assert_eq!(done["order"]["paymentStatus"], "PAID");
    assert_eq!(done["order"]["balance"]["paid"]["amount"], "100.00");

    let books = entries(&app, &t, json!({"orderId": id})).await;
    assert_eq!(kinds(&books), ["ORDER_CONFIRMED", "PAYMENT_RECORDED", "PAYMENT_RECORDED"]);
    assert_eq!(books[1]["idempotencyKey"], "pay-a");
    assert_eq!((books[1]["reference"].as_str(), books[1]["method"].as_str()), (Some("ch_1"), Some("card")));
    assert_eq!(net_cents(&books, &format!("receivable:{id}")), 0);
    assert_eq!(net_cents(&books, "cash"), 10_000);
    assert_books_balance(&app, &t).await;
}

#[tokio::test]
async fn twenty_concurrent_replays_of_one_key_book_one_entry() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "led-2", vec![line("A", 1, "30.00")]).await;
    let id = order["id"].as_str().unwrap();
    let results = join_all((0..20).map(|_| app.pay(&t, id, "10.00", "USD", Some("pay-once")))).await;
    for r in &results {
        assert_eq!(r["userErrors"], json!([]), "{r}");
        assert_eq!(r["order"]["balance"]["paid"]["amount"], "10.00", "{r}");
    }
    assert_eq!(results.iter().filter(|r| r["replayed"] == false).count(), 1);
    let payments = entries(&app, &t, json!({"orderId": id, "account": "cash"})).await;
    assert_eq!(kinds(&payments), ["PAYMENT_RECORDED"]);

    let other = app.pay(&t, id, "11.00", "USD", Some("pay-once")).await;
    assert_eq!(other["userErrors"][0]["code"], "IDEMPOTENCY_CONFLICT", "{other}");
    assert_eq!(other["userErrors"][0]["field"], json!(["idempotencyKey"]));
    // The key belongs to the payment: another mutation may not reuse it either.
    let mut create = crate::support::order_input("led-2b", vec![line("A", 1, "1.00")]);
    create["idempotencyKey"] = json!("pay-once");
    let reused = app.mutate(&t, "createOrder", create).await;
    assert_eq!(reused["userErrors"][0]["code"], "IDEMPOTENCY_CONFLICT", "{reused}");
    assert_eq!(app.order(&t, id).await["balance"]["paid"]["amount"], "10.00");

    // The header carries the key as well.
    let auth = format!("Bearer {t}");
    let body = json!({"query": crate::support::ops_doc("recordPayment"),
                      "variables": {"input": {"orderId": id, "amount": {"amount": "5.00", "currency": "USD"}}}});
    let headers = [("authorization", auth.as_str()), ("idempotency-key", "hdr-pay")];
    let (_, first) = app.post(&headers, &body).await;
    let (_, again) = app.post(&headers, &body).await;
    assert_eq!(first["data"]["recordPayment"]["replayed"], false, "{first}");
    assert_eq!(again["data"]["recordPayment"]["replayed"], true, "{again}");
    assert_eq!(again["data"]["recordPayment"]["order"]["balance"]["paid"]["amount"], "15.00");
    assert_books_balance(&app, &t).await;
}

#[tokio::test]
async fn payments_need_a_confirmed_order() {
    let app = TestApp::spawn().await;
    let pending = app.token_p("pat");
    let order = app.create_order(&pending, "led-p", vec![line("A", 1, "3.00")]).await;
    let refused = app.pay(&pending, order["id"].as_str().unwrap(), "1.00", "USD", None).await;
    assert_eq!(refused["userErrors"][0]["code"], "INVALID_STATE", "{refused}");
    assert_eq!(entries(&app, &pending, json!({})).await, Vec::<Value>::new(), "a PENDING order books nothing");

    let t = app.token_a("alice");
    let order = app.create_order(&t, "led-c", vec![line("A", 1, "3.00")]).await;
    let id = order["id"].as_str().unwrap();
    app.mutate(&t, "cancelOrder", json!({"id": id})).await;
    let refused = app.pay(&t, id, "1.00", "USD", None).await;
    assert_eq!(refused["userErrors"][0]["code"], "INVALID_STATE", "{refused}");
    let missing = app.pay(&t, &uuid::Uuid::now_v7().to_string(), "1.00", "USD", None).await;
    assert_eq!(missing["userErrors"][0]["code"], "NOT_FOUND", "{missing}");
    assert_eq!(missing["userErrors"][0]["field"], json!(["orderId"]));
}

#[tokio::test]
async fn cancelling_with_payments_is_refused_and_an_unpaid_cancellation_reverses_the_receivable() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let paid = app.create_order(&t, "led-x", vec![line("A", 1, "20.00")]).await;
    let paid_id = paid["id"].as_str().unwrap();
    app.pay(&t, paid_id, "5.00", "USD", None).await;
    let refused = app.mutate(&t, "cancelOrder", json!({"id": paid_id})).await;
    assert_eq!(refused["userErrors"][0]["code"], "INVALID_STATE", "{refused}");
    assert!(refused["userErrors"][0]["message"].as_str().unwrap().contains("refunded"), "{refused}");
    assert_eq!(app.order(&t, paid_id).await["status"], "CONFIRMED");

    let unpaid = app.create_order(&t, "led-y", vec![line("A", 2, "7.50")]).await;
    let id = unpaid["id"].as_str().unwrap();
    let cancelled = app.mutate(&t, "cancelOrder", json!({"id": id, "reason": "no stock"})).await;
    assert_eq!(cancelled["userErrors"], json!([]), "{cancelled}");
    assert_eq!(cancelled["order"]["balance"]["total"]["amount"], "0.00");
    assert_eq!(cancelled["order"]["balance"]["due"]["amount"], "0.00");
    let receivable = format!("receivable:{id}");
    let books = entries(&app, &t, json!({"account": receivable})).await;
    assert_eq!(kinds(&books), ["ORDER_CONFIRMED", "ORDER_CANCELLED"]);
    assert_eq!(net_cents(&books, &receivable), 0, "the receivable nets to zero");
    assert_books_balance(&app, &t).await;

    // A review that rejects the order cancels it, and reverses it the same way.
    let held = app.create_order(&t, "led-z", vec![line("A", 1, "1.00")]).await;
    let held_id = held["id"].as_str().unwrap();
    app.mutate(&t, "escalateOrderReview", json!({"id": held_id, "reviewer": "rita"})).await;
    let rejected = app.mutate(&app.token_a("rita"), "reviewOrder", json!({"id": held_id, "approved": false})).await;
    assert_eq!(rejected["order"]["status"], "CANCELLED", "{rejected}");
    let books = entries(&app, &t, json!({"orderId": held_id})).await;
    assert_eq!(kinds(&books), ["ORDER_CONFIRMED", "ORDER_CANCELLED"]);
    assert_books_balance(&app, &t).await;
}

#[tokio::test]
async fn ledger_entries_page_and_stay_within_the_tenant() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "led-pg", vec![line("A", 1, "9.00")]).await;
    let id = order["id"].as_str().unwrap();
    app.pay(&t, id, "4.00", "USD", None).await;
    app.pay(&t, id, "5.00", "USD", None).await;

    let first = app.gql(&t, ENTRIES, json!({"first": 2})).await;
    let page = &first["data"]["ledgerEntries"];
    assert_eq!(page["pageInfo"]["hasNextPage"], true, "{first}");
    let cursor = page["edges"][1]["cursor"].as_str().unwrap();
    let second = app.gql(&t, ENTRIES, json!({"first": 2, "after": cursor})).await;
    let nodes = second["data"]["ledgerEntries"]["nodes"].as_array().unwrap();
    assert_eq!(kinds(nodes), ["PAYMENT_RECORDED"]);
    assert_eq!(second["data"]["ledgerEntries"]["pageInfo"]["hasNextPage"], false);
    let too_many = app.gql(&t, ENTRIES, json!({"first": 101})).await;
    assert_eq!(error_code(&too_many), Some("VALIDATION_FAILED"), "{too_many}");
    let bad_account = app.gql(&t, ENTRIES, json!({"f": {"account": "petty_cash"}})).await;
    assert_eq!(error_code(&bad_account), Some("VALIDATION_FAILED"), "{bad_account}");

    // Tenant B sees none of it and cannot pay A's order.
    let b = app.token_b("bea");
    assert_eq!(entries(&app, &b, json!({"orderId": id})).await, Vec::<Value>::new());
    let trial = app.gql(&b, TRIAL, json!({})).await;
    assert_eq!(trial["data"]["trialBalance"]["currencies"], json!([]), "{trial}");
    let foreign = app.pay(&b, id, "1.00", "USD", None).await;
    assert_eq!(foreign["userErrors"][0]["code"], "NOT_FOUND", "{foreign}");
}

#[tokio::test]
async fn a_carrier_cost_is_booked_at_dispatch_without_changing_what_is_due() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "led-ship", vec![line("A", 1, "20.00")]).await;
    let id = order["id"].as_str().unwrap();
    let s = app.ship(&t, id, &[("A", 1)]).await;
    let sid = s["shipment"]["id"].as_str().unwrap().to_owned();
    let dispatched = app.confirm_and_dispatch(&t, &sid, "TRK-COST").await;
    assert_eq!(dispatched["order"]["balance"]["due"]["amount"], "20.00");
    let books = entries(&app, &t, json!({"orderId": id})).await;
    assert_eq!(kinds(&books), ["ORDER_CONFIRMED", "SHIPMENT_COST"]);
    assert_eq!(net_cents(&books, "shipping_costs"), 450);
    assert_eq!(net_cents(&books, "carrier_payable"), -450);
    assert_books_balance(&app, &t).await;
}
