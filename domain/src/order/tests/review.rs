//! escalate_review and decide_review: the review hold.

use super::*;

const OK: bool = true;
const REFUSED: bool = false;

// --- escalate review: PENDING, CONFIRMED (not already on hold) --------------------------------

fn check_escalate(from: OrderStatus, ok: bool) {
    let mut o = order_in(from);
    if ok {
        accepted(&mut o, &["order.review_escalated"], |o| o.escalate_review(" rev ", Some("check"), "clerk", later()));
        assert_eq!(o.status(), from, "escalation does not change the status");
        assert!(o.on_review_hold());
        let r = o.review().unwrap();
        assert_eq!((r.reviewer.as_str(), r.escalated_by.as_str()), ("rev", "clerk"));
        assert_eq!(r.comments.as_deref(), Some("check"));
        assert_eq!(r.escalated_at, later());
        assert_eq!(r.decision, None);
        assert_eq!(o.pending_events()[0].data.reviewer.as_deref(), Some("rev"));
    } else {
        refused_state(&mut o, |o| o.escalate_review("rev", None, "clerk", later()));
        assert!(!o.on_review_hold());
    }
}

status_cases!(check_escalate {
    escalate_from_pending: Pending => OK;
    escalate_from_confirmed: Confirmed => OK;
    escalate_refused_from_partially_shipped: PartiallyShipped => REFUSED;
    escalate_refused_from_shipped: Shipped => REFUSED;
    escalate_refused_from_partially_delivered: PartiallyDelivered => REFUSED;
    escalate_refused_from_delivered: Delivered => REFUSED;
    escalate_refused_from_completed: Completed => REFUSED;
    escalate_refused_from_cancelled: Cancelled => REFUSED;
});

#[test]
fn escalate_refused_when_already_on_hold() {
    let mut o = on_hold();
    refused_state(&mut o, |o| o.escalate_review("other", None, "clerk", later()));
    assert_eq!(o.review().unwrap().reviewer, "rev");
}

#[test]
fn escalate_refuses_a_blank_reviewer() {
    let mut o = order_in(OrderStatus::Confirmed);
    refused_field(&mut o, &["reviewer"], |o| o.escalate_review("  ", None, "clerk", later()));
    refused_field(&mut o, &["comments"], |o| o.escalate_review("rev", Some(&"c".repeat(2001)), "clerk", later()));
}

#[test]
fn escalate_again_after_an_approval() {
    let mut o = on_hold();
    o.decide_review("rev", true, None, now()).unwrap();
    accepted(&mut o, &["order.review_escalated"], |o| o.escalate_review("rev2", None, "clerk", later()));
    assert!(o.on_review_hold());
    assert_eq!(o.review().unwrap().reviewer, "rev2");
}

// --- decide review -----------------------------------------------------------------------------

#[test]
fn decide_refused_when_not_on_hold() {
    for from in OrderStatus::ALL {
        let mut o = order_in(from);
        refused_state(&mut o, |o| o.decide_review("rev", true, None, later()));
        refused_state(&mut o, |o| o.decide_review("rev", false, None, later()));
    }
}

#[test]
fn decide_refused_once_decided() {
    let mut o = on_hold();
    o.decide_review("rev", true, None, now()).unwrap();
    refused_state(&mut o, |o| o.decide_review("rev", true, None, later()));
    refused_state(&mut o, |o| o.decide_review("rev", false, None, later()));
    assert_eq!(o.status(), OrderStatus::Confirmed);
}

#[test]
fn decide_only_by_the_named_reviewer() {
    let mut o = on_hold();
    for actor in ["clerk", "REV", "", "rev2"] {
        for approved in [true, false] {
            let err = refused(&mut o, |o| o.decide_review(actor, approved, None, later()));
            assert!(matches!(err, DomainError::NotAllowed(_)), "{actor:?}: {err:?}");
        }
    }
    assert!(o.on_review_hold());
}

#[test]
fn approve_lifts_the_hold() {
    let mut o = on_hold();
    accepted(&mut o, &["order.reviewed"], |o| o.decide_review("rev", true, Some("fine"), later()));
    assert_eq!(o.status(), OrderStatus::Confirmed);
    assert!(!o.on_review_hold());
    let d = o.review().unwrap().decision.clone().unwrap();
    assert!(d.approved);
    assert_eq!(d.comments.as_deref(), Some("fine"));
    assert_eq!(d.decided_at, later());
    let e = &o.pending_events()[0];
    assert_eq!((e.data.reviewer.as_deref(), e.data.approved), (Some("rev"), Some(true)));
    // The hold is gone: shipments may be created and dispatched again.
    o.create_shipment(new_shipment(sid(1), &[("A", 1)]), later()).unwrap();
}

