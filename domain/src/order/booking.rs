//! Booking a shipment through the tenant's carrier API: the checks made before a carrier is
//! asked, and the booking recorded before its postage is bought.

use crate::{
    DomainError, ShipmentId,
    order::{CarrierBooking, MAX_CARRIER_SHIPMENT_ID, Order, OrderStatus, Shipment, ShipmentStatus},
};

impl Order {
    /// The shipment, if it may be dispatched now: the order in fulfilment and not on review
    /// hold, the shipment CONFIRMED. Asked before a carrier books anything, so that a booking is
    /// never bought for a shipment the dispatch would refuse; the dispatch checks again.
    pub fn dispatchable_shipment(&self, id: ShipmentId) -> Result<&Shipment, DomainError> {
        self.require_status(&OrderStatus::FULFILMENT, "changed by a shipment")?;
        if self.on_review_hold() {
            return Err(DomainError::invalid_state(format!(
                "order {} is on review hold; no shipment may be dispatched until it is reviewed",
                self.parts.number
            )));
        }
        let shipment = self.shipment(id).ok_or_else(|| {
            DomainError::validation(&["id"], format!("shipment {id} is not part of order {}", self.parts.number))
        })?;
        if shipment.status != ShipmentStatus::Confirmed {
            return Err(DomainError::invalid_state(format!(
                "shipment {id} is {} and cannot become SHIPPED",
                shipment.status.as_str()
            )));
        }
        Ok(shipment)
    }

    /// Records the carrier's booking of a dispatchable shipment, before its postage is bought.
    /// A shipment holds one booking for good: when one is recorded already (a retried call, or a
    /// concurrent one that got here first) it stays, and it is the one returned, to be bought.
    ///
    /// Changes neither the version nor the events: until the dispatch, nothing a reader of the
    /// order sees has changed, and a booking whose purchase then fails leaves the order as it was.
    pub fn hold_carrier_booking(
        &mut self,
        id: ShipmentId,
        booking: CarrierBooking,
    ) -> Result<CarrierBooking, DomainError> {
        if let Some(held) = &self.dispatchable_shipment(id)?.booking {
            return Ok(held.clone());
        }
        let carrier = booking.carrier.trim().to_lowercase();
        let carrier_shipment_id = booking.carrier_shipment_id.trim().to_owned();
        if carrier.is_empty() || carrier.len() > 64 {
            return Err(DomainError::validation(&["carrier"], "a booking's carrier must be 1 to 64 characters"));
        }
        if carrier_shipment_id.is_empty()
            || carrier_shipment_id.chars().count() > MAX_CARRIER_SHIPMENT_ID
            || carrier_shipment_id.chars().any(char::is_control)
        {
            return Err(DomainError::validation(
                &["carrierShipmentId"],
                format!("the carrier's shipment id must be 1 to {MAX_CARRIER_SHIPMENT_ID} printable characters"),
            ));
        }
        let held = CarrierBooking { carrier, carrier_shipment_id };
        let shipment = self.shipment_mut(id)?;
        shipment.booking = Some(held.clone());
        Ok(held)
    }
}
