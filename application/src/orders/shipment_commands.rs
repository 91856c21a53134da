//! confirmShipment, dispatchShipment, deliverShipment, cancelShipment.

use domain::{
    DomainError, ShipmentId,
    order::{Dispatch, Order},
};

use crate::{
    AppError, Permission, Principal,
    audit_trail::AuditDraft,
    orders::{
        Orders, ShipmentView,
        change::Target,
        commands::{DispatchShipment, ShipmentRef},
        inputs,
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
    /// Booking through the tenant's carrier API (no tracking reference given) is not configured yet.
    pub async fn dispatch_shipment(&self, p: &Principal, input: DispatchShipment) -> Result<ShipmentView, AppError> {
        let mut audit = AuditDraft::new(p, "dispatchShipment", &input);
        audit.target(&input.id);
        let result = async {
            let access = self.authorize(p, Permission::ShipmentDispatch).await?;
            let id = Target::shipment_id(&input.id)?;
            let Some(tracking_reference) = input.tracking_reference.clone().filter(|t| !t.trim().is_empty()) else {
                return Err(AppError::validation(
                    &["trackingReference"],
                    "trackingReference is required: no carrier API is configured to book this shipment",
                ));
            };
            let cost = input.cost.as_ref().map(|c| inputs::money(c, &["cost"])).transpose()?;
            let dispatch = Dispatch { tracking_reference, label_url: input.label_url.clone(), cost };
            let order = self
                .change_order(
                    &access,
                    p,
                    &mut audit,
                    Target::Shipment(id).named_by("id"),
                    input.expected_version,
                    |o, now| {
                        o.dispatch_shipment(id, dispatch.clone(), now)?;
                        o.book_shipment_cost(id, self.ids.new_id(), now)
                    },
                )
                .await?;
            Ok(ShipmentView { order, shipment_id: id })
        }
        .await;
        self.settle(audit, result).await
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
        let mut audit = AuditDraft::new(p, action, &input);
        audit.target(&input.id);
        let result = async {
            let access = self.authorize(p, permission).await?;
            let id = Target::shipment_id(&input.id)?;
            let order = self
                .change_order(
                    &access,
                    p,
                    &mut audit,
                    Target::Shipment(id).named_by("id"),
                    input.expected_version,
                    |o, now| command(o, id, now),
                )
                .await?;
            Ok(ShipmentView { order, shipment_id: id })
        }
        .await;
        self.settle(audit, result).await
    }
}