#[test]
fn approve_keeps_a_pending_order_pending() {
    let mut o = OrderBuilder::standard().pending().build();
    o.escalate_review("rev", None, "clerk", now()).unwrap();
    accepted(&mut o, &["order.reviewed"], |o| o.decide_review("rev", true, None, later()));
    assert_eq!(o.status(), OrderStatus::Pending);
}

#[test]
fn reject_cancels_the_order() {
    let mut o = on_hold();
    accepted(&mut o, &["order.cancelled", "order.reviewed"], |o| o.decide_review("rev", false, Some("fraud"), later()));
    assert_eq!(o.status(), OrderStatus::Cancelled);
    assert!(!o.on_review_hold());
    assert_eq!(o.cancellation_reason(), Some("fraud"));
    let d = o.review().unwrap().decision.clone().unwrap();
    assert!(!d.approved);
    let e = &o.pending_events()[1];
    assert_eq!((e.data.approved, e.data.order_status.as_str()), (Some(false), "CANCELLED"));
}

#[test]
fn reject_cancels_the_pending_and_confirmed_shipments_too() {
    let mut o = order_in(OrderStatus::Confirmed);
    let s1 = add_shipment(&mut o, 1, &[("A", 1)], ShipmentStatus::Pending);
    let s2 = add_shipment(&mut o, 2, &[("B", 1)], ShipmentStatus::Confirmed);
    o.escalate_review("rev", None, "clerk", now()).unwrap();
    accepted(&mut o, &["shipment.cancelled", "shipment.cancelled", "order.cancelled", "order.reviewed"], |o| {
        o.decide_review("rev", false, None, later())
    });
    assert_eq!(o.shipment(s1).unwrap().status, ShipmentStatus::Cancelled);
    assert_eq!(o.shipment(s2).unwrap().status, ShipmentStatus::Cancelled);
}

#[test]
fn decide_refuses_too_long_comments() {
    let mut o = on_hold();
    for approved in [true, false] {
        refused_field(&mut o, &["comments"], |o| o.decide_review("rev", approved, Some(&"c".repeat(2001)), later()));
    }
}

/// A comment the review accepts (≤ 2000 characters) must not make the rejection fail.
#[test]
fn reject_with_long_comments_cancels_the_order() {
    let mut o = on_hold();
    let comments = "c".repeat(1500);
    accepted(&mut o, &["order.cancelled", "order.reviewed"], |o| {
        o.decide_review("rev", false, Some(&comments), later())
    });
    assert_eq!(o.status(), OrderStatus::Cancelled);
}

#[test]
fn approve_with_long_comments_is_accepted() {
    // Control for the test above: the same comment is fine on approval.
    let mut o = on_hold();
    let comments = "c".repeat(1500);
    accepted(&mut o, &["order.reviewed"], |o| o.decide_review("rev", true, Some(&comments), later()));
}

#[test]
fn on_hold_blocks_creating_shipments() {
    let mut o = on_hold();
    refused_state(&mut o, |o| o.create_shipment(new_shipment(sid(1), &[("A", 1)]), later()));
}

#[test]
fn on_hold_blocks_dispatch_but_not_confirming_or_cancelling_a_shipment() {
    let mut o = order_in(OrderStatus::Confirmed);
    let s1 = add_shipment(&mut o, 1, &[("A", 1)], ShipmentStatus::Confirmed);
    let s2 = add_shipment(&mut o, 2, &[("A", 1)], ShipmentStatus::Pending);
    let s3 = add_shipment(&mut o, 3, &[("B", 1)], ShipmentStatus::Pending);
    o.escalate_review("rev", None, "clerk", now()).unwrap();
    o.take_events();
    refused_state(&mut o, |o| o.dispatch_shipment(s1, dispatch("TRK-1"), later()));
    accepted(&mut o, &["shipment.confirmed"], |o| o.confirm_shipment(s2, later()));
    accepted(&mut o, &["shipment.cancelled"], |o| o.cancel_shipment(s3, later()));
    // After approval the dispatch goes through.
    o.decide_review("rev", true, None, later()).unwrap();
    accepted(&mut o, &["shipment.dispatched"], |o| o.dispatch_shipment(s1, dispatch("TRK-1"), later()));
    assert_eq!(o.status(), OrderStatus::PartiallyShipped);
}

#[test]
fn reject_refused_when_the_order_was_cancelled_meanwhile() {
    let mut o = on_hold();
    o.cancel(None, now()).unwrap();
    o.take_events();
    refused_state(&mut o, |o| o.decide_review("rev", false, None, later()));
}
