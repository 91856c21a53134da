//! confirm, cancel and complete from every order status (SPEC §2 order table).

use super::*;

const OK: bool = true;
const REFUSED: bool = false;

// --- confirm: PENDING → CONFIRMED -------------------------------------------------------------

fn check_confirm(from: OrderStatus, ok: bool) {
    let mut o = order_in(from);
    if ok {
        accepted(&mut o, &["order.confirmed"], |o| o.confirm(later()));
        assert_eq!(o.status(), OrderStatus::Confirmed);
        assert_eq!(o.pending_events()[0].data.order_status, "CONFIRMED");
    } else {
        refused_state(&mut o, |o| o.confirm(later()));
    }
}

status_cases!(check_confirm {
    confirm_from_pending: Pending => OK;
    confirm_refused_from_confirmed: Confirmed => REFUSED;
    confirm_refused_from_partially_shipped: PartiallyShipped => REFUSED;
    confirm_refused_from_shipped: Shipped => REFUSED;
    confirm_refused_from_partially_delivered: PartiallyDelivered => REFUSED;
    confirm_refused_from_delivered: Delivered => REFUSED;
    confirm_refused_from_completed: Completed => REFUSED;
    confirm_refused_from_cancelled: Cancelled => REFUSED;
});

// --- complete: DELIVERED → COMPLETED ----------------------------------------------------------

fn check_complete(from: OrderStatus, ok: bool) {
    let mut o = order_in(from);
    if ok {
        accepted(&mut o, &["order.completed"], |o| o.complete(later()));
        assert_eq!(o.status(), OrderStatus::Completed);
    } else {
        refused_state(&mut o, |o| o.complete(later()));
    }
}

status_cases!(check_complete {
    complete_refused_from_pending: Pending => REFUSED;
    complete_refused_from_confirmed: Confirmed => REFUSED;
    complete_refused_from_partially_shipped: PartiallyShipped => REFUSED;
    complete_refused_from_shipped: Shipped => REFUSED;
    complete_refused_from_partially_delivered: PartiallyDelivered => REFUSED;
    complete_from_delivered: Delivered => OK;
    complete_refused_from_completed: Completed => REFUSED;
    complete_refused_from_cancelled: Cancelled => REFUSED;
});

// --- cancel: PENDING, CONFIRMED, PARTIALLY_SHIPPED (no shipment shipped) → CANCELLED ----------

fn check_cancel(from: OrderStatus, ok: bool) {
    let mut o = order_in(from);
    if ok {
        accepted(&mut o, &["order.cancelled"], |o| o.cancel(Some("  out of stock "), later()));
        assert_eq!(o.status(), OrderStatus::Cancelled);
        assert_eq!(o.cancellation_reason(), Some("out of stock"));
        let e = &o.pending_events()[0];
        assert_eq!(e.data.reason.as_deref(), Some("out of stock"));
        assert_eq!(e.data.order_status, "CANCELLED");
    } else {
        refused_state(&mut o, |o| o.cancel(None, later()));
    }
}

status_cases!(check_cancel {
    cancel_from_pending: Pending => OK;
    cancel_from_confirmed: Confirmed => OK;
    // Reached through commands, PARTIALLY_SHIPPED always has a SHIPPED shipment, so it is refused.
    cancel_refused_from_partially_shipped_with_a_shipped_shipment: PartiallyShipped => REFUSED;
    cancel_refused_from_shipped: Shipped => REFUSED;
    cancel_refused_from_partially_delivered: PartiallyDelivered => REFUSED;
    cancel_refused_from_delivered: Delivered => REFUSED;
    cancel_refused_from_completed: Completed => REFUSED;
    cancel_refused_from_cancelled: Cancelled => REFUSED;
});

#[test]
fn cancel_without_reason_records_none() {
    let mut o = order_in(OrderStatus::Confirmed);
    accepted(&mut o, &["order.cancelled"], |o| o.cancel(Some("   "), later()));
    assert_eq!(o.cancellation_reason(), None);
    assert_eq!(o.pending_events()[0].data.reason, None);
}

