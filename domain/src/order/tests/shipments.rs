//! Shipment commands: create (with allocation), confirm, dispatch, deliver, cancel.

use super::*;
use crate::order::MAX_SHIPMENTS_PER_ORDER;

const OK: bool = true;
const REFUSED: bool = false;

fn items_path(i: usize, rest: &[&str]) -> Vec<String> {
    let mut p = vec!["items".to_owned(), i.to_string()];
    p.extend(rest.iter().map(|s| (*s).to_owned()));
    p
}

fn refused_items(o: &mut Order, items: &[(&str, &str, i64)], field: Vec<String>) {
    let input = NewShipment {
        items: items.iter().map(|(s, v, q)| LinePick::new(*s, *v, *q)).collect(),
        ..new_shipment(sid(99), &[])
    };
    let err = refused(o, |o| o.create_shipment(input, later()));
    assert_eq!(err_field(&err), field, "{err:?}");
}

// --- create: order CONFIRMED, PARTIALLY_SHIPPED, PARTIALLY_DELIVERED and not on hold ----------

fn check_create(from: OrderStatus, ok: bool) {
    let mut o = order_in(from);
    let input = new_shipment(sid(7), &[("B", 1)]);
    if ok {
        let id = accepted(&mut o, &["shipment.created"], |o| o.create_shipment(input, later()));
        assert_eq!(id, sid(7));
        assert_eq!(o.status(), from, "a PENDING shipment does not change the roll-up");
        let s = o.shipment(id).unwrap();
        assert_eq!(s.status, ShipmentStatus::Pending);
        assert_eq!(s.items.len(), 1);
        assert_eq!((s.items[0].sku.as_str(), s.items[0].vendor_id.as_str(), s.items[0].quantity), ("B", V, 1));
        assert_eq!(s.provider.as_deref(), Some("dhl"));
        assert_eq!((s.created_at, s.updated_at), (later(), later()));
        let e = &o.pending_events()[0];
        assert_eq!(e.data.shipment_id, Some(id.to_string()));
        assert_eq!(e.data.shipment_status.as_deref(), Some("PENDING"));
    } else {
        refused_state(&mut o, |o| o.create_shipment(input, later()));
    }
}

status_cases!(check_create {
    create_shipment_refused_from_pending: Pending => REFUSED;
    create_shipment_from_confirmed: Confirmed => OK;
    create_shipment_from_partially_shipped: PartiallyShipped => OK;
    create_shipment_refused_from_shipped: Shipped => REFUSED;
    create_shipment_from_partially_delivered: PartiallyDelivered => OK;
    create_shipment_refused_from_delivered: Delivered => REFUSED;
    create_shipment_refused_from_completed: Completed => REFUSED;
    create_shipment_refused_from_cancelled: Cancelled => REFUSED;
});

#[test]
fn create_shipment_refused_on_review_hold() {
    let mut o = on_hold();
    refused_state(&mut o, |o| o.create_shipment(new_shipment(sid(1), &[("A", 1)]), later()));
}

#[test]
fn create_shipment_falls_back_to_the_order_address() {
    let addr = super::super::Address::new(super::super::AddressInput {
        line1: "1 Main St",
        line2: None,
        city: "Kuwait City",
        state: None,
        postal_code: None,
        country: "KW",
    })
    .unwrap();
    let mut o = restored(&order_in(OrderStatus::Confirmed), |p| p.shipping_address = Some(addr.clone()));
    let id = o.create_shipment(new_shipment(sid(1), &[("A", 1)]), later()).unwrap();
    assert_eq!(o.shipment(id).unwrap().address.as_ref(), Some(&addr));
}

