//! The business flows, each on orders of its own (external references unique to the run), each
//! stopping at its first failing step.

use serde_json::{Value, json};

use super::{
    client::{Answer, Api},
    refund::{Expected, expected_refund},
};

/// Where a flow stopped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub step: String,
    pub why: String,
}

pub type Outcome = Result<(), Failure>;

/// What every flow shares: the client, this run's id (for unique references) and the caller.
pub struct Ctx {
    pub api: Api,
    pub run: String,
}

/// The order fields every step looks at.
const ORDER: &str = "order { id status paymentStatus version onReviewHold
  balance { total { amount } paid { amount } refunded { amount } due { amount } }
  shipments { id status } }";
const SHIPMENT: &str = "shipment { id status }";

fn fail(step: &str, why: impl Into<String>) -> Failure {
    Failure { step: step.to_owned(), why: why.into() }
}

/// Tags the error of a call with the step it failed.
trait AtStep<T> {
    fn at(self, step: &str) -> Result<T, Failure>;
}

impl<T> AtStep<T> for Result<T, String> {
    fn at(self, step: &str) -> Result<T, Failure> {
        self.map_err(|why| fail(step, why))
    }
}

/// `value` at `pointer` equals `wanted`, else the step fails saying what it found.
fn expect(step: &str, value: &Value, pointer: &str, wanted: &str) -> Outcome {
    let found = &value.pointer(pointer).cloned().unwrap_or(Value::Null);
    // A string compares as text; anything else (`true`, `3`, `[]`) as the JSON it spells.
    if found.as_str() == Some(wanted) || serde_json::from_str::<Value>(wanted).is_ok_and(|w| &w == found) {
        Ok(())
    } else {
        Err(fail(step, format!("expected {pointer} to be {wanted}, got {found}")))
    }
}

fn id(payload: &Value, pointer: &str, step: &str) -> Result<String, Failure> {
    payload
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| fail(step, format!("no {pointer} in the answer")))
}

fn line(sku: &str, quantity: u32, price: &str) -> Value {
    json!({"sku": sku, "name": format!("validate-flows {sku}"), "vendorId": "vf-vendor", "quantity": quantity,
           "unitPrice": {"amount": price, "currency": "USD"}})
}

fn item(sku: &str, quantity: u32) -> Value {
    json!({"sku": sku, "vendorId": "vf-vendor", "quantity": quantity})
}

impl Ctx {
    fn external_ref(&self, flow: &str) -> String {
        format!("vf-{}-{flow}", self.run)
    }

    /// A confirmed order (confirmed by hand when the tenant does not auto-confirm).
    async fn confirmed_order(&self, flow: &str, lines: Vec<Value>) -> Result<Value, Failure> {
        let input = json!({"externalRef": self.external_ref(flow),
            "customer": {"name": "Validate Flows", "email": "validate-flows@example.com"},
            "shippingAddress": {"line1": "1 Check Street", "city": "Kuwait City", "country": "KW"},
            "lines": lines});
        let created = self.api.mutate_ok("createOrder", "CreateOrderInput", ORDER, input).await.at("createOrder")?;
        if created["order"]["status"] == "PENDING" {
            let order_id = id(&created, "/order/id", "createOrder")?;
            let confirmed = self
                .api
                .mutate_ok("confirmOrder", "OrderRefInput", ORDER, json!({"id": order_id}))
                .await
                .at("confirmOrder")?;
            expect("confirmOrder", &confirmed, "/order/status", "CONFIRMED")?;
            return Ok(confirmed["order"].clone());
        }
        expect("createOrder", &created, "/order/status", "CONFIRMED")?;
        Ok(created["order"].clone())
    }

    /// Creates, confirms and dispatches a shipment of `items`; returns its id and the order.
    async fn shipped(&self, order_id: &str, items: Vec<Value>, tracking: &str) -> Result<(String, Value), Failure> {
        let input = json!({"orderId": order_id, "mode": "WAREHOUSE", "provider": "validate-flows", "items": items});
        let created = self
            .api
            .mutate_ok("createShipment", "CreateShipmentInput", &format!("{SHIPMENT} {ORDER}"), input)
            .await
            .at("createShipment")?;
        let shipment_id = id(&created, "/shipment/id", "createShipment")?;
        expect("createShipment", &created, "/shipment/status", "PENDING")?;
        let confirmed = self
            .api
            .mutate_ok("confirmShipment", "ShipmentRefInput", SHIPMENT, json!({"id": shipment_id}))
            .await
            .at("confirmShipment")?;
        expect("confirmShipment", &confirmed, "/shipment/status", "CONFIRMED")?;
        let reference = format!("VF-{}-{tracking}", self.run);
        let dispatched = self
            .api
            .mutate_ok(
                "dispatchShipment",
                "DispatchShipmentInput",
                &format!("{SHIPMENT} {ORDER}"),
                json!({"id": shipment_id, "trackingReference": reference, "cost": {"amount": "1.00", "currency": "USD"}}),
            )
            .await
            .at("dispatchShipment")?;
        expect("dispatchShipment", &dispatched, "/shipment/status", "SHIPPED")?;
        Ok((shipment_id, dispatched["order"].clone()))
    }

