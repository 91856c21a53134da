//! Issue 11, carrier booking: `dispatchShipment` without a tracking reference books the shipment
//! through the tenant's carrier API (a fake EasyPost on loopback): tracking reference, label and
//! cost filled in, the cost booked in the ledger, a carrier error a userError that changes
//! nothing, a 5xx retried, a booking never bought twice, and the API key nowhere to be seen.

use futures::future::join_all;
use infrastructure::carriers::CarrierSettings;
use serde_json::{Value, json};
use tenant_oms::app::EventsSettings;

use crate::support::{
    REFUND_500, SECRETS, TENANT_A, TestApp, captured_log, fake_easypost::FakeEasyPost, line, line_in,
};

/// Tenant A's carrier API key in the test config.
const API_KEY: &str = SECRETS[2];

const LEDGER: &str = "query($f: LedgerEntryFilter) { ledgerEntries(first: 100, filter: $f) { \
  nodes { kind idempotencyKey postings { account side amount { amount currency } } } } }";

/// The app, with tenant A's carrier API pointed at a fake EasyPost quoting in `currency`.
async fn app_with_carrier(currency: &str) -> (TestApp, FakeEasyPost) {
    let fake = FakeEasyPost::start(API_KEY, currency).await;
    let endpoint = fake.endpoint();
    // A short wait between retries keeps the suite quick; how long it is decides nothing here.
    let events = EventsSettings {
        carriers: CarrierSettings { backoff: std::time::Duration::from_millis(10), ..CarrierSettings::default() },
        ..EventsSettings::default()
    };
    let app = TestApp::spawn_configured(
        |_| {},
        events,
        |config: &mut Value| {
            config["tenants"][TENANT_A]["create_shipment_api"] = json!({
                "provider": "easypost", "api_key": API_KEY, "endpoint": endpoint,
                "from_address": {"line1": "7 Warehouse St", "city": "Shuwaikh", "postal_code": "70050", "country": "KW"}
            });
        },
    )
    .await;
    (app, fake)
}

/// A confirmed KWD order with one CONFIRMED shipment of a 2 kg parcel; returns (order id, shipment id).
async fn confirmed_shipment(app: &TestApp, t: &str, external_ref: &str) -> (String, String) {
    let order = app.create_order(t, external_ref, vec![line_in("DATES", 3, "4.250", "KWD")]).await;
    let id = order["id"].as_str().unwrap().to_owned();
    let s = app
        .mutate(
            t,
            "createShipment",
            json!({"orderId": id, "mode": "WAREHOUSE", "items": [{"sku": "DATES", "vendorId": "v1", "quantity": 2}],
                   "package": {"weightKg": 2.0, "lengthCm": 30.0, "widthCm": 20.0, "heightCm": 15.0}}),
        )
        .await;
    assert_eq!(s["userErrors"], json!([]), "{s}");
    let sid = s["shipment"]["id"].as_str().unwrap().to_owned();
    let c = app.mutate(t, "confirmShipment", json!({"id": sid})).await;
    assert_eq!(c["userErrors"], json!([]), "{c}");
    (id, sid)
}

async fn shipping_entries(app: &TestApp, t: &str, order_id: &str) -> Vec<Value> {
    let body = app.gql(t, LEDGER, json!({"f": {"orderId": order_id}})).await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["ledgerEntries"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "SHIPMENT_COST")
        .cloned()
        .collect()
}