#[test]
fn create_shipment_item_validation() {
    let mut o = order_in(OrderStatus::Confirmed);
    refused_items(&mut o, &[], vec!["items".to_owned()]);
    refused_items(&mut o, &[("A", V, 1), ("B", V, 0)], items_path(1, &["quantity"]));
    refused_items(&mut o, &[("A", V, -2)], items_path(0, &["quantity"]));
    refused_items(&mut o, &[("A", V, 1), ("Z", V, 1)], items_path(1, &[]));
    refused_items(&mut o, &[("A", "v9", 1)], items_path(0, &[]));
    refused_items(&mut o, &[("A", V, 1), ("B", V, 1), ("A", V, 1)], items_path(2, &[]));
    refused_items(&mut o, &[("A", V, 1), (" A ", V, 1)], items_path(1, &[]));
    refused_items(&mut o, &[(" ", V, 1)], items_path(0, &["sku"]));
    refused_items(&mut o, &[("A", " ", 1)], items_path(0, &["vendorId"]));
    refused_items(&mut o, &[("A", V, 4)], items_path(0, &["quantity"]));
    refused_items(&mut o, &[("A", V, 3), ("B", V, 2)], items_path(1, &["quantity"]));
    refused_items(&mut o, &[("A", V, i64::MAX)], items_path(0, &["quantity"]));
    assert!(o.shipments().is_empty());
}

#[test]
fn create_shipment_refuses_a_too_long_provider() {
    let mut o = order_in(OrderStatus::Confirmed);
    let input = NewShipment { provider: Some("p".repeat(65)), ..new_shipment(sid(1), &[("A", 1)]) };
    refused_field(&mut o, &["provider"], |o| o.create_shipment(input, later()));
}

#[test]
fn create_shipment_allocation_counts_every_non_cancelled_shipment() {
    let mut o = order_in(OrderStatus::Confirmed);
    add_shipment(&mut o, 1, &[("A", 1)], ShipmentStatus::Pending);
    add_shipment(&mut o, 2, &[("A", 1)], ShipmentStatus::Shipped);
    add_shipment(&mut o, 3, &[("A", 1), ("B", 1)], ShipmentStatus::Cancelled);
    let msg = refused_field(&mut o, &items_path(0, &["quantity"]), |o| {
        o.create_shipment(new_shipment(sid(4), &[("A", 2)]), later())
    });
    assert!(msg.contains("only 1 of 3"), "{msg}");
    // Exactly what is left fits, in one shipment with the other line.
    accepted(&mut o, &["shipment.created"], |o| {
        o.create_shipment(new_shipment(sid(4), &[("A", 1), ("B", 1)]), later())
    });
    let a = crate::Sku::new("A").unwrap();
    let v = crate::VendorId::new(V).unwrap();
    assert_eq!(o.allocated(&a, &v), 3);
    // Nothing is left of either line now.
    refused_field(&mut o, &items_path(0, &["quantity"]), |o| {
        o.create_shipment(new_shipment(sid(5), &[("B", 1)]), later())
    });
}

#[test]
fn cancelled_shipment_units_become_available_again() {
    let mut o = order_in(OrderStatus::Confirmed);
    let s1 = add_shipment(&mut o, 1, &[("A", 3), ("B", 1)], ShipmentStatus::Confirmed);
    refused_field(&mut o, &items_path(0, &["quantity"]), |o| {
        o.create_shipment(new_shipment(sid(2), &[("A", 1)]), later())
    });
    accepted(&mut o, &["shipment.cancelled"], |o| o.cancel_shipment(s1, later()));
    accepted(&mut o, &["shipment.created"], |o| {
        o.create_shipment(new_shipment(sid(2), &[("A", 3), ("B", 1)]), later())
    });
}

// --- confirm: PENDING → CONFIRMED --------------------------------------------------------------

/// A CONFIRMED order with one shipment {A:1} in `st` (reached by commands or, for webhook-only
/// states, restored), plus the shipment id.
fn order_with_shipment(st: ShipmentStatus) -> (Order, ShipmentId) {
    let mut o = order_in(OrderStatus::Confirmed);
    let reachable = matches!(
        st,
        ShipmentStatus::Pending
            | ShipmentStatus::Confirmed
            | ShipmentStatus::Shipped
            | ShipmentStatus::Delivered
            | ShipmentStatus::Cancelled
    );
    if reachable {
        let id = add_shipment(&mut o, 1, &[("A", 1)], st);
        (o, id)
    } else {
        let id = add_shipment(&mut o, 1, &[("A", 1)], ShipmentStatus::Shipped);
        (with_shipment_status(&o, id, st), id)
    }
}

