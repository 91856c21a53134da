//! GraphQL documents and typed shortcuts used across the suite.

use serde_json::{Value, json};

use super::TestApp;

pub const ORDER_FIELDS: &str = "fragment O on Order { id number externalRef status version currency \
  total { amount currency } customer { name email } \
  lines { sku vendorId quantity unitPrice { amount currency } quantityAllocated quantityShipped quantityDelivered } \
  shipments { id status items { sku vendorId quantity } trackingReference labelUrl cost { amount currency } } \
  onReviewHold review { reviewer decision { approved } } }";

fn input_type(mutation: &str) -> &'static str {
    match mutation {
        "createOrder" => "CreateOrderInput",
        "confirmOrder" | "completeOrder" => "OrderRefInput",
        "cancelOrder" => "CancelOrderInput",
        "escalateOrderReview" => "EscalateOrderReviewInput",
        "reviewOrder" => "ReviewOrderInput",
        "createShipment" => "CreateShipmentInput",
        "confirmShipment" | "deliverShipment" | "cancelShipment" => "ShipmentRefInput",
        "dispatchShipment" => "DispatchShipmentInput",
        other => panic!("unknown mutation {other}"),
    }
}

fn selection(mutation: &str) -> &'static str {
    match mutation {
        "createOrder" => "order { ...O } replayed userErrors { code field message }",
        "createShipment" => {
            "shipment { id status items { sku vendorId quantity } } order { ...O } replayed userErrors { code field message }"
        }
        m if m.ends_with("Shipment") => {
            "shipment { id status trackingReference } order { ...O } userErrors { code field message }"
        }
        _ => "order { ...O } userErrors { code field message }",
    }
}

pub fn mutation_doc(mutation: &str) -> String {
    format!(
        "mutation($input: {}!) {{ {mutation}(input: $input) {{ {} }} }} {ORDER_FIELDS}",
        input_type(mutation),
        selection(mutation)
    )
}

/// A line of `qty` units of `sku` from vendor `v1` at `price` USD.
pub fn line(sku: &str, qty: i64, price: &str) -> Value {
    json!({"sku": sku, "name": format!("Item {sku}"), "vendorId": "v1", "quantity": qty,
           "unitPrice": {"amount": price, "currency": "USD"}})
}

pub fn order_input(external_ref: &str, lines: Vec<Value>) -> Value {
    json!({
        "externalRef": external_ref,
        "customer": {"name": "Ann Buyer", "email": "ann@example.com"},
        "shippingAddress": {"line1": "1 Main St", "city": "Kuwait City", "country": "KW"},
        "lines": lines
    })
}

impl TestApp {
    /// Runs `mutation(input)` and returns its payload (`data.<mutation>`), asserting no top-level error.
    pub async fn mutate(&self, token: &str, mutation: &str, input: Value) -> Value {
        let body = self.gql(token, &mutation_doc(mutation), json!({ "input": input })).await;
        assert!(body["errors"].is_null(), "{mutation} failed at top level: {body}");
        body["data"][mutation].clone()
    }

    /// Creates an order and returns it, asserting success.
    pub async fn create_order(&self, token: &str, external_ref: &str, lines: Vec<Value>) -> Value {
        let p = self.mutate(token, "createOrder", order_input(external_ref, lines)).await;
        assert_eq!(p["userErrors"], json!([]), "createOrder: {p}");
        p["order"].clone()
    }

    /// Creates a shipment of `items` [(sku, qty)] (vendor v1) and returns the payload.
    pub async fn ship(&self, token: &str, order_id: &str, items: &[(&str, i64)]) -> Value {
        let items: Vec<Value> = items.iter().map(|(s, q)| json!({"sku": s, "vendorId": "v1", "quantity": q})).collect();
        self.mutate(
            token,
            "createShipment",
            json!({"orderId": order_id, "mode": "WAREHOUSE", "provider": "dhl", "items": items}),
        )
        .await
    }

    /// Takes a new shipment through confirm and dispatch; returns the dispatch payload.
    pub async fn confirm_and_dispatch(&self, token: &str, shipment_id: &str, tracking: &str) -> Value {
        let c = self.mutate(token, "confirmShipment", json!({"id": shipment_id})).await;
        assert_eq!(c["userErrors"], json!([]), "confirmShipment: {c}");
        let d = self
            .mutate(
                token,
                "dispatchShipment",
                json!({"id": shipment_id, "trackingReference": tracking,
                "labelUrl": "https://labels.example/1.pdf", "cost": {"amount": "4.50", "currency": "USD"}}),
            )
            .await;
        assert_eq!(d["userErrors"], json!([]), "dispatchShipment: {d}");
        d
    }

    pub async fn order(&self, token: &str, id: &str) -> Value {
        let body = self
            .gql(token, &format!("query($id: ID!) {{ order(id: $id) {{ ...O }} }} {ORDER_FIELDS}"), json!({"id": id}))
            .await;
        assert!(body["errors"].is_null(), "order query: {body}");
        body["data"]["order"].clone()
    }
}
