//! Bad input gets a clear, typed error pointing at the field, and creates nothing.

use serde_json::{Value, json};

use crate::support::{TestApp, error_code, line, order_input};

async fn invalid(app: &TestApp, t: &str, input: Value, field: Value) {
    let p = app.mutate(t, "createOrder", input.clone()).await;
    assert_eq!(p["userErrors"][0]["code"], "VALIDATION_FAILED", "{input}: {p}");
    assert_eq!(p["userErrors"][0]["field"], field, "{input}: {p}");
    assert!(!p["userErrors"][0]["message"].as_str().unwrap().is_empty());
    assert!(p["order"].is_null());
}

#[tokio::test]
async fn create_order_validation_errors_point_at_the_field() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut i = order_input("v-1", vec![line("A", 1, "1.00"), line("B", 2, "2.00")]);
        f(&mut i);
        i
    };
    invalid(
        &app,
        &t,
        with(&|i| i["lines"][1]["unitPrice"]["amount"] = json!("1.001")),
        json!(["lines", "1", "unitPrice", "amount"]),
    )
    .await;
    invalid(
        &app,
        &t,
        with(&|i| i["lines"][0]["unitPrice"]["amount"] = json!("-1.00")),
        json!(["lines", "0", "unitPrice", "amount"]),
    )
    .await;
    invalid(
        &app,
        &t,
        with(&|i| i["lines"][0]["unitPrice"]["amount"] = json!("1e3")),
        json!(["lines", "0", "unitPrice", "amount"]),
    )
    .await;
    invalid(&app, &t, with(&|i| i["lines"][1]["quantity"] = json!(0)), json!(["lines", "1", "quantity"])).await;
    invalid(&app, &t, with(&|i| i["lines"][1]["quantity"] = json!(-3)), json!(["lines", "1", "quantity"])).await;
    invalid(
        &app,
        &t,
        with(&|i| i["lines"][1]["unitPrice"]["currency"] = json!("EUR")),
        json!(["lines", "1", "unitPrice", "currency"]),
    )
    .await;
    invalid(
        &app,
        &t,
        with(&|i| i["lines"][1]["unitPrice"]["currency"] = json!("XYZ")),
        json!(["lines", "1", "unitPrice", "currency"]),
    )
    .await;
    invalid(&app, &t, with(&|i| i["lines"][1]["sku"] = json!("A")), json!(["lines", "1"])).await;
    invalid(&app, &t, with(&|i| i["lines"][0]["sku"] = json!("  ")), json!(["lines", "0", "sku"])).await;
    invalid(&app, &t, with(&|i| i["lines"] = json!([])), json!(["lines"])).await;
    invalid(&app, &t, with(&|i| i["customer"]["email"] = json!("not-an-email")), json!(["customer", "email"])).await;
    invalid(&app, &t, with(&|i| i["customer"]["name"] = json!("")), json!(["customer", "name"])).await;
    invalid(&app, &t, with(&|i| i["shippingAddress"]["country"] = json!("XX")), json!(["shippingAddress", "country"]))
        .await;
    invalid(&app, &t, with(&|i| i["idempotencyKey"] = json!("k".repeat(300))), json!(["idempotencyKey"])).await;

    let body = app.gql(&t, "{ orders(first: 100) { nodes { id } } }", json!({})).await;
    assert_eq!(body["data"]["orders"]["nodes"], json!([]), "no order was created by invalid input");
}

#[tokio::test]
async fn dispatch_validation() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let id = app.create_order(&t, "v-d", vec![line("A", 1, "1.00")]).await["id"].as_str().unwrap().to_owned();
    let sid = app.ship(&t, &id, &[("A", 1)]).await["shipment"]["id"].as_str().unwrap().to_owned();
    app.mutate(&t, "confirmShipment", json!({"id": sid})).await;
    for (input, field) in [
        // Tenant A has a carrier API, but this shipment has no package to book: refused before
        // the carrier is called (without a carrier API, see carrier_booking.rs).
        (json!({"id": sid}), json!(["id"])),
        (
            json!({"id": sid, "trackingReference": "T", "cost": {"amount": "1.00", "currency": "EUR"}}),
            json!(["cost", "currency"]),
        ),
        (
            json!({"id": sid, "trackingReference": "T", "cost": {"amount": "1.001", "currency": "USD"}}),
            json!(["cost", "amount"]),
        ),
        (json!({"id": sid, "trackingReference": "T", "labelUrl": "javascript:alert(1)"}), json!(["labelUrl"])),
    ] {
        let p = app.mutate(&t, "dispatchShipment", input.clone()).await;
        assert_eq!(p["userErrors"][0]["code"], "VALIDATION_FAILED", "{input}: {p}");
        assert_eq!(p["userErrors"][0]["field"], field, "{input}: {p}");
    }
    assert_eq!(app.order(&t, &id).await["shipments"][0]["status"], "CONFIRMED");
}

#[tokio::test]
async fn wrong_types_and_page_sizes_are_top_level_validation_errors() {
    let app = TestApp::spawn().await;
    let t = app.token_a("alice");
    let too_many = app.gql(&t, "{ orders(first: 101) { nodes { id } } }", json!({})).await;
    assert_eq!(error_code(&too_many), Some("VALIDATION_FAILED"), "{too_many}");
    let bad_cursor = app.gql(&t, "{ orders(after: \"zzz\") { nodes { id } } }", json!({})).await;
    assert_eq!(error_code(&bad_cursor), Some("VALIDATION_FAILED"), "{bad_cursor}");
    let mut input = order_input("v-t", vec![line("A", 1, "1.00")]);
    input["lines"][0]["quantity"] = json!("three");
    let wrong_type = app.gql(&t, &crate::support::ops_doc("createOrder"), json!({"input": input})).await;
    assert_eq!(error_code(&wrong_type), Some("VALIDATION_FAILED"), "{wrong_type}");
    let unknown_field = app.gql(&t, "{ orders { nodes { secret } } }", json!({})).await;
    assert_eq!(error_code(&unknown_field), Some("VALIDATION_FAILED"), "{unknown_field}");
}