    async fn deliver(&self, shipment_id: &str) -> Result<Value, Failure> {
        let delivered = self
            .api
            .mutate_ok(
                "deliverShipment",
                "ShipmentRefInput",
                &format!("{SHIPMENT} {ORDER}"),
                json!({"id": shipment_id}),
            )
            .await
            .at("deliverShipment")?;
        expect("deliverShipment", &delivered, "/shipment/status", "DELIVERED")?;
        Ok(delivered["order"].clone())
    }

    async fn pay(&self, order_id: &str, amount: &str, key: &str) -> Result<Value, Failure> {
        let input = json!({"orderId": order_id, "amount": {"amount": amount, "currency": "USD"}, "method": "card",
                           "reference": key, "idempotencyKey": format!("vf-{}-{key}", self.run)});
        self.api
            .mutate_ok("recordPayment", "RecordPaymentInput", &format!("{ORDER} replayed"), input)
            .await
            .at("recordPayment")
    }
}

/// Order → two partial shipments → delivery → payment → completion, the status rolled up per
/// unit at each step.
pub async fn fulfilment(ctx: &Ctx) -> Outcome {
    let order = ctx.confirmed_order("fulfilment", vec![line("DATES", 3, "10.00"), line("HONEY", 1, "5.00")]).await?;
    let order_id = id(&order, "/id", "createOrder")?;
    expect("createOrder", &order, "/balance/total/amount", "35.00")?;
    let (first, order) = ctx.shipped(&order_id, vec![item("DATES", 2)], "1").await?;
    expect("dispatchShipment", &order, "/status", "PARTIALLY_SHIPPED")?;
    let order = ctx.deliver(&first).await?;
    expect("deliverShipment", &order, "/status", "PARTIALLY_DELIVERED")?;
    let (second, _) = ctx.shipped(&order_id, vec![item("DATES", 1), item("HONEY", 1)], "2").await?;
    let order = ctx.deliver(&second).await?;
    expect("deliverShipment", &order, "/status", "DELIVERED")?;
    let paid = ctx.pay(&order_id, "35.00", "fulfilment-pay").await?;
    expect("recordPayment", &paid, "/order/paymentStatus", "PAID")?;
    expect("recordPayment", &paid, "/order/balance/due/amount", "0.00")?;
    let completed = ctx
        .api
        .mutate_ok("completeOrder", "OrderRefInput", ORDER, json!({"id": order_id}))
        .await
        .at("completeOrder")?;
    expect("completeOrder", &completed, "/order/status", "COMPLETED")
}

/// An order on review hold takes no shipment until its reviewer approves it.
pub async fn review_hold(ctx: &Ctx) -> Outcome {
    let me = ctx.api.run("{ me { subject } }", Value::Null).await.at("me")?;
    let reviewer = me["me"]["subject"].as_str().ok_or_else(|| fail("me", "no subject in the answer"))?.to_owned();
    let order = ctx.confirmed_order("review", vec![line("DATES", 2, "10.00")]).await?;
    let order_id = id(&order, "/id", "createOrder")?;
    let held = ctx
        .api
        .mutate_ok(
            "escalateOrderReview",
            "EscalateOrderReviewInput",
            ORDER,
            json!({"id": order_id, "reviewer": reviewer, "comments": "validate-flows"}),
        )
        .await
        .at("escalateOrderReview")?;
    expect("escalateOrderReview", &held, "/order/onReviewHold", "true")?;
    let input = json!({"orderId": order_id, "mode": "WAREHOUSE", "items": [item("DATES", 1)]});
    let step = "createShipment on hold";
    match ctx.api.mutate("createShipment", "CreateShipmentInput", SHIPMENT, input.clone()).await.at(step)? {
        Answer::Refused { code, .. } if code == "INVALID_STATE" => {}
        Answer::Refused { code, field, message } => {
            return Err(fail(
                step,
                format!("expected INVALID_STATE, got {}", super::client::refusal(&code, &field, &message)),
            ));
        }
        Answer::Done(_) => return Err(fail(step, "a shipment was created for an order on review hold")),
    }
    let reviewed = ctx
        .api
        .mutate_ok("reviewOrder", "ReviewOrderInput", ORDER, json!({"id": order_id, "approved": true}))
        .await
        .at("reviewOrder")?;
    expect("reviewOrder", &reviewed, "/order/onReviewHold", "false")?;
    let shipped = ctx
        .api
        .mutate_ok("createShipment", "CreateShipmentInput", SHIPMENT, input)
        .await
        .at("createShipment after approval")?;
    expect("createShipment after approval", &shipped, "/shipment/status", "PENDING")
}

