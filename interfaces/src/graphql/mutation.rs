use async_graphql::{Context, Object, SimpleObject};

use crate::graphql::{
    context::{mutation_principal, services},
    errors::{UserError, payload, respond},
    inputs::*,
    types::{Order, Refund, Return, Shipment},
    visibility,
};

/// The `Idempotency-Key` request header, when the input does not carry a key itself.
#[derive(Clone, Debug)]
pub struct IdempotencyHeader(pub String);

fn header_key(ctx: &Context<'_>) -> Option<String> {
    ctx.data_opt::<IdempotencyHeader>().map(|h| h.0.clone())
}

#[derive(SimpleObject, Default)]
pub struct OrderPayload {
    pub order: Option<Order>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct CreateOrderPayload {
    pub order: Option<Order>,
    /// True when this call replayed an earlier one (same idempotency key or externalRef).
    pub replayed: bool,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct ShipmentPayload {
    pub shipment: Option<Shipment>,
    pub order: Option<Order>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct CreateShipmentPayload {
    pub shipment: Option<Shipment>,
    pub order: Option<Order>,
    /// True when this call replayed an earlier one with the same idempotency key.
    pub replayed: bool,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct RecordPaymentPayload {
    pub order: Option<Order>,
    /// True when this call replayed an earlier one with the same idempotency key.
    pub replayed: bool,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct ReturnPayload {
    #[graphql(name = "return")]
    pub return_: Option<Return>,
    pub order: Option<Order>,
    pub user_errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct ProcessRefundPayload {
    pub refund: Option<Refund>,
    #[graphql(name = "return")]
    pub return_: Option<Return>,
    pub order: Option<Order>,
    /// True when this call replayed an earlier one with the same idempotency key.
    pub replayed: bool,
    pub user_errors: Vec<UserError>,
}

payload!(
    OrderPayload,
    CreateOrderPayload,
    ShipmentPayload,
    CreateShipmentPayload,
    RecordPaymentPayload,
    ReturnPayload,
    ProcessRefundPayload
);

fn return_payload(v: application::orders::ReturnView) -> ReturnPayload {
    let ret = Return::from(v);
    ReturnPayload { order: Some(ret.order_handle()), return_: Some(ret), user_errors: vec![] }
}

fn order_payload(o: domain::order::Order) -> OrderPayload {
    OrderPayload { order: Some(o.into()), user_errors: vec![] }
}

fn shipment_payload(v: application::orders::ShipmentView) -> ShipmentPayload {
    let shipment = Shipment::from(v);
    ShipmentPayload { order: Some(shipment.order_handle()), shipment: Some(shipment), user_errors: vec![] }
}

#[derive(Default)]
pub struct Mutation;

#[Object(name = "OrderMutations")]
impl Mutation {
    /// Creates an order: CONFIRMED when the tenant auto-confirms (default), else PENDING.
    #[graphql(visible = "visibility::order_create")]
    async fn create_order(
        &self,
        ctx: &Context<'_>,
        input: CreateOrderInput,
    ) -> async_graphql::Result<CreateOrderPayload> {
        let r = services(ctx)
            .orders
            .create_order(mutation_principal(ctx).await?, input.into_command(header_key(ctx)))
            .await;
        respond(r, |o| CreateOrderPayload { order: Some(o.value.into()), replayed: o.replayed, user_errors: vec![] })
    }

    /// PENDING → CONFIRMED.
    #[graphql(visible = "visibility::order_confirm")]
    async fn confirm_order(&self, ctx: &Context<'_>, input: OrderRefInput) -> async_graphql::Result<OrderPayload> {
        respond(services(ctx).orders.confirm_order(mutation_principal(ctx).await?, input.into()).await, order_payload)
    }

    /// Cancels the order and its pending or confirmed shipments; refused once anything shipped.
    #[graphql(visible = "visibility::order_cancel")]
    async fn cancel_order(&self, ctx: &Context<'_>, input: CancelOrderInput) -> async_graphql::Result<OrderPayload> {
        respond(services(ctx).orders.cancel_order(mutation_principal(ctx).await?, input.into()).await, order_payload)
    }

    /// DELIVERED → COMPLETED.
    #[graphql(visible = "visibility::order_complete")]
    async fn complete_order(&self, ctx: &Context<'_>, input: OrderRefInput) -> async_graphql::Result<OrderPayload> {
        respond(services(ctx).orders.complete_order(mutation_principal(ctx).await?, input.into()).await, order_payload)
    }

    /// Puts the order on review hold until the named reviewer decides.
    #[graphql(visible = "visibility::order_review")]
    async fn escalate_order_review(
        &self,
        ctx: &Context<'_>,
        input: EscalateOrderReviewInput,
    ) -> async_graphql::Result<OrderPayload> {
        respond(
            services(ctx).orders.escalate_order_review(mutation_principal(ctx).await?, input.into()).await,
            order_payload,
        )
    }

    /// The named reviewer approves (lifts the hold) or rejects (cancels the order).
    #[graphql(visible = "visibility::order_review")]
    async fn review_order(&self, ctx: &Context<'_>, input: ReviewOrderInput) -> async_graphql::Result<OrderPayload> {
        respond(services(ctx).orders.review_order(mutation_principal(ctx).await?, input.into()).await, order_payload)
    }

    /// Allocates line quantities to a new PENDING shipment.
    #[graphql(visible = "visibility::shipment_create")]
    async fn create_shipment(
        &self,
        ctx: &Context<'_>,
        input: CreateShipmentInput,
    ) -> async_graphql::Result<CreateShipmentPayload> {
        let r = services(ctx)
            .orders
            .create_shipment(mutation_principal(ctx).await?, input.into_command(header_key(ctx)))
            .await;
        respond(r, |o| {
            let shipment = Shipment::from(o.value);
            CreateShipmentPayload {
                order: Some(shipment.order_handle()),
                shipment: Some(shipment),
                replayed: o.replayed,
                user_errors: vec![],
            }
        })
    }

    /// PENDING → CONFIRMED.
    #[graphql(visible = "visibility::shipment_confirm")]
    async fn confirm_shipment(
        &self,
        ctx: &Context<'_>,
        input: ShipmentRefInput,
    ) -> async_graphql::Result<ShipmentPayload> {
        respond(
            services(ctx).orders.confirm_shipment(mutation_principal(ctx).await?, input.into()).await,
            shipment_payload,
        )
    }

    /// CONFIRMED → SHIPPED with the carrier's tracking reference, label and cost.
    #[graphql(visible = "visibility::shipment_dispatch")]
    async fn dispatch_shipment(
        &self,
        ctx: &Context<'_>,
        input: DispatchShipmentInput,
    ) -> async_graphql::Result<ShipmentPayload> {
        respond(
            services(ctx).orders.dispatch_shipment(mutation_principal(ctx).await?, input.into()).await,
            shipment_payload,
        )
    }

    /// SHIPPED or IN_TRANSIT → DELIVERED.
    #[graphql(visible = "visibility::shipment_deliver")]
    async fn deliver_shipment(
        &self,
        ctx: &Context<'_>,
        input: ShipmentRefInput,
    ) -> async_graphql::Result<ShipmentPayload> {
        respond(
            services(ctx).orders.deliver_shipment(mutation_principal(ctx).await?, input.into()).await,
            shipment_payload,
        )
    }

    /// PENDING or CONFIRMED → CANCELLED; its units become available again.
    #[graphql(visible = "visibility::shipment_cancel")]
    async fn cancel_shipment(
        &self,
        ctx: &Context<'_>,
        input: ShipmentRefInput,
    ) -> async_graphql::Result<ShipmentPayload> {
        respond(
            services(ctx).orders.cancel_shipment(mutation_principal(ctx).await?, input.into()).await,
            shipment_payload,
        )
    }

    /// Records a payment against what the order owes (debit cash / credit its receivable).
    /// The order must be confirmed and not cancelled; overpayment is refused.
    #[graphql(visible = "visibility::payment_record")]
    async fn record_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordPaymentInput,
    ) -> async_graphql::Result<RecordPaymentPayload> {
        let r = services(ctx)
            .orders
            .record_payment(mutation_principal(ctx).await?, input.into_command(header_key(ctx)))
            .await;
        respond(r, |o| RecordPaymentPayload { order: Some(o.value.into()), replayed: o.replayed, user_errors: vec![] })
    }

    /// Asks to send delivered units back: REQUESTED.
    #[graphql(visible = "visibility::return_request")]
    async fn request_return(
        &self,
        ctx: &Context<'_>,
        input: RequestReturnInput,
    ) -> async_graphql::Result<ReturnPayload> {
        respond(services(ctx).orders.request_return(mutation_principal(ctx).await?, input.into()).await, return_payload)
    }

    /// REQUESTED → APPROVED.
    #[graphql(visible = "visibility::return_approve")]
    async fn approve_return(&self, ctx: &Context<'_>, input: ReturnRefInput) -> async_graphql::Result<ReturnPayload> {
        respond(services(ctx).orders.approve_return(mutation_principal(ctx).await?, input.into()).await, return_payload)
    }

    /// REQUESTED → DECLINED; the units may be asked back again later.
    #[graphql(visible = "visibility::return_approve")]
    async fn decline_return(
        &self,
        ctx: &Context<'_>,
        input: DeclineReturnInput,
    ) -> async_graphql::Result<ReturnPayload> {
        respond(services(ctx).orders.decline_return(mutation_principal(ctx).await?, input.into()).await, return_payload)
    }

    /// Refunds an APPROVED return once: Σ(unit price × quantity) less the restocking fee, capped
    /// by the tenant's max_refund_amount and by what was paid and not yet refunded.
    #[graphql(visible = "visibility::refund_process")]
    async fn process_refund(
        &self,
        ctx: &Context<'_>,
        input: ProcessRefundInput,
    ) -> async_graphql::Result<ProcessRefundPayload> {
        let r = services(ctx)
            .orders
            .process_refund(mutation_principal(ctx).await?, input.into_command(header_key(ctx)))
            .await;
        respond(r, |o| {
            let ret = Return::from(o.value);
            ProcessRefundPayload {
                refund: ret.refund_of(),
                order: Some(ret.order_handle()),
                return_: Some(ret),
                replayed: o.replayed,
                user_errors: vec![],
            }
        })
    }
}