async fn audit_outcomes(app: &TestApp, t: &str, action: &str) -> Vec<String> {
    let body = app
        .gql(
            t,
            "query($f: AuditLogFilter) { auditLog(first: 100, filter: $f) { nodes { action outcome } } }",
            json!({"f": {"action": action}}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["auditLog"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["outcome"].as_str().unwrap().to_owned())
        .collect()
}

fn no_key_in(text: &str) {
    assert!(!text.contains(API_KEY), "the carrier API key leaked: {text}");
}

#[tokio::test]
async fn booking_fills_tracking_label_and_cost_and_books_the_cost() {
    let (app, fake) = app_with_carrier("KWD").await;
    let t = app.token_a("alice");
    let (order_id, sid) = confirmed_shipment(&app, &t, "cb-1").await;

    let d = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    no_key_in(&d.to_string());
    assert_eq!(d["userErrors"], json!([]), "{d}");
    assert_eq!(d["shipment"]["status"], "SHIPPED");
    let shipment = &d["order"]["shipments"][0];
    assert_eq!(shipment["trackingReference"], "EZ0001000000");
    assert_eq!(shipment["labelUrl"], "https://easypost-files.example/files/postage_label/shp_fake0001.png");
    // The lowest rate of the two quoted: Standard at 1.250 KWD.
    assert_eq!(shipment["cost"], json!({"amount": "1.250", "currency": "KWD"}));
    assert_eq!(d["order"]["status"], "PARTIALLY_SHIPPED");

    let entries = shipping_entries(&app, &t, &order_id).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        entries[0]["postings"],
        json!([
            {"account": "shipping_costs", "side": "DEBIT", "amount": {"amount": "1.250", "currency": "KWD"}},
            {"account": "carrier_payable", "side": "CREDIT", "amount": {"amount": "1.250", "currency": "KWD"}}
        ])
    );
    assert_eq!(fake.calls().bought, 1);
    assert_eq!(fake.bad_auth(), 0, "every call carried the account's key");

    // Dispatching it again is refused and buys nothing more.
    let again = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(again["userErrors"][0]["code"], "INVALID_STATE", "{again}");
    assert_eq!(fake.calls().bought, 1);
    assert_eq!(audit_outcomes(&app, &t, "dispatchShipment").await, ["INVALID_STATE", "ok"], "one record per call");
}

#[tokio::test]
async fn a_carrier_refusal_is_a_user_error_that_changes_nothing() {
    let (app, fake) = app_with_carrier("KWD").await;
    let t = app.token_a("alice");
    let (order_id, sid) = confirmed_shipment(&app, &t, "cb-2").await;
    let before = app.order(&t, &order_id).await;

    let refusal = json!({"error": {"code": "ADDRESS.VERIFY.FAILURE", "message": "Address not found",
                                   "errors": [{"field": "street1", "message": "House number is missing"}]}});
    fake.fail_next_creates(&[(422, refusal)]);
    let d = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(d["userErrors"][0]["code"], "VALIDATION_FAILED", "{d}");
    assert_eq!(d["userErrors"][0]["field"], json!(["id"]), "{d}");
    let message = d["userErrors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("ADDRESS.VERIFY.FAILURE: Address not found (street1: House number is missing)"),
        "{message}"
    );
    assert_eq!(app.order(&t, &order_id).await, before, "the order is as it was");
    assert_eq!(fake.calls().creates, 1, "a 4xx is not retried");

    // Refused at the purchase: still nothing changed for the order, and its booking is kept.
    fake.fail_next_buys(&[(
        402,
        json!({"error": {"code": "PAYMENT.INSUFFICIENT_FUNDS", "message": "Insufficient funds"}}),
    )]);
    let d = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(d["userErrors"][0]["code"], "VALIDATION_FAILED", "{d}");
    assert!(d["userErrors"][0]["message"].as_str().unwrap().contains("Insufficient funds"), "{d}");
    assert_eq!(app.order(&t, &order_id).await, before, "the order is as it was");
    assert!(shipping_entries(&app, &t, &order_id).await.is_empty(), "nothing booked");
    assert_eq!(fake.calls().bought, 0);

    // The next attempt buys the booking already made: no second carrier shipment is created.
    let d = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(d["userErrors"], json!([]), "{d}");
    assert_eq!(d["shipment"]["trackingReference"], "EZ0001000000", "the one shipment the carrier created");
    let calls = fake.calls();
    assert_eq!((calls.creates, calls.bought), (2, 1), "{calls:?}");
    assert_eq!(audit_outcomes(&app, &t, "dispatchShipment").await, ["ok", "VALIDATION_FAILED", "VALIDATION_FAILED"]);
}

#[tokio::test]
async fn a_5xx_is_retried_once_then_the_booking_succeeds() {
    let (app, fake) = app_with_carrier("KWD").await;
    let t = app.token_a("alice");
    let (order_id, sid) = confirmed_shipment(&app, &t, "cb-3").await;
    fake.fail_next_creates(&[(500, json!({"error": {"code": "INTERNAL_SERVER_ERROR", "message": "oops"}}))]);
    fake.fail_next_buys(&[(503, json!({}))]);

    let d = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(d["userErrors"], json!([]), "{d}");
    assert_eq!(d["shipment"]["status"], "SHIPPED");
    let calls = fake.calls();
    assert_eq!((calls.creates, calls.buys, calls.bought), (2, 2, 1), "each 5xx retried once: {calls:?}");
    assert_eq!(shipping_entries(&app, &t, &order_id).await.len(), 1);
}

#[tokio::test]
async fn a_carrier_down_after_the_retries_is_a_user_error() {
    let (app, fake) = app_with_carrier("KWD").await;
    let t = app.token_a("alice");
    let (order_id, sid) = confirmed_shipment(&app, &t, "cb-4").await;
    let before = app.order(&t, &order_id).await;
    fake.fail_next_creates(&[(500, json!({})), (502, json!({})), (503, json!({}))]);
    let d = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(d["userErrors"][0]["code"], "INVALID_STATE", "{d}");
    assert!(d["userErrors"][0]["message"].as_str().unwrap().contains("retry later"), "{d}");
    assert_eq!(fake.calls().creates, 3, "bounded: three attempts");
    assert_eq!(app.order(&t, &order_id).await, before);
}

#[tokio::test]
async fn rates_in_another_currency_than_the_order_are_refused_before_buying() {
    let (app, fake) = app_with_carrier("USD").await;
    let t = app.token_a("alice");
    let (order_id, sid) = confirmed_shipment(&app, &t, "cb-5").await;
    let before = app.order(&t, &order_id).await;
    let d = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(d["userErrors"][0]["code"], "VALIDATION_FAILED", "{d}");
    assert!(d["userErrors"][0]["message"].as_str().unwrap().contains("no rate in KWD"), "{d}");
    assert_eq!(fake.calls().bought, 0);
    assert_eq!(app.order(&t, &order_id).await, before);
}

#[tokio::test]
async fn concurrent_dispatches_buy_one_booking() {
    let (app, fake) = app_with_carrier("KWD").await;
    let t = app.token_a("alice");
    let (order_id, sid) = confirmed_shipment(&app, &t, "cb-6").await;
    let answers = join_all((0..4).map(|_| app.mutate(&t, "dispatchShipment", json!({"id": sid})))).await;
    let shipped: Vec<&Value> = answers.iter().filter(|a| a["userErrors"] == json!([])).collect();
    assert!(!shipped.is_empty(), "{answers:?}");
    for a in &answers {
        let code = &a["userErrors"][0]["code"];
        assert!(code.is_null() || code == "INVALID_STATE" || code == "CONFLICT", "{a}");
    }
    assert_eq!(fake.calls().bought, 1, "one booking bought: {:?}", fake.calls());
    let order = app.order(&t, &order_id).await;
    assert_eq!(order["shipments"][0]["status"], "SHIPPED");
    assert_eq!(shipping_entries(&app, &t, &order_id).await.len(), 1, "the cost is booked once");
}

#[tokio::test]
async fn a_shipment_the_carrier_cannot_book_is_refused_without_a_call() {
    let (app, fake) = app_with_carrier("KWD").await;
    let t = app.token_a("alice");
    let order = app.create_order(&t, "cb-7", vec![line_in("DATES", 1, "4.250", "KWD")]).await;
    let id = order["id"].as_str().unwrap();
    let s = app.ship(&t, id, &[("DATES", 1)]).await;
    let sid = s["shipment"]["id"].as_str().unwrap();
    app.mutate(&t, "confirmShipment", json!({"id": sid})).await;
    let d = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(d["userErrors"][0]["code"], "VALIDATION_FAILED", "{d}");
    assert!(d["userErrors"][0]["message"].as_str().unwrap().contains("no package"), "{d}");
    // labelUrl or cost without a trackingReference: the carrier fills those in.
    let d = app.mutate(&t, "dispatchShipment", json!({"id": sid, "labelUrl": "https://l.example/1.pdf"})).await;
    assert_eq!(d["userErrors"][0]["field"], json!(["trackingReference"]), "{d}");
    assert_eq!(fake.calls(), Default::default(), "the carrier was not called");
}

#[tokio::test]
async fn without_a_carrier_api_the_tracking_reference_is_required() {
    let (app, fake) = app_with_carrier("KWD").await;
    let t = app.token_for(REFUND_500, "alice", &["tenant_admin"]);
    let order = app.create_order(&t, "cb-8", vec![line("A", 1, "1.00")]).await;
    let s = app.ship(&t, order["id"].as_str().unwrap(), &[("A", 1)]).await;
    let sid = s["shipment"]["id"].as_str().unwrap();
    app.mutate(&t, "confirmShipment", json!({"id": sid})).await;
    let d = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(d["userErrors"][0]["code"], "VALIDATION_FAILED", "{d}");
    assert_eq!(d["userErrors"][0]["field"], json!(["trackingReference"]), "{d}");
    assert_eq!(fake.calls(), Default::default());
}

/// Runs after a booking and a refusal in this test: neither the answers above nor anything
/// logged by this test binary carries the key.
#[tokio::test]
async fn the_api_key_is_never_in_answers_audit_records_or_logs() {
    let (app, fake) = app_with_carrier("KWD").await;
    let t = app.token_a("alice");
    let (_, sid) = confirmed_shipment(&app, &t, "cb-9").await;
    fake.fail_next_creates(&[(500, json!({})), (422, json!({"error": {"message": "bad parcel"}}))]);
    let refused = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(refused["userErrors"][0]["code"], "VALIDATION_FAILED", "{refused}");
    no_key_in(&refused.to_string());
    let booked = app.mutate(&t, "dispatchShipment", json!({"id": sid})).await;
    assert_eq!(booked["userErrors"], json!([]), "{booked}");
    no_key_in(&booked.to_string());
    let audit = app.gql(&t, "{ auditLog(first: 100) { nodes { action outcome input } } }", json!({})).await;
    no_key_in(&audit.to_string());
    let config = app.gql(&t, "{ tenantConfig { version } }", json!({})).await;
    no_key_in(&config.to_string());
    no_key_in(&captured_log());
    assert!(captured_log().contains("carrier answered 5xx; retrying"), "the retry was logged, without the key");
}
