//! confirmShipment, dispatchShipment, deliverShipment, cancelShipment.

use domain::{
    DomainError, ShipmentId,
    order::{Dispatch, Order},
};

use crate::{
    AppError, Permission, Principal,
    orders::{
        Orders, ShipmentView,
        commands::{DispatchShipment, ShipmentRef},
        inputs,
        runner::{Change, Command},
        target::Target,
    },
};

impl Orders {
    pub async fn confirm_shipment(&self, p: &Principal, input: ShipmentRef) -> Result<ShipmentView, AppError> {
        self.move_shipment(p, input, "confirmShipment", Permission::ShipmentConfirm, |o, id, now| {
            o.confirm_shipment(id, now)
        })
        .await
    }

    pub async fn deliver_shipment(&self, p: &Principal, input: ShipmentRef) -> Result<ShipmentView, AppError> {
        self.move_shipment(p, input, "deliverShipment", Permission::ShipmentDeliver, |o, id, now| {
            o.deliver_shipment(id, now)
        })
        .await
    }

    pub async fn cancel_shipment(&self, p: &Principal, input: ShipmentRef) -> Result<ShipmentView, AppError> {
        self.move_shipment(p, input, "cancelShipment", Permission::ShipmentCancel, |o, id, now| {
            o.cancel_shipment(id, now)
        })
        .await
    }

    /// Manual dispatch: the caller gives the carrier's tracking reference, label and cost.
    /// Without a tracking reference, a tenant with a carrier API has the carrier book it (see
    /// `book_shipment`); any other tenant is told the reference is required.
    pub async fn dispatch_shipment(&self, p: &Principal, input: DispatchShipment) -> Result<ShipmentView, AppError> {
        let without_reference = input.tracking_reference.as_deref().is_none_or(|t| t.trim().is_empty());
        if without_reference && let Some(account) = self.carriers.account(&p.tenant_id) {
            return self.book_and_dispatch(p, &input, account).await;
        }
        let command = Command {
            action: "dispatchShipment",
            permission: Permission::ShipmentDispatch,
            input: &input,
            names_order: None,
            names: Some(&input.id),
        };
        let id = Target::shipment_id(&input.id, "id");
        let outcome = self
            .run(p, command, |_| {
                let id = id.clone()?;
                let Some(tracking_reference) = input.tracking_reference.clone().filter(|t| !t.trim().is_empty()) else {
                    return Err(AppError::validation(
                        &["trackingReference"],
                        "trackingReference is required: no carrier API is configured to book this shipment",
                    ));
                };
                let cost = input.cost.as_ref().map(|c| inputs::money(c, &["cost"])).transpose()?;
                let dispatch = Dispatch { tracking_reference, label_url: input.label_url.clone(), cost };
                Ok(Change::of_order(Target::Shipment(id).named_by("id"), input.expected_version, move |o, cx| {
                    o.dispatch_shipment(id, dispatch.clone(), cx.now)?;
                    Ok(o.book_shipment_cost(id, cx.ids.new_id(), cx.now)?)
                }))
            })
            .await?;
        Ok(ShipmentView { order: outcome.value.0, shipment_id: id? })
    }

    /// The shipment commands that only move a shipment along its state machine.
    async fn move_shipment(
        &self,
        p: &Principal,
        input: ShipmentRef,
        action: &'static str,
        permission: Permission,
        command: impl Fn(&mut Order, ShipmentId, chrono::DateTime<chrono::Utc>) -> Result<(), DomainError> + Send + Sync,
    ) -> Result<ShipmentView, AppError> {
        let header = Command { action, permission, input: &input, names_order: None, names: Some(&input.id) };
        let id = Target::shipment_id(&input.id, "id");
        let outcome = self
            .run(p, header, |_| {
                let id = id.clone()?;
                Ok(Change::of_order(Target::Shipment(id).named_by("id"), input.expected_version, move |o, cx| {
                    Ok(command(o, id, cx.now)?)
                }))
            })
            .await?;
        Ok(ShipmentView { order: outcome.value.0, shipment_id: id? })
    }
}
