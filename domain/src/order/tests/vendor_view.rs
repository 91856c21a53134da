//! An order as one vendor sees it (`Order::for_vendor`).

use super::*;
use crate::{VendorId, order::LinePick};

fn vendor(id: &str) -> VendorId {
    VendorId::new(id).expect("vendor id")
}

/// Line A of v1 (3 × 10.00), line B of v2 (1 × 10.00); shipment 1 holds A alone, shipment 2
/// A and B (dispatched with a cost), shipment 3 B alone.
fn marketplace_order() -> Order {
    let mut o =
        OrderBuilder::new().with(line_of("A", "v1", 3, usd(1_000))).with(line_of("B", "v2", 1, usd(1_000))).build();
    let picks = |items: &[(&str, &str, i64)]| items.iter().map(|(s, v, q)| LinePick::new(*s, *v, *q)).collect();
    for (n, items) in [(1, picks(&[("A", "v1", 1)])), (2, picks(&[("A", "v1", 1), ("B", "v2", 1)]))] {
        let shipment = NewShipment { items, ..new_shipment(sid(n), &[]) };
        o.create_shipment(shipment, now()).expect("shipment");
    }
    o.confirm_shipment(sid(2), now()).expect("confirm");
    o.dispatch_shipment(sid(2), dispatch("TRK-2"), now()).expect("dispatch");
    o.take_events();
    o
}

#[test]
fn a_vendor_sees_its_lines_and_the_shipments_holding_them_narrowed_to_its_items() {
    let o = marketplace_order();
    let seen = o.for_vendor(&vendor("v1")).expect("v1 has a line");
    assert_eq!(seen.lines().len(), 1);
    assert_eq!(seen.lines()[0].sku.as_str(), "A");
    assert_eq!(seen.total().expect("total"), usd(3_000), "its subtotal, not the order's 40.00");
    assert!(seen.books_hidden());
    assert_eq!(seen.seen_by(), Some(&vendor("v1")));
    let shipments: Vec<_> = seen.shipments().iter().map(|s| (s.id, s.items.len(), s.cost)).collect();
    // Shipment 2 also carried v2's goods: its cost is not v1's to see.
    assert_eq!(shipments, vec![(sid(1), 1, None), (sid(2), 1, None)]);
    assert_eq!(seen.allocated(&seen.lines()[0].sku, &vendor("v1")), 2);

    let other = o.for_vendor(&vendor("v2")).expect("v2 has a line");
    assert_eq!(other.shipments().iter().map(|s| s.id).collect::<Vec<_>>(), vec![sid(2)]);
    assert!(o.for_vendor(&vendor("v3")).is_none());
    assert!(!o.books_hidden());
}

#[test]
fn a_shipment_of_the_vendors_goods_alone_keeps_its_cost() {
    let mut o =
        OrderBuilder::new().with(line_of("A", "v1", 2, usd(1_000))).with(line_of("B", "v2", 1, usd(500))).build();
    let id = add_shipment(&mut o, 7, &[("A", 2)], ShipmentStatus::Shipped);
    let seen = o.for_vendor(&vendor("v1")).expect("v1 has a line");
    assert_eq!(seen.shipment(id).and_then(|s| s.cost), Some(usd(750)));
    assert!(o.has_lines_of(&vendor("v2")) && !o.only_lines_of(&vendor("v1")));
    assert!(seen.only_lines_of(&vendor("v1")));
}
