//! createOrder: idempotent on the tenant's externalRef and on the caller's idempotency key.

use domain::order::{NewOrder, Order};

use crate::{
    AppError, Permission, Principal,
    orders::{
        Orders, Outcome,
        commands::CreateOrder,
        idempotency::KeyUse,
        inputs,
        runner::{Authority, Command, Creation, DeliveryUse},
        vendor_scope,
    },
};

const OPERATION: &str = "createOrder";

impl Orders {
    pub async fn create_order(&self, p: &Principal, input: CreateOrder) -> Result<Outcome<Order>, AppError> {
        self.create_order_as(p, Authority::Roles, input, None).await
    }

    /// createOrder on `authority`, for the webhook delivery `delivery` when one asks for it.
    pub(crate) async fn create_order_as(
        &self,
        p: &Principal,
        authority: Authority,
        input: CreateOrder,
        delivery: Option<DeliveryUse>,
    ) -> Result<Outcome<Order>, AppError> {
        let command = Command {
            action: OPERATION,
            permission: Permission::OrderCreate,
            input: &input,
            names_order: None,
            names: None,
        };
        let outcome = self
            .run_as(p, authority, command, |authorized| {
                let input = &input;
                let key = KeyUse::new(OPERATION, input.idempotency_key.as_deref(), &input)?;
                // Everything is validated before the database is touched: bad input changes nothing.
                let customer = inputs::customer(&input.customer)?;
                let shipping_address =
                    input.shipping_address.as_ref().map(|a| inputs::address(a, &["shippingAddress"])).transpose()?;
                let lines = inputs::lines(&input.lines)?;
                vendor_scope::own_lines(
                    authorized.vendor(),
                    input.lines.iter().map(|l| l.vendor_id.as_str()),
                    "lines",
                )?;
                let auto_confirm = authorized.settings.auto_confirm_orders;
                // Looked up as it is stored (NFC); the domain's dry run below refuses a bad one.
                let external_ref = domain::identifier::optional(
                    "externalRef",
                    input.external_ref.as_deref(),
                    domain::order::MAX_EXTERNAL_REF_LEN,
                )
                .ok()
                .flatten();
                let draft = move |id, number| NewOrder {
                    id,
                    tenant_id: p.tenant_id.clone(),
                    number,
                    external_ref: input.external_ref.clone(),
                    customer: customer.clone(),
                    shipping_address: shipping_address.clone(),
                    lines: lines.clone(),
                };
                // A dry run with placeholder identity, so that the domain's own validation also
                // happens before any write.
                let placeholder = domain::OrderId::from_uuid(uuid::Uuid::nil());
                Order::create(draft(placeholder, String::new()), auto_confirm, self.clock.now())?;
                Ok(Creation {
                    key,
                    external_ref,
                    build: Box::new(move |slot, cx| {
                        Ok(Order::create(draft(slot.id, slot.number), auto_confirm, cx.now)?)
                    }),
                    delivery: delivery.clone(),
                    attempted: false,
                })
            })
            .await?;
        Ok(Outcome { value: outcome.value.0, replayed: outcome.replayed, duplicate: outcome.duplicate })
    }
}
