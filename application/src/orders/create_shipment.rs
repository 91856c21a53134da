//! createShipment: allocates line quantities to a new shipment; idempotent on the caller's key.

use domain::{
    ShipmentId,
    order::{LinePick, NewShipment},
};

use crate::{
    AppError, Permission, Principal,
    orders::{
        Orders, Outcome, ShipmentView,
        commands::CreateShipment,
        idempotency::KeyUse,
        inputs,
        runner::{Change, Command},
        target::Target,
        vendor_scope,
    },
};

const OPERATION: &str = "createShipment";

impl Orders {
    pub async fn create_shipment(
        &self,
        p: &Principal,
        input: CreateShipment,
    ) -> Result<Outcome<ShipmentView>, AppError> {
        let command = Command {
            action: OPERATION,
            permission: Permission::ShipmentCreate,
            input: &input,
            names_order: Some(&input.order_id),
            names: None,
        };
        let outcome = self
            .run(p, command, |authorized| {
                let input = &input;
                let target = Target::order_at(&input.order_id, "orderId")?;
                vendor_scope::own_lines(
                    authorized.vendor(),
                    input.items.iter().map(|i| i.vendor_id.as_str()),
                    "items",
                )?;
                let key = KeyUse::new(OPERATION, input.idempotency_key.as_deref(), &input)?;
                let address = input.address.as_ref().map(|a| inputs::address(a, &["address"])).transpose()?;
                let package = input.package.as_ref().map(inputs::package).transpose()?;
                let pickup = input.pickup.as_ref().map(inputs::pickup).transpose()?;
                let items: Vec<LinePick> =
                    input.items.iter().map(|i| LinePick::new(&i.sku, &i.vendor_id, i.quantity)).collect();
                let shipment_id = ShipmentId::from_uuid(self.ids.new_id());
                Ok(Change {
                    target,
                    expected_version: None,
                    key,
                    step: Box::new(move |order, cx| {
                        let shipment = NewShipment {
                            id: shipment_id,
                            mode: input.mode,
                            provider: input.provider.clone(),
                            address: address.clone(),
                            items: items.clone(),
                            package: package.clone(),
                            pickup: pickup.clone(),
                        };
                        order.create_shipment(shipment, cx.now)?;
                        Ok(shipment_id)
                    }),
                    remembers: Box::new(|_, shipment_id| shipment_id.to_string()),
                    replays: Box::new(|order, record| {
                        // The key was remembered with a shipment of this order (same content,
                        // so the same order): answer with it.
                        ShipmentId::parse(&record.resource_id)
                            .ok()
                            .filter(|id| order.shipment(*id).is_some())
                            .ok_or_else(AppError::internal)
                    }),
                    delivery: None,
                })
            })
            .await?;
        let (order, shipment_id) = outcome.value;
        Ok(Outcome {
            value: ShipmentView { order, shipment_id },
            replayed: outcome.replayed,
            duplicate: outcome.duplicate,
        })
    }
}