/// Cancelling an order whose shipment is still open cancels the shipment with it.
pub async fn cancel_with_open_shipment(ctx: &Ctx) -> Outcome {
    let order = ctx.confirmed_order("cancel", vec![line("DATES", 2, "10.00")]).await?;
    let order_id = id(&order, "/id", "createOrder")?;
    let input = json!({"orderId": order_id, "mode": "WAREHOUSE", "items": [item("DATES", 1)]});
    let created =
        ctx.api.mutate_ok("createShipment", "CreateShipmentInput", SHIPMENT, input).await.at("createShipment")?;
    let shipment_id = id(&created, "/shipment/id", "createShipment")?;
    ctx.api
        .mutate_ok("confirmShipment", "ShipmentRefInput", SHIPMENT, json!({"id": shipment_id}))
        .await
        .at("confirmShipment")?;
    let cancelled = ctx
        .api
        .mutate_ok("cancelOrder", "CancelOrderInput", ORDER, json!({"id": order_id, "reason": "validate-flows"}))
        .await
        .at("cancelOrder")?;
    expect("cancelOrder", &cancelled, "/order/status", "CANCELLED")?;
    let shipments = cancelled["order"]["shipments"].as_array().cloned().unwrap_or_default();
    match shipments.iter().find(|s| s["id"] == shipment_id.as_str()) {
        Some(shipment) if shipment["status"] == "CANCELLED" => Ok(()),
        Some(shipment) => {
            Err(fail("cancelOrder", format!("the open shipment is {} instead of CANCELLED", shipment["status"])))
        }
        None => Err(fail("cancelOrder", "the order no longer lists its shipment")),
    }
}

/// Return → approval → refund: the tenant's restocking fee is kept, the refund capped by
/// `max_refund_amount` and by what was paid (a partial payment makes that cap bind), and a
/// replayed refund pays nothing twice.
pub async fn return_refund(ctx: &Ctx) -> Outcome {
    let terms = ctx
        .api
        .run("{ tenantConfig { restockingFeePercent maxRefundAmount } }", Value::Null)
        .await
        .at("tenantConfig")?;
    let order = ctx.confirmed_order("refund", vec![line("DATES", 2, "10.00")]).await?;
    let order_id = id(&order, "/id", "createOrder")?;
    let (shipment, _) = ctx.shipped(&order_id, vec![item("DATES", 2)], "3").await?;
    ctx.deliver(&shipment).await?;
    ctx.pay(&order_id, "5.00", "refund-pay").await?;
    let requested = ctx
        .api
        .mutate_ok(
            "requestReturn",
            "RequestReturnInput",
            "return { id status }",
            json!({"orderId": order_id, "lines": [item("DATES", 1)], "reason": "validate-flows"}),
        )
        .await
        .at("requestReturn")?;
    let return_id = id(&requested, "/return/id", "requestReturn")?;
    let approved = ctx
        .api
        .mutate_ok("approveReturn", "ReturnRefInput", "return { status }", json!({"id": return_id}))
        .await
        .at("approveReturn")?;
    expect("approveReturn", &approved, "/return/status", "APPROVED")?;
    let wanted: Expected = expected_refund(
        1000,
        terms["tenantConfig"]["restockingFeePercent"].as_str(),
        terms["tenantConfig"]["maxRefundAmount"].as_str(),
        500,
    )
    .at("tenantConfig")?;
    let input = json!({"returnId": return_id, "idempotencyKey": format!("vf-{}-refund", ctx.run)});
    let selection = format!("refund {{ amount {{ amount }} restockingFee {{ amount }} capApplied }} replayed {ORDER}");
    let refunded = ctx
        .api
        .mutate_ok("processRefund", "ProcessRefundInput", &selection, input.clone())
        .await
        .at("processRefund")?;
    expect("processRefund", &refunded, "/refund/restockingFee/amount", &wanted.fee)?;
    expect("processRefund", &refunded, "/refund/amount/amount", &wanted.amount)?;
    expect("processRefund", &refunded, "/refund/capApplied", wanted.cap)?;
    expect("processRefund", &refunded, "/order/balance/refunded/amount", &wanted.amount)?;
    let replayed =
        ctx.api.mutate_ok("processRefund", "ProcessRefundInput", &selection, input).await.at("processRefund replay")?;
    expect("processRefund replay", &replayed, "/replayed", "true")?;
    expect("processRefund replay", &replayed, "/order/balance/refunded/amount", &wanted.amount)
}

