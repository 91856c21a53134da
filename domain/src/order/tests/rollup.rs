//! The order status rolled up from shipments, per line quantity (never per whole line).

use super::*;
use crate::order::{OrderLine, ShipmentItem, roll_up, rollup::progress};
use crate::{Sku, VendorId};

/// A bare shipment in `status` carrying `items` of vendor `v1`, for feeding `roll_up` directly.
fn shipment(n: u128, status: ShipmentStatus, items: &[(&str, u32)]) -> Shipment {
    Shipment {
        id: sid(n),
        status,
        items: items
            .iter()
            .map(|(sku, q)| ShipmentItem {
                sku: Sku::new(sku).unwrap(),
                vendor_id: VendorId::new(V).unwrap(),
                quantity: *q,
            })
            .collect(),
        address: None,
        mode: ShipmentMode::Warehouse,
        provider: None,
        package: None,
        pickup: None,
        tracking_reference: None,
        label_url: None,
        cost: None,
        booking: None,
        created_at: now(),
        updated_at: now(),
    }
}

fn standard_lines() -> Vec<OrderLine> {
    OrderBuilder::standard().build().lines().to_vec()
}

#[test]
fn partial_then_full_shipping_then_partial_then_full_delivery() {
    let mut o = order_in(OrderStatus::Confirmed);
    let s1 = add_shipment(&mut o, 1, &[("A", 2)], ShipmentStatus::Shipped);
    assert_eq!(o.status(), OrderStatus::PartiallyShipped, "2 of 3 units of A shipped");
    o.deliver_shipment(s1, later()).unwrap();
    assert_eq!(o.status(), OrderStatus::PartiallyDelivered, "2 units delivered, 2 not shipped");
    let s2 = add_shipment(&mut o, 2, &[("A", 1), ("B", 1)], ShipmentStatus::Shipped);
    assert_eq!(o.status(), OrderStatus::Shipped, "every unit shipped or delivered, not all delivered");
    o.deliver_shipment(s2, later()).unwrap();
    assert_eq!(o.status(), OrderStatus::Delivered);
    o.complete(later()).unwrap();
    assert_eq!(o.status(), OrderStatus::Completed);
}

/// SPEC: "all units delivered → DELIVERED; all shipped or delivered → SHIPPED; some delivered →
/// PARTIALLY_DELIVERED". Read as an ordered list, an order whose units have all left stays SHIPPED
/// when only some of them are delivered.
#[test]
fn everything_shipped_and_one_shipment_delivered_is_shipped() {
    let mut o = order_in(OrderStatus::Confirmed);
    let s1 = add_shipment(&mut o, 1, &[("A", 2)], ShipmentStatus::Shipped);
    assert_eq!(o.status(), OrderStatus::PartiallyShipped);
    let s2 = add_shipment(&mut o, 2, &[("A", 1), ("B", 1)], ShipmentStatus::Shipped);
    assert_eq!(o.status(), OrderStatus::Shipped);
    o.deliver_shipment(s1, later()).unwrap();
    assert_eq!(o.status(), OrderStatus::Shipped);
    o.deliver_shipment(s2, later()).unwrap();
    assert_eq!(o.status(), OrderStatus::Delivered);
}

#[test]
fn some_units_of_every_line_is_not_shipped() {
    // One unit of each line has left: every line is "touched", but 2 units of A have not.
    let mut o = order_in(OrderStatus::Confirmed);
    let s = add_shipment(&mut o, 1, &[("A", 1), ("B", 1)], ShipmentStatus::Shipped);
    assert_eq!(o.status(), OrderStatus::PartiallyShipped);
    o.deliver_shipment(s, later()).unwrap();
    assert_eq!(o.status(), OrderStatus::PartiallyDelivered);
}

#[test]
fn one_whole_line_shipped_is_partially_shipped() {
    let mut o = order_in(OrderStatus::Confirmed);
    let s = add_shipment(&mut o, 1, &[("B", 1)], ShipmentStatus::Shipped);
    assert_eq!(o.status(), OrderStatus::PartiallyShipped);
    o.deliver_shipment(s, later()).unwrap();
    assert_eq!(o.status(), OrderStatus::PartiallyDelivered);
    let mut o = order_in(OrderStatus::Confirmed);
    add_shipment(&mut o, 1, &[("A", 3)], ShipmentStatus::Shipped);
    assert_eq!(o.status(), OrderStatus::PartiallyShipped);
}