#[test]
fn confirm_shipment_only_from_pending() {
    for st in ShipmentStatus::ALL {
        let (mut o, id) = order_with_shipment(st);
        if st == ShipmentStatus::Pending {
            accepted(&mut o, &["shipment.confirmed"], |o| o.confirm_shipment(id, later()));
            assert_eq!(o.shipment(id).unwrap().status, ShipmentStatus::Confirmed);
            assert_eq!(o.shipment(id).unwrap().updated_at, later());
            assert_eq!(o.status(), OrderStatus::Confirmed);
        } else {
            refused_state(&mut o, |o| o.confirm_shipment(id, later()));
        }
    }
}

#[test]
fn shipment_commands_refuse_an_unknown_shipment() {
    let mut o = order_in(OrderStatus::PartiallyShipped);
    let unknown = sid(999);
    refused_field(&mut o, &["id"], |o| o.confirm_shipment(unknown, later()));
    refused_field(&mut o, &["id"], |o| o.dispatch_shipment(unknown, dispatch("T"), later()));
    refused_field(&mut o, &["id"], |o| o.deliver_shipment(unknown, later()));
    refused_field(&mut o, &["id"], |o| o.cancel_shipment(unknown, later()));
}

#[test]
fn shipment_commands_refused_when_the_order_is_not_in_fulfilment() {
    // COMPLETED: its shipments 1 and 2 are delivered; CANCELLED and PENDING: no shipment at all.
    for from in [OrderStatus::Completed, OrderStatus::Cancelled, OrderStatus::Pending] {
        let mut o = order_in(from);
        for id in [sid(1), sid(2)] {
            refused(&mut o, |o| o.confirm_shipment(id, later()));
            refused(&mut o, |o| o.deliver_shipment(id, later()));
            refused(&mut o, |o| o.cancel_shipment(id, later()));
            refused(&mut o, |o| o.dispatch_shipment(id, dispatch("T"), later()));
        }
    }
}

// --- dispatch: CONFIRMED → SHIPPED ---------------------------------------------------------------

#[test]
fn dispatch_only_from_confirmed() {
    for st in ShipmentStatus::ALL {
        let (mut o, id) = order_with_shipment(st);
        if st == ShipmentStatus::Confirmed {
            accepted(&mut o, &["shipment.dispatched"], |o| o.dispatch_shipment(id, dispatch("  TRK-1 "), later()));
            let s = o.shipment(id).unwrap();
            assert_eq!(s.status, ShipmentStatus::Shipped);
            assert_eq!(s.tracking_reference.as_deref(), Some("TRK-1"));
            assert_eq!(s.label_url.as_deref(), Some("https://labels.example.com/l.pdf"));
            assert_eq!(s.cost, Some(usd(750)));
            assert_eq!(o.status(), OrderStatus::PartiallyShipped);
            let e = &o.pending_events()[0];
            assert_eq!(e.data.tracking_reference.as_deref(), Some("TRK-1"));
            assert_eq!(e.data.shipment_status.as_deref(), Some("SHIPPED"));
            assert_eq!(e.data.order_status, "PARTIALLY_SHIPPED");
        } else {
            refused_state(&mut o, |o| o.dispatch_shipment(id, dispatch("TRK-1"), later()));
        }
    }
}

#[test]
fn dispatch_without_label_or_cost() {
    let (mut o, id) = order_with_shipment(ShipmentStatus::Confirmed);
    let d = Dispatch { tracking_reference: "T".to_owned(), label_url: Some("  ".to_owned()), cost: None };
    accepted(&mut o, &["shipment.dispatched"], |o| o.dispatch_shipment(id, d, later()));
    assert_eq!((o.shipment(id).unwrap().label_url.as_ref(), o.shipment(id).unwrap().cost), (None, None));
}

