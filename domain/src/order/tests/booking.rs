//! The carrier booking recorded before postage is bought.

use super::*;
use crate::order::CarrierBooking;

fn booking(id: &str) -> CarrierBooking {
    CarrierBooking { carrier: " EasyPost ".to_owned(), carrier_shipment_id: id.to_owned() }
}

#[test]
fn the_first_booking_is_held_and_a_later_one_gets_it_back() {
    let mut o = order_in(OrderStatus::Confirmed);
    let id = add_shipment(&mut o, 1, &[("A", 1)], ShipmentStatus::Confirmed);
    let version = o.version();
    let held = o.hold_carrier_booking(id, booking("shp_1")).unwrap();
    assert_eq!(held, CarrierBooking { carrier: "easypost".to_owned(), carrier_shipment_id: "shp_1".to_owned() });
    assert_eq!(o.shipment(id).unwrap().booking.as_ref(), Some(&held));
    // Nothing a reader sees changed: no version, no event.
    assert_eq!(o.version(), version);
    assert!(o.pending_events().is_empty());
    // A concurrent or retried call's own booking is not bought: the held one is.
    assert_eq!(o.hold_carrier_booking(id, booking("shp_2")).unwrap(), held);
    assert_eq!(o.shipment(id).unwrap().booking.as_ref(), Some(&held));
}

#[test]
fn only_a_dispatchable_shipment_is_booked() {
    let mut o = order_in(OrderStatus::Confirmed);
    let pending = add_shipment(&mut o, 1, &[("A", 1)], ShipmentStatus::Pending);
    refused_state(&mut o, |o| o.hold_carrier_booking(pending, booking("shp_1")));
    let shipped = add_shipment(&mut o, 2, &[("A", 1)], ShipmentStatus::Shipped);
    refused_state(&mut o, |o| o.hold_carrier_booking(shipped, booking("shp_1")));
    refused_field(&mut o, &["id"], |o| o.hold_carrier_booking(sid(999), booking("shp_1")));
}

#[test]
fn a_shipment_on_an_order_put_on_hold_is_not_booked() {
    let mut o = order_in(OrderStatus::Confirmed);
    let id = add_shipment(&mut o, 1, &[("A", 1)], ShipmentStatus::Confirmed);
    o.escalate_review("rev", None, "clerk", now()).unwrap();
    o.take_events();
    refused_state(&mut o, |o| o.hold_carrier_booking(id, booking("shp_1")));
    assert!(o.dispatchable_shipment(id).is_err());
}

#[test]
fn a_blank_or_oversized_carrier_shipment_id_is_refused() {
    let mut o = order_in(OrderStatus::Confirmed);
    let id = add_shipment(&mut o, 1, &[("A", 1)], ShipmentStatus::Confirmed);
    refused_field(&mut o, &["carrierShipmentId"], |o| o.hold_carrier_booking(id, booking("  ")));
    refused_field(&mut o, &["carrierShipmentId"], |o| o.hold_carrier_booking(id, booking(&"x".repeat(129))));
    refused_field(&mut o, &["carrierShipmentId"], |o| o.hold_carrier_booking(id, booking("shp\n1")));
}