#[test]
fn pending_confirmed_and_cancelled_shipments_count_for_nothing() {
    let mut o = order_in(OrderStatus::Confirmed);
    add_shipment(&mut o, 1, &[("A", 2)], ShipmentStatus::Cancelled);
    add_shipment(&mut o, 2, &[("A", 3), ("B", 1)], ShipmentStatus::Confirmed);
    assert_eq!(o.status(), OrderStatus::Confirmed);
    let lines = standard_lines();
    for st in [ShipmentStatus::Pending, ShipmentStatus::Confirmed, ShipmentStatus::Cancelled] {
        assert_eq!(roll_up(&lines, &[shipment(1, st, &[("A", 3), ("B", 1)])]), OrderStatus::Confirmed, "{st:?}");
    }
    let delivered_but_cancelled = [
        shipment(1, ShipmentStatus::Cancelled, &[("A", 3), ("B", 1)]),
        shipment(2, ShipmentStatus::Delivered, &[("A", 1)]),
    ];
    assert_eq!(roll_up(&lines, &delivered_but_cancelled), OrderStatus::PartiallyDelivered);
}

#[test]
fn roll_up_counts_units_across_shipments() {
    use ShipmentStatus::*;
    let lines = standard_lines();
    let cases: &[(&[Shipment], OrderStatus)] = &[
        (&[], OrderStatus::Confirmed),
        (&[shipment(1, Shipped, &[("A", 1)])], OrderStatus::PartiallyShipped),
        (&[shipment(1, InTransit, &[("A", 3), ("B", 1)])], OrderStatus::Shipped),
        (&[shipment(1, Shipped, &[("A", 2)]), shipment(2, InTransit, &[("A", 1), ("B", 1)])], OrderStatus::Shipped),
        (&[shipment(1, Delivered, &[("A", 2)]), shipment(2, InTransit, &[("A", 1)])], OrderStatus::PartiallyDelivered),
        (&[shipment(1, Delivered, &[("A", 3)]), shipment(2, Shipped, &[("B", 1)])], OrderStatus::Shipped),
        (&[shipment(1, Delivered, &[("A", 3)]), shipment(2, Delivered, &[("B", 1)])], OrderStatus::Delivered),
        (
            &[shipment(1, Delivered, &[("A", 2), ("B", 1)]), shipment(2, Pending, &[("A", 1)])],
            OrderStatus::PartiallyDelivered,
        ),
        (&[shipment(1, Delivered, &[("A", 3), ("B", 1)])], OrderStatus::Delivered),
    ];
    for (i, (shipments, want)) in cases.iter().enumerate() {
        assert_eq!(roll_up(&lines, shipments), *want, "case {i}");
    }
}

#[test]
fn roll_up_ignores_units_of_articles_not_ordered() {
    let lines = standard_lines();
    let mut other_vendor = shipment(1, ShipmentStatus::Delivered, &[("A", 3), ("B", 1)]);
    for it in &mut other_vendor.items {
        it.vendor_id = VendorId::new("v2").unwrap();
    }
    assert_eq!(roll_up(&lines, &[other_vendor]), OrderStatus::Confirmed);
    let unknown = shipment(2, ShipmentStatus::Delivered, &[("Z", 9)]);
    assert_eq!(roll_up(&lines, &[unknown]), OrderStatus::Confirmed);
}

#[test]
fn line_progress_counts_shipped_including_delivered() {
    use ShipmentStatus::*;
    let lines = standard_lines();
    let shipments = [
        shipment(1, Delivered, &[("A", 1)]),
        shipment(2, InTransit, &[("A", 1)]),
        shipment(3, Confirmed, &[("A", 1)]),
        shipment(4, Cancelled, &[("A", 3)]),
    ];
    let p = progress(&lines[0], &shipments);
    assert_eq!(p, crate::order::LineProgress { ordered: 3, shipped: 2, delivered: 1 });
    assert_eq!(progress(&lines[1], &shipments), crate::order::LineProgress { ordered: 1, shipped: 0, delivered: 0 });
}
