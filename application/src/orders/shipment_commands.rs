//! confirmShipment, dispatchShipment, deliverShipment, cancelShipment.

use domain::order::Dispatch;

use crate::{
    AppError, Permission, Principal,
    orders::{
        Orders, ShipmentView,
        change::Target,
        commands::{DispatchShipment, ShipmentRef},
        inputs,
    },
};

impl Orders {
    pub async fn confirm_shipment(&self, p: &Principal, input: ShipmentRef) -> Result<ShipmentView, AppError> {
        let access = self.authorize(p, Permission::ShipmentConfirm).await?;
        let id = Target::shipment_id(&input.id)?;
        let order = self
            .change_order(&access, p, Target::Shipment(id), input.expected_version, |o, now| {
                o.confirm_shipment(id, now)
            })
            .await?;
        Ok(ShipmentView { order, shipment_id: id })
    }

    pub async fn deliver_shipment(&self, p: &Principal, input: ShipmentRef) -> Result<ShipmentView, AppError> {
        let access = self.authorize(p, Permission::ShipmentDeliver).await?;
        let id = Target::shipment_id(&input.id)?;
        let order = self
            .change_order(&access, p, Target::Shipment(id), input.expected_version, |o, now| {
                o.deliver_shipment(id, now)
            })
            .await?;
        Ok(ShipmentView { order, shipment_id: id })
    }

    pub async fn cancel_shipment(&self, p: &Principal, input: ShipmentRef) -> Result<ShipmentView, AppError> {
        let access = self.authorize(p, Permission::ShipmentCancel).await?;
        let id = Target::shipment_id(&input.id)?;
        let order = self
            .change_order(&access, p, Target::Shipment(id), input.expected_version, |o, now| o.cancel_shipment(id, now))
            .await?;
        Ok(ShipmentView { order, shipment_id: id })
    }

    /// Manual dispatch: the caller gives the carrier's tracking reference, label and cost.
    /// Booking through the tenant's carrier API (no tracking reference given) is not configured yet.
    pub async fn dispatch_shipment(&self, p: &Principal, input: DispatchShipment) -> Result<ShipmentView, AppError> {
        let access = self.authorize(p, Permission::ShipmentDispatch).await?;
        let id = Target::shipment_id(&input.id)?;
        let Some(tracking_reference) = input.tracking_reference.filter(|t| !t.trim().is_empty()) else {
            return Err(AppError::validation(
                &["trackingReference"],
                "trackingReference is required: no carrier API is configured to book this shipment",
            ));
        };
        let cost = input.cost.as_ref().map(|c| inputs::money(c, &["cost"])).transpose()?;
        let dispatch = Dispatch { tracking_reference, label_url: input.label_url, cost };
        let order = self
            .change_order(&access, p, Target::Shipment(id), input.expected_version, |o, now| {
                o.dispatch_shipment(id, dispatch.clone(), now)
            })
            .await?;
        Ok(ShipmentView { order, shipment_id: id })
    }
}
