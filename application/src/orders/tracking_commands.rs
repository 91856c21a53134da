//! Commands of signed inbound webhooks on orders: a partner's add-order (createOrder on the
//! signature's authority) and a carrier's tracking report on a shipment.

use domain::order::{Order, ShipmentStatus, TrackingEffect, TrackingReport};
use serde::Serialize;

use crate::{
    AppError, Permission, Principal,
    orders::{
        Orders, Outcome,
        commands::CreateOrder,
        runner::{Authority, Change, ChangeDelivery, Command, DeliveryUse},
        target::Target,
    },
};

/// A carrier's report on one shipment, as the tracking webhook read it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordTracking {
    pub shipment_id: String,
    pub tracking_reference: String,
    pub carrier_status: String,
    /// Ours, when the carrier's status is mapped.
    pub status: Option<ShipmentStatus>,
}

/// The shipment after a report, and what the report did.
#[derive(Debug, Clone)]
pub struct TrackingOutcome {
    pub order: Order,
    pub shipment_id: domain::ShipmentId,
    pub effect: TrackingEffect,
}

impl Orders {
    /// createOrder for a delivery of the tenant's add-order webhook: its plan must include
    /// order:create; the same validation, quota and externalRef idempotency apply.
    pub(crate) async fn add_order_signed(
        &self,
        p: &Principal,
        input: CreateOrder,
        delivery: DeliveryUse,
    ) -> Result<Outcome<Order>, AppError> {
        self.create_order_as(p, Authority::Signed { in_plan: true }, input, Some(delivery)).await
    }

    /// Records a carrier's report on a shipment of the caller's tenant (see
    /// `Order::record_tracking`). The carrier's configured webhook is the authority: no plan
    /// permission names carrier reports.
    pub(crate) async fn record_tracking_signed(
        &self,
        p: &Principal,
        input: RecordTracking,
        delivery: DeliveryUse,
    ) -> Result<Outcome<TrackingOutcome>, AppError> {
        let command = Command {
            action: "recordShipmentTracking",
            permission: Permission::ShipmentDeliver,
            input: &input,
            names_order: None,
            names: Some(&input.shipment_id),
        };
        let id = Target::shipment_id(&input.shipment_id, "shipmentId");
        let outcome = self
            .run_as(p, Authority::Signed { in_plan: false }, command, |_| {
                let id = id.clone()?;
                let input = input.clone();
                Ok(Change {
                    target: Target::Shipment(id).named_by("shipmentId"),
                    expected_version: None,
                    key: None,
                    step: Box::new(move |order, cx| {
                        let report = TrackingReport {
                            id: cx.ids.new_id(),
                            carrier_status: input.carrier_status.clone(),
                            status: input.status,
                            occurred_at: cx.now,
                            raw_reference: input.tracking_reference.clone(),
                        };
                        Ok(order.record_tracking(id, report, cx.now)?)
                    }),
                    remembers: Box::new(|order, _| order.id().to_string()),
                    replays: Box::new(|_, _| Ok(TrackingEffect::Recorded)),
                    delivery: Some(ChangeDelivery { delivery, replays: Box::new(|_| TrackingEffect::Recorded) }),
                })
            })
            .await?;
        let (order, effect) = outcome.value;
        Ok(Outcome {
            value: TrackingOutcome { order, shipment_id: id?, effect },
            replayed: outcome.replayed,
            duplicate: outcome.duplicate,
        })
    }
}