#[test]
fn dispatch_accepts_a_zero_cost_and_a_plain_http_label() {
    let (mut o, id) = order_with_shipment(ShipmentStatus::Confirmed);
    let d = Dispatch {
        tracking_reference: "T".to_owned(),
        label_url: Some("http://labels.example.com/1".to_owned()),
        cost: Some(usd(0)),
    };
    accepted(&mut o, &["shipment.dispatched"], |o| o.dispatch_shipment(id, d, later()));
}

#[test]
fn dispatch_input_validation() {
    let (mut o, id) = order_with_shipment(ShipmentStatus::Confirmed);
    let with = |f: fn(&mut Dispatch)| {
        let mut d = dispatch("TRK-1");
        f(&mut d);
        d
    };
    for blank in ["", "   "] {
        let d = Dispatch { tracking_reference: blank.to_owned(), ..dispatch("x") };
        refused_field(&mut o, &["trackingReference"], |o| o.dispatch_shipment(id, d, later()));
    }
    let d = with(|d| d.tracking_reference = "t".repeat(129));
    refused_field(&mut o, &["trackingReference"], |o| o.dispatch_shipment(id, d, later()));
    for bad in ["ftp://x/y", "javascript:alert(1)", "labels.example.com/x", "file:///etc/passwd"] {
        let d = Dispatch { label_url: Some(bad.to_owned()), ..dispatch("TRK-1") };
        refused_field(&mut o, &["labelUrl"], |o| o.dispatch_shipment(id, d, later()));
    }
    let d = with(|d| d.cost = Some(Money::from_minor(750, cur("EUR"))));
    refused_field(&mut o, &["cost", "currency"], |o| o.dispatch_shipment(id, d, later()));
    let d = with(|d| d.cost = Some(usd(-1)));
    refused_field(&mut o, &["cost", "amount"], |o| o.dispatch_shipment(id, d, later()));
    assert_eq!(o.shipment(id).unwrap().status, ShipmentStatus::Confirmed);
}

#[test]
fn dispatch_refused_on_review_hold() {
    let (mut o, id) = order_with_shipment(ShipmentStatus::Confirmed);
    o.escalate_review("rev", None, "clerk", now()).unwrap();
    o.take_events();
    refused_state(&mut o, |o| o.dispatch_shipment(id, dispatch("TRK-1"), later()));
}

// --- deliver: SHIPPED, IN_TRANSIT → DELIVERED -------------------------------------------------------

#[test]
fn deliver_only_from_shipped_or_in_transit() {
    for st in ShipmentStatus::ALL {
        let (mut o, id) = order_with_shipment(st);
        if matches!(st, ShipmentStatus::Shipped | ShipmentStatus::InTransit) {
            accepted(&mut o, &["shipment.delivered"], |o| o.deliver_shipment(id, later()));
            assert_eq!(o.shipment(id).unwrap().status, ShipmentStatus::Delivered);
            assert_eq!(o.status(), OrderStatus::PartiallyDelivered, "from {st:?}");
        } else {
            refused_state(&mut o, |o| o.deliver_shipment(id, later()));
        }
    }
}

// --- cancel: PENDING, CONFIRMED → CANCELLED -----------------------------------------------------------

#[test]
fn cancel_shipment_only_from_pending_or_confirmed() {
    for st in ShipmentStatus::ALL {
        let (mut o, id) = order_with_shipment(st);
        if matches!(st, ShipmentStatus::Pending | ShipmentStatus::Confirmed) {
            accepted(&mut o, &["shipment.cancelled"], |o| o.cancel_shipment(id, later()));
            assert_eq!(o.shipment(id).unwrap().status, ShipmentStatus::Cancelled);
            assert_eq!(o.status(), OrderStatus::Confirmed);
        } else {
            refused_state(&mut o, |o| o.cancel_shipment(id, later()));
        }
    }
}

