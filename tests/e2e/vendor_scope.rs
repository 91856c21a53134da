//! Vendor scope (issue 13): a token carrying the IdP's `vendor_claim` sees only orders holding
//! that vendor's lines, only those lines and the shipments and returns holding them, none of
//! the other vendors' money, and ships only its own lines. A token without the claim keeps
//! the whole view.

use serde_json::{Value, json};

use crate::support::{Claims, TENANT_A, TestApp, error_code, ops_doc};

const MARKET: &str = "tenant_market";

/// The test config with a marketplace tenant whose IdP (tenant A's) names the vendor in `vendor_id`.
fn market(config: &mut Value) {
    let mut idp = config["tenants"][TENANT_A]["idp"].clone();
    idp["vendor_claim"] = json!("vendor_id");
    config["tenants"][MARKET] = json!({"plan": "standard", "status": "active", "idp": idp});
}

async fn spawn() -> TestApp {
    TestApp::spawn_with_config(|_| {}, market).await
}

/// A token of the marketplace with every role; `vendor` puts the vendor claim in it.
fn token(app: &TestApp, sub: &str, vendor: Option<Value>) -> String {
    let mut claims = Claims::for_tenants(&app.jwks.issuer(), "oms", sub, &[MARKET]);
    claims.extra.insert("roles".to_owned(), json!(["tenant_admin"]));
    if let Some(vendor) = vendor {
        claims.extra.insert("vendor_id".to_owned(), vendor);
    }
    app.jwks.sign(&claims)
}

fn line(sku: &str, vendor: &str, qty: i64, price: &str) -> Value {
    json!({"sku": sku, "name": format!("Item {sku}"), "vendorId": vendor, "quantity": qty,
           "unitPrice": {"amount": price, "currency": "USD"}})
}

fn item(sku: &str, vendor: &str, qty: i64) -> Value {
    json!({"sku": sku, "vendorId": vendor, "quantity": qty})
}

async fn create(app: &TestApp, token: &str, external_ref: &str, lines: Vec<Value>) -> String {
    let input = json!({"externalRef": external_ref, "customer": {"name": "Ann", "email": "ann@example.com"},
                       "lines": lines});
    let p = app.mutate(token, "createOrder", input).await;
    assert_eq!(p["userErrors"], json!([]), "createOrder: {p}");
    p["order"]["id"].as_str().expect("order id").to_owned()
}

async fn ship(app: &TestApp, token: &str, order: &str, items: Vec<Value>) -> Value {
    app.mutate(token, "createShipment", json!({"orderId": order, "mode": "WAREHOUSE", "items": items})).await
}

const VIEW: &str = "query($id: ID!) { order(id: $id) { id lines { sku vendorId } total { amount } \
  balance { total { amount } } shipments { id items { sku vendorId quantity } cost { amount } } } }";

