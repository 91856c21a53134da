//! GraphQL documents and typed shortcuts used across the suite.

use serde_json::{Value, json};

use super::TestApp;

pub const ORDER_FIELDS: &str = "fragment O on Order { id number externalRef status version currency \
  total { amount currency } customer { name email } \
  lines { sku vendorId quantity unitPrice { amount currency } quantityAllocated quantityShipped quantityDelivered } \
  shipments { id status items { sku vendorId quantity } trackingReference labelUrl cost { amount currency } } \
  onReviewHold review { reviewer decision { approved } } \
  paymentStatus balance { total { amount currency } paid { amount currency } refunded { amount currency } due { amount currency } } \
  returns { id status lines { sku vendorId quantity } reason declineReason \
    refund { amount { amount currency } restockingFee { amount currency } capApplied gross { amount currency } } } }";

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
        "recordPayment" => "RecordPaymentInput",
        "requestReturn" => "RequestReturnInput",
        "approveReturn" => "ReturnRefInput",
        "declineReturn" => "DeclineReturnInput",
        "processRefund" => "ProcessRefundInput",
        other => panic!("unknown mutation {other}"),
    }
}

fn selection(mutation: &str) -> &'static str {
    match mutation {
        "createOrder" => "order { ...O } replayed userErrors { code field message }",
        "createShipment" => {
            "shipment { id status items { sku vendorId quantity } } order { ...O } replayed userErrors { code field message }"
        }
        "recordPayment" => "order { ...O } replayed userErrors { code field message }",
        "requestReturn" | "approveReturn" | "declineReturn" => {
            "return { id status lines { sku vendorId quantity } reason declineReason } order { ...O } \
             userErrors { code field message }"
        }
        "processRefund" => {
            "refund { amount { amount currency } restockingFee { amount currency } capApplied gross { amount currency } } \
             return { id status } order { ...O } replayed userErrors { code field message }"
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

/// A line of `qty` units of `sku` from vendor `v1` at `price` in `currency`.
pub fn line_in(sku: &str, qty: i64, price: &str, currency: &str) -> Value {
    json!({"sku": sku, "name": format!("Item {sku}"), "vendorId": "v1", "quantity": qty,
           "unitPrice": {"amount": price, "currency": currency}})
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
        let cost = json!({"amount": "4.50", "currency": "USD"});
        self.confirm_and_dispatch_at(token, shipment_id, tracking, Some(cost)).await
    }

    pub async fn confirm_and_dispatch_at(
        &self,
        token: &str,
        shipment_id: &str,
        tracking: &str,
        cost: Option<Value>,
    ) -> Value {
        let c = self.mutate(token, "confirmShipment", json!({"id": shipment_id})).await;
        assert_eq!(c["userErrors"], json!([]), "confirmShipment: {c}");
        let d = self
            .mutate(
                token,
                "dispatchShipment",
                json!({"id": shipment_id, "trackingReference": tracking,
                "labelUrl": "https://labels.example/1.pdf", "cost": cost}),
            )
            .await;
        assert_eq!(d["userErrors"], json!([]), "dispatchShipment: {d}");
        d
    }

    /// Creates an order of `lines`, ships every unit in one shipment and delivers it; returns the
    /// delivered order.
    pub async fn delivered_order(&self, token: &str, external_ref: &str, lines: Vec<Value>) -> Value {
        let order = self.create_order(token, external_ref, lines).await;
        let id = order["id"].as_str().unwrap().to_owned();
        let items: Vec<Value> = order["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| json!({"sku": l["sku"], "vendorId": l["vendorId"], "quantity": l["quantity"]}))
            .collect();
        let s = self.mutate(token, "createShipment", json!({"orderId": id, "mode": "WAREHOUSE", "items": items})).await;
        assert_eq!(s["userErrors"], json!([]), "createShipment: {s}");
        let sid = s["shipment"]["id"].as_str().unwrap().to_owned();
        self.confirm_and_dispatch_at(token, &sid, &format!("TRK-{external_ref}"), None).await;
        let d = self.mutate(token, "deliverShipment", json!({"id": sid})).await;
        assert_eq!(d["userErrors"], json!([]), "deliverShipment: {d}");
        assert_eq!(d["order"]["status"], "DELIVERED");
        d["order"].clone()
    }

    /// Records a payment of `amount` in `currency`; returns the payload.
    pub async fn pay(&self, token: &str, order_id: &str, amount: &str, currency: &str, key: Option<&str>) -> Value {
        let mut input = json!({"orderId": order_id, "amount": {"amount": amount, "currency": currency},
                               "reference": "ch_1", "method": "card"});
        if let Some(key) = key {
            input["idempotencyKey"] = json!(key);
        }
        self.mutate(token, "recordPayment", input).await
    }

    pub async fn order(&self, token: &str, id: &str) -> Value {
        let body = self
            .gql(token, &format!("query($id: ID!) {{ order(id: $id) {{ ...O }} }} {ORDER_FIELDS}"), json!({"id": id}))
            .await;
        assert!(body["errors"].is_null(), "order query: {body}");
        body["data"]["order"].clone()
    }
}