/// Replays return the first result and change nothing; a key reused with other input is refused.
pub async fn idempotent_replays(ctx: &Ctx) -> Outcome {
    let key = format!("vf-{}-create", ctx.run);
    let input = |quantity: u32| {
        json!({"externalRef": ctx.external_ref("idempotency"), "idempotencyKey": key,
               "customer": {"name": "Validate Flows", "email": "validate-flows@example.com"},
               "lines": [line("DATES", quantity, "10.00")]})
    };
    let selection = format!("{ORDER} replayed");
    let first = ctx.api.mutate_ok("createOrder", "CreateOrderInput", &selection, input(1)).await.at("createOrder")?;
    let order_id = id(&first, "/order/id", "createOrder")?;
    let again =
        ctx.api.mutate_ok("createOrder", "CreateOrderInput", &selection, input(1)).await.at("createOrder replay")?;
    expect("createOrder replay", &again, "/replayed", "true")?;
    expect("createOrder replay", &again, "/order/id", &order_id)?;
    let step = "createOrder same key, other input";
    match ctx.api.mutate("createOrder", "CreateOrderInput", &selection, input(2)).await {
        Err(why) if why.starts_with("IDEMPOTENCY_CONFLICT") => {}
        Ok(Answer::Refused { code, .. }) if code == "IDEMPOTENCY_CONFLICT" => {}
        Err(why) => return Err(fail(step, format!("expected IDEMPOTENCY_CONFLICT, got {why}"))),
        Ok(Answer::Refused { code, field, message }) => {
            return Err(fail(
                step,
                format!("expected IDEMPOTENCY_CONFLICT, got {}", super::client::refusal(&code, &field, &message)),
            ));
        }
        Ok(Answer::Done(_)) => return Err(fail(step, "accepted: the key was reused for another order")),
    }
    let status = first["order"]["status"].as_str().unwrap_or_default();
    if status == "PENDING" {
        ctx.api.mutate_ok("confirmOrder", "OrderRefInput", ORDER, json!({"id": order_id})).await.at("confirmOrder")?;
    }
    ctx.pay(&order_id, "4.00", "replay-pay").await?;
    let replayed = ctx.pay(&order_id, "4.00", "replay-pay").await.map_err(|f| fail("recordPayment replay", f.why))?;
    expect("recordPayment replay", &replayed, "/replayed", "true")?;
    expect("recordPayment replay", &replayed, "/order/balance/paid/amount", "4.00")
}

/// Shipping more than was ordered is refused with a typed error and changes nothing.
pub async fn over_shipment_refused(ctx: &Ctx) -> Outcome {
    let order = ctx.confirmed_order("overship", vec![line("DATES", 3, "10.00")]).await?;
    let order_id = id(&order, "/id", "createOrder")?;
    let version = order["version"].clone();
    let input = json!({"orderId": order_id, "mode": "WAREHOUSE", "items": [item("DATES", 5)]});
    let step = "createShipment of 5 of 3";
    match ctx.api.mutate("createShipment", "CreateShipmentInput", SHIPMENT, input).await.at(step)? {
        Answer::Refused { code, field, .. } if code == "VALIDATION_FAILED" && field == "items.0.quantity" => {}
        Answer::Refused { code, field, message } => {
            return Err(fail(
                step,
                format!(
                    "expected VALIDATION_FAILED at items.0.quantity, got {}",
                    super::client::refusal(&code, &field, &message)
                ),
            ));
        }
        Answer::Done(_) => return Err(fail(step, "accepted: more units shipped than ordered")),
    }
    let after = ctx
        .api
        .run("query($id: ID!) { order(id: $id) { version shipments { id } } }", json!({"id": order_id}))
        .await
        .at("order after refusal")?;
    expect("order after refusal", &after, "/order/version", &version.to_string())?;
    expect("order after refusal", &after, "/order/shipments", "[]")
}
