//! Carrier tracking reports: recorded always, applied only forwards, rolled up to the order.

use super::*;
use crate::order::{TrackingEffect, TrackingReport, moves_forward};

fn report(n: u128, carrier_status: &str, status: Option<ShipmentStatus>) -> TrackingReport {
    TrackingReport {
        id: Uuid::from_u128(0x7000 + n),
        carrier_status: carrier_status.to_owned(),
        status,
        occurred_at: now(),
        raw_reference: "TRK-1".to_owned(),
    }
}

/// An order whose only shipment holds every unit and is dispatched.
fn shipped_order() -> (Order, ShipmentId) {
    let mut o = OrderBuilder::standard().build();
    let id = add_shipment(&mut o, 1, &[("A", 3), ("B", 1)], ShipmentStatus::Shipped);
    assert_eq!(o.status(), OrderStatus::Shipped);
    (o, id)
}

#[test]
fn in_transit_then_delivered_moves_the_shipment_and_the_order() {
    let (mut o, id) = shipped_order();
    let effect = accepted(&mut o, &["shipment.in_transit"], |o| {
        o.record_tracking(id, report(1, "in_transit", Some(ShipmentStatus::InTransit)), later())
    });
    assert_eq!(effect, TrackingEffect::Moved(ShipmentStatus::InTransit));
    assert_eq!(o.status(), OrderStatus::Shipped);
    let effect = accepted(&mut o, &["shipment.delivered"], |o| {
        o.record_tracking(id, report(2, "delivered", Some(ShipmentStatus::Delivered)), later())
    });
    assert_eq!(effect, TrackingEffect::Moved(ShipmentStatus::Delivered));
    assert_eq!(o.shipment(id).unwrap().status, ShipmentStatus::Delivered);
    assert_eq!(o.status(), OrderStatus::Delivered);
    let recorded: Vec<&str> = o.tracking_events(id).map(|e| e.carrier_status.as_str()).collect();
    assert_eq!(recorded, ["in_transit", "delivered"]);
}

#[test]
fn a_late_or_unmapped_report_is_recorded_and_moves_nothing() {
    let (mut o, id) = shipped_order();
    o.record_tracking(id, report(1, "delivered", Some(ShipmentStatus::Delivered)), now()).unwrap();
    o.take_events();
    for (n, (word, status)) in
        [("in_transit", Some(ShipmentStatus::InTransit)), ("label_printed", None)].into_iter().enumerate()
    {
        let effect = accepted(&mut o, &[], |o| o.record_tracking(id, report(10 + n as u128, word, status), later()));
        assert_eq!(effect, TrackingEffect::Recorded);
        assert_eq!(o.shipment(id).unwrap().status, ShipmentStatus::Delivered);
        assert_eq!(o.status(), OrderStatus::Delivered);
    }
    assert_eq!(o.tracking_events(id).count(), 3);
    let late = o.tracking_events(id).nth(1).unwrap();
    assert_eq!((late.status, late.raw_reference.as_str()), (Some(ShipmentStatus::InTransit), "TRK-1"));
}

#[test]
fn forwards_only() {
    use ShipmentStatus::*;
    assert!(moves_forward(Shipped, InTransit));
    assert!(moves_forward(InTransit, Failed));
    assert!(moves_forward(Failed, InTransit), "a failed attempt is followed by a new one");
    assert!(moves_forward(Failed, Delivered));
    assert!(moves_forward(InTransit, Returned));
    assert!(!moves_forward(InTransit, InTransit), "a repeat is no move");
    assert!(!moves_forward(Delivered, InTransit));
    assert!(!moves_forward(Returned, Delivered));
    assert!(!moves_forward(Confirmed, InTransit), "a shipment not dispatched is not tracked");
    assert!(!moves_forward(Shipped, Shipped));
    assert!(!moves_forward(InTransit, Cancelled), "carriers do not cancel");
}

#[test]
fn a_report_on_a_shipment_of_another_order_or_without_status_is_refused() {
    let (mut o, _) = shipped_order();
    let before = snapshot(&o);
    refused(&mut o, |o| o.record_tracking(sid(99), report(1, "in_transit", None), later()));
    refused(&mut o, |o| o.record_tracking(sid(1), report(1, "  ", None), later()));
    assert_eq!(snapshot(&o), before);
}