#[tokio::test]
async fn a_vendor_sees_only_its_lines_and_cannot_ship_another_vendors_line() {
    let app = spawn().await;
    let admin = token(&app, "owner", None);
    let v1 = token(&app, "vera", Some(json!("v1")));

    // A mixed order, one of v2 alone, one of v1 alone.
    let mixed = create(&app, &admin, "mixed", vec![line("A", "v1", 2, "10.00"), line("B", "v2", 2, "5.00")]).await;
    let only_v2 = create(&app, &admin, "v2-only", vec![line("B", "v2", 1, "5.00")]).await;
    let only_v1 = create(&app, &admin, "v1-only", vec![line("C", "v1", 1, "1.00")]).await;
    let of_v2 = ship(&app, &admin, &mixed, vec![item("B", "v2", 1)]).await;
    let of_v2 = of_v2["shipment"]["id"].as_str().expect("v2's shipment").to_owned();
    let both = ship(&app, &admin, &mixed, vec![item("A", "v1", 1), item("B", "v2", 1)]).await;
    let both = both["shipment"]["id"].as_str().expect("a shipment of both vendors").to_owned();
    let dispatched = app.mutate(&admin, "confirmShipment", json!({"id": both})).await;
    assert_eq!(dispatched["userErrors"], json!([]), "{dispatched}");
    let d = app
        .mutate(
            &admin,
            "dispatchShipment",
            json!({"id": both, "trackingReference": "T-1",
            "cost": {"amount": "7.00", "currency": "USD"}}),
        )
        .await;
    assert_eq!(d["userErrors"], json!([]), "{d}");

    // Its list: the orders holding its lines, newest first, each with its lines only.
    let list = app
        .gql(
            &v1,
            "{ me { vendorId permissions } orders(first: 10) { nodes { id lines { sku vendorId } } } }",
            json!({}),
        )
        .await;
    assert!(list["errors"].is_null(), "{list}");
    assert_eq!(list["data"]["me"]["vendorId"], "v1");
    let permissions = list["data"]["me"]["permissions"].to_string();
    assert!(permissions.contains("shipment:create") && !permissions.contains("ledger:read"), "{permissions}");
    assert_eq!(
        list["data"]["orders"]["nodes"],
        json!([{"id": only_v1, "lines": [{"sku": "C", "vendorId": "v1"}]},
               {"id": mixed, "lines": [{"sku": "A", "vendorId": "v1"}]}])
    );
    // The mixed order: its line, its subtotal, no balance, only the shipment holding its item,
    // narrowed to that item and without the cost that covers v2's goods too.
    let seen = app.gql(&v1, VIEW, json!({"id": mixed})).await;
    assert!(seen["errors"].is_null(), "{seen}");
    assert_eq!(
        seen["data"]["order"],
        json!({"id": mixed, "lines": [{"sku": "A", "vendorId": "v1"}], "total": {"amount": "20.00"}, "balance": null,
               "shipments": [{"id": both, "items": [{"sku": "A", "vendorId": "v1", "quantity": 1}], "cost": null}]})
    );
    // What is not its own does not exist for it.
    let hidden = app
        .gql(
            &v1,
            "query($o: ID!, $s: ID!) { order(id: $o) { id } orderByExternalRef(externalRef: \"v2-only\") { id } \
             shipment(id: $s) { id } orders(filter: {sku: \"B\"}) { nodes { id } } }",
            json!({"o": only_v2, "s": of_v2}),
        )
        .await;
    assert!(hidden["errors"].is_null(), "{hidden}");
    assert_eq!(
        hidden["data"],
        json!({"order": null, "orderByExternalRef": null, "shipment": null, "orders": {"nodes": []}})
    );

    // Shipping another vendor's line, or acting on what is not its own, changes nothing.
    let before = app.order(&admin, &mixed).await;
    let p = ship(&app, &v1, &mixed, vec![item("A", "v1", 1), item("B", "v2", 1)]).await;
    assert_eq!(p["userErrors"][0]["code"], "VALIDATION_FAILED", "{p}");
    assert_eq!(p["userErrors"][0]["field"], json!(["items", "1", "vendorId"]), "{p}");
    let p = ship(&app, &v1, &only_v2, vec![item("B", "v1", 1)]).await;
    assert_eq!(p["userErrors"][0]["code"], "NOT_FOUND", "{p}");
    for shipment in [&of_v2, &both] {
        let p = app.mutate(&v1, "cancelShipment", json!({"id": shipment})).await;
        assert_eq!(p["userErrors"][0]["code"], "NOT_FOUND", "{p}");
    }
    let p = app.gql(&v1, &ops_doc("cancelOrder"), json!({"input": {"id": mixed}})).await;
    let code = error_code(&p).or(p["data"]["cancelOrder"]["userErrors"][0]["code"].as_str());
    assert_eq!(code, Some("FORBIDDEN"), "{p}");
    let p = app
        .gql(
            &v1,
            &ops_doc("createOrder"),
            json!({"input": {"externalRef": "theirs",
            "customer": {"name": "Ann", "email": "ann@example.com"}, "lines": [line("B", "v2", 1, "5.00")]}}),
        )
        .await;
    assert_eq!(p["data"]["createOrder"]["userErrors"][0]["code"], "VALIDATION_FAILED", "{p}");
    assert_eq!(app.order(&admin, &mixed).await, before, "a refused command changed the order");

    // Its own line ships, and the answer shows only what it may see.
    let p = ship(&app, &v1, &mixed, vec![item("A", "v1", 1)]).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    assert_eq!(
        p["order"]["lines"],
        json!([{"sku": "A", "vendorId": "v1", "quantity": 2,
        "unitPrice": {"amount": "10.00", "currency": "USD"}, "quantityAllocated": 2, "quantityShipped": 1,
        "quantityDelivered": 0}])
    );
    assert_eq!(p["order"]["balance"], json!(null));
    assert_eq!(p["order"]["shipments"].as_array().map(Vec::len), Some(2), "{p}");

    // Whole-tenant money and the order's event timeline are not its to read.
    for doc in ["{ trialBalance { balanced } }", "{ ledgerEntries(first: 5) { nodes { id } } }"] {
        let body = app.gql(&v1, doc, json!({})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{doc}: {body}");
    }
    let body =
        app.gql(&v1, "query($id: ID!) { order(id: $id) { events { nodes { type } } } }", json!({"id": mixed})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
}

#[tokio::test]
async fn a_caller_without_the_vendor_claim_keeps_the_whole_view() {
    let app = spawn().await;
    let admin = token(&app, "owner", None);
    let mixed = create(&app, &admin, "mixed", vec![line("A", "v1", 2, "10.00"), line("B", "v2", 2, "5.00")]).await;
    let p = ship(&app, &admin, &mixed, vec![item("A", "v1", 1), item("B", "v2", 1)]).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    let seen = app.gql(&admin, VIEW, json!({"id": mixed})).await;
    let order = &seen["data"]["order"];
    assert_eq!(order["lines"], json!([{"sku": "A", "vendorId": "v1"}, {"sku": "B", "vendorId": "v2"}]), "{seen}");
    assert_eq!(order["total"]["amount"], "30.00");
    assert_eq!(order["balance"]["total"]["amount"], "30.00");
    assert_eq!(order["shipments"][0]["items"].as_array().map(Vec::len), Some(2));
    let me = app.gql(&admin, "{ me { vendorId } trialBalance { balanced } }", json!({})).await;
    assert!(me["errors"].is_null(), "{me}");
    assert_eq!(me["data"]["me"]["vendorId"], json!(null));
    // A `null` claim is no claim.
    let unscoped = token(&app, "nobody", Some(Value::Null));
    let body = app.gql(&unscoped, "{ orders(first: 5) { nodes { id } } }", json!({})).await;
    assert_eq!(body["data"]["orders"]["nodes"], json!([{"id": mixed}]), "{body}");
}

#[tokio::test]
async fn a_vendors_list_is_keyset_paged_over_its_own_orders() {
    let app = spawn().await;
    let admin = token(&app, "owner", None);
    let v1 = token(&app, "vera", Some(json!("v1")));
    let mut own = Vec::new();
    for i in 0..5 {
        let vendor = if i % 2 == 0 { "v1" } else { "v2" };
        let id = create(&app, &admin, &format!("o-{i}"), vec![line("A", vendor, 1, "1.00")]).await;
        if vendor == "v1" {
            own.push(id);
        }
    }
    own.reverse();
    let page =
        "query($after: String) { orders(first: 2, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }";
    let first = app.gql(&v1, page, json!({})).await;
    let ids = |body: &Value| -> Vec<String> {
        body["data"]["orders"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&first), own[..2].to_vec(), "{first}");
    assert_eq!(first["data"]["orders"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["data"]["orders"]["pageInfo"]["endCursor"].clone();
    let second = app.gql(&v1, page, json!({"after": cursor})).await;
    assert_eq!(ids(&second), own[2..].to_vec(), "{second}");
    assert_eq!(second["data"]["orders"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn a_vendor_claim_that_names_no_vendor_refuses_the_token() {
    let app = spawn().await;
    for bad in [json!(42), json!(["v1"]), json!("")] {
        let t = token(&app, "vera", Some(bad.clone()));
        let (status, body) = app.gql_status(&t, "{ me { vendorId } }", json!({})).await;
        assert_eq!((status, error_code(&body)), (401, Some("UNAUTHENTICATED")), "{bad}: {body}");
    }
}