#[test]
fn cancel_shipment_in_a_partially_shipped_order_keeps_the_roll_up() {
    let mut o = order_in(OrderStatus::PartiallyShipped);
    let s = add_shipment(&mut o, 5, &[("B", 1)], ShipmentStatus::Confirmed);
    accepted(&mut o, &["shipment.cancelled"], |o| o.cancel_shipment(s, later()));
    assert_eq!(o.status(), OrderStatus::PartiallyShipped);
}

// --- cap: at most MAX_SHIPMENTS_PER_ORDER shipments, cancelled ones included ---------------------

const NO_FIELD: &[&str] = &[];

#[test]
fn the_201st_shipment_is_refused_while_the_200th_is_accepted() {
    // Units to spare, so that only the cap can refuse.
    let mut o = OrderBuilder::new().with(line("A", 1_000)).build();
    let cap = MAX_SHIPMENTS_PER_ORDER as u128;
    for n in 1..cap {
        add_shipment(&mut o, n, &[("A", 1)], ShipmentStatus::Pending);
    }
    accepted(&mut o, &["shipment.created"], |o| o.create_shipment(new_shipment(sid(cap), &[("A", 1)]), later()));
    assert_eq!(o.shipments().len(), 200);
    let msg = refused_field(&mut o, NO_FIELD, |o| o.create_shipment(new_shipment(sid(cap + 1), &[("A", 1)]), later()));
    assert!(msg.starts_with("an order holds at most 200 shipments"), "{msg}");
}

#[test]
fn cancelled_shipments_count_towards_the_cap() {
    // One unit, handed back by every cancellation: allocation never refuses, the cap does.
    let mut o = OrderBuilder::new().with(line("A", 1)).build();
    let cap = MAX_SHIPMENTS_PER_ORDER as u128;
    for n in 1..=cap {
        add_shipment(&mut o, n, &[("A", 1)], ShipmentStatus::Cancelled);
    }
    refused_field(&mut o, NO_FIELD, |o| o.create_shipment(new_shipment(sid(cap + 1), &[("A", 1)]), later()));
}

// --- identifiers: NFC, nothing invisible --------------------------------------------------------

#[test]
fn a_shipment_item_in_decomposed_form_finds_the_composed_line() {
    let mut o = OrderBuilder::new().with(line("CAF\u{c9}", 2)).build();
    let id = accepted(&mut o, &["shipment.created"], |o| {
        o.create_shipment(new_shipment(sid(1), &[("CAFE\u{301}", 2)]), later())
    });
    assert_eq!(o.shipment(id).unwrap().items[0].sku.as_str(), "CAF\u{c9}");
}

#[test]
fn a_shipment_item_with_an_invisible_character_is_refused() {
    let mut o = order_in(OrderStatus::Confirmed);
    refused_items(&mut o, &[("A\u{200B}", V, 1)], items_path(0, &["sku"]));
    refused_items(&mut o, &[("A", "v\u{202E}1", 1)], items_path(0, &["vendorId"]));
}

#[test]
fn a_tracking_reference_is_normalised_and_refuses_invisible_characters() {
    let (mut o, id) = order_with_shipment(ShipmentStatus::Confirmed);
    for bad in ["TRK\u{200B}1", "TRK\u{2067}1", "\u{FEFF}TRK1", "TRK\u{AD}1", "TRK\n1"] {
        let d = dispatch(bad);
        refused_field(&mut o, &["trackingReference"], |o| o.dispatch_shipment(id, d, later()));
    }
    accepted(&mut o, &["shipment.dispatched"], |o| o.dispatch_shipment(id, dispatch(" Z\u{dc}RICH-1 "), later()));
    let (mut p, pid) = order_with_shipment(ShipmentStatus::Confirmed);
    p.dispatch_shipment(pid, dispatch("ZU\u{308}RICH-1"), later()).unwrap();
    assert_eq!(o.shipment(id).unwrap().tracking_reference, p.shipment(pid).unwrap().tracking_reference);
    assert_eq!(o.shipment(id).unwrap().tracking_reference.as_deref(), Some("Z\u{dc}RICH-1"));
}