#[test]
fn cancel_refuses_a_too_long_reason() {
    let mut o = order_in(OrderStatus::Confirmed);
    refused_field(&mut o, &["reason"], |o| o.cancel(Some(&"r".repeat(100_000)), later()));
}

#[test]
fn cancel_takes_its_pending_and_confirmed_shipments_with_it() {
    let mut o = order_in(OrderStatus::Confirmed);
    let s1 = add_shipment(&mut o, 1, &[("A", 1)], ShipmentStatus::Pending);
    let s2 = add_shipment(&mut o, 2, &[("A", 1)], ShipmentStatus::Confirmed);
    let s3 = add_shipment(&mut o, 3, &[("B", 1)], ShipmentStatus::Cancelled);
    accepted(&mut o, &["shipment.cancelled", "shipment.cancelled", "order.cancelled"], |o| o.cancel(None, later()));
    assert_eq!(o.status(), OrderStatus::Cancelled);
    for id in [s1, s2, s3] {
        assert_eq!(o.shipment(id).unwrap().status, ShipmentStatus::Cancelled);
    }
    let ev = o.pending_events();
    assert_eq!(ev[0].data.shipment_id, Some(s1.to_string()));
    assert_eq!(ev[1].data.shipment_id, Some(s2.to_string()));
    assert_eq!(ev[0].data.shipment_status.as_deref(), Some("CANCELLED"));
    // s3 was already cancelled: no second event for it, and it keeps its own timestamp.
    assert_eq!(o.shipment(s3).unwrap().updated_at, now());
    assert_eq!(o.shipment(s1).unwrap().updated_at, later());
}

#[test]
fn cancel_from_pending_order_on_review_hold_is_allowed() {
    // The hold only blocks creating and dispatching shipments.
    let mut o = OrderBuilder::standard().pending().build();
    o.escalate_review("rev", None, "clerk", now()).unwrap();
    o.take_events();
    accepted(&mut o, &["order.cancelled"], |o| o.cancel(None, later()));
}

/// PARTIALLY_SHIPPED is in the spec's "cancel from" list only while no shipment has left. No command
/// produces that combination, but a stored order can carry it; the rule must still hold.
#[test]
fn cancel_from_partially_shipped_when_no_shipment_has_left() {
    let mut o = order_in(OrderStatus::Confirmed);
    let s1 = add_shipment(&mut o, 1, &[("A", 2)], ShipmentStatus::Confirmed);
    let mut o = restored(&o, |p| p.status = OrderStatus::PartiallyShipped);
    accepted(&mut o, &["shipment.cancelled", "order.cancelled"], |o| o.cancel(None, later()));
    assert_eq!(o.shipment(s1).unwrap().status, ShipmentStatus::Cancelled);
}

#[test]
fn cancel_refused_while_a_shipment_is_shipped_in_transit_or_delivered() {
    for st in [ShipmentStatus::Shipped, ShipmentStatus::InTransit, ShipmentStatus::Delivered] {
        for order_status in [OrderStatus::PartiallyShipped, OrderStatus::Confirmed] {
            let mut o = order_in(OrderStatus::Confirmed);
            let pending = add_shipment(&mut o, 1, &[("B", 1)], ShipmentStatus::Pending);
            let s = add_shipment(&mut o, 2, &[("A", 1)], ShipmentStatus::Shipped);
            let mut o = restored(&with_shipment_status(&o, s, st), |p| p.status = order_status);
            refused_state(&mut o, |o| o.cancel(None, later()));
            assert_eq!(o.shipment(pending).unwrap().status, ShipmentStatus::Pending);
        }
    }
}

#[test]
fn refused_commands_on_a_cancelled_order_keep_it_cancelled() {
    let mut o = order_in(OrderStatus::Cancelled);
    refused_state(&mut o, |o| o.confirm(later()));
    refused_state(&mut o, |o| o.complete(later()));
    refused_state(&mut o, |o| o.cancel(None, later()));
    refused_state(&mut o, |o| o.escalate_review("rev", None, "clerk", later()));
    refused_state(&mut o, |o| o.create_shipment(new_shipment(sid(9), &[("A", 1)]), later()));
    assert_eq!(o.status(), OrderStatus::Cancelled);
}
