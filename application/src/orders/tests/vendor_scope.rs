//! Vendor scope in the use cases: what a caller scoped to one vendor reads, and which commands
//! it is refused, before anything is written.

use domain::{VendorId, order::ShipmentMode};

use super::*;
use crate::orders::{CancelOrder, CreateShipment, OrderListQuery, ShipmentItemInput};

fn vendor_caller(world: &World, vendor: &str) -> Principal {
    Principal { vendor_id: Some(VendorId::new(vendor).unwrap()), ..world.admin() }
}

/// Lines of vendor-1 and vendor-2 in one order.
fn mixed_order(world: &World) -> Order {
    let mut input = order_input();
    let mut other = input.lines[0].clone();
    other.sku = "SKU-2".to_owned();
    other.vendor_id = "vendor-2".to_owned();
    input.lines.push(other);
    block_on(world.orders.create_order(&world.admin(), input)).unwrap().value
}

fn shipment_of(order: &Order, sku: &str, vendor: &str) -> CreateShipment {
    CreateShipment {
        order_id: order.id().to_string(),
        mode: ShipmentMode::Warehouse,
        provider: None,
        address: None,
        items: vec![ShipmentItemInput { sku: sku.to_owned(), vendor_id: vendor.to_owned(), quantity: 1 }],
        package: None,
        pickup: None,
        idempotency_key: None,
    }
}

#[test]
fn a_vendor_reads_its_own_lines_of_the_orders_holding_them() {
    let world = World::new();
    let mixed = mixed_order(&world);
    let theirs = block_on(world.orders.create_order(&world.admin(), {
        let mut input = order_input();
        input.lines[0].vendor_id = "vendor-2".to_owned();
        input
    }))
    .unwrap()
    .value;
    let v1 = vendor_caller(&world, "vendor-1");

    let seen = block_on(world.orders.order(&v1, &mixed.id().to_string())).unwrap().expect("visible");
    assert_eq!(seen.lines().len(), 1);
    assert!(seen.books_hidden());
    assert!(block_on(world.orders.order(&v1, &theirs.id().to_string())).unwrap().is_none());
    let page = block_on(world.orders.orders(&v1, OrderListQuery { first: Some(10), ..Default::default() })).unwrap();
    assert_eq!(page.orders.iter().map(Order::id).collect::<Vec<_>>(), vec![mixed.id()]);
    assert_eq!(page.orders[0].lines().len(), 1);
    // Unscoped, the same calls see everything.
    let page = block_on(world.orders.orders(&world.admin(), OrderListQuery::default())).unwrap();
    assert_eq!(page.orders.len(), 2);
}

#[test]
fn shipping_another_vendors_line_is_refused_before_any_transaction() {
    let world = World::new();
    let order = mixed_order(&world);
    let v1 = vendor_caller(&world, "vendor-1");
    let seen = world.observe(world.orders.create_shipment(&v1, shipment_of(&order, "SKU-2", "vendor-2")));
    let error = seen.refused_with(ErrorCode::ValidationFailed);
    assert_eq!(error.field, Some(vec!["items".to_owned(), "0".to_owned(), "vendorId".to_owned()]));
    assert_eq!(seen.transactions, 0);
    seen.single_record("createShipment", "VALIDATION_FAILED");
    assert_unchanged(&order, &world.committed_orders()[0]);

    let shipped = block_on(world.orders.create_shipment(&v1, shipment_of(&order, "SKU-1", "vendor-1"))).unwrap();
    assert_eq!(shipped.value.shipment().items.len(), 1);
    assert_eq!(shipped.value.order.lines().len(), 1, "the answer shows only the vendor's lines");
}

#[test]
fn a_vendor_may_not_cancel_an_order_holding_other_vendors_lines_nor_read_the_ledger() {
    let world = World::new();
    let order = mixed_order(&world);
    let v1 = vendor_caller(&world, "vendor-1");
    let input = CancelOrder { id: order.id().to_string(), reason: None, expected_version: None };
    let seen = world.observe(world.orders.cancel_order(&v1, input));
    seen.refused_with(ErrorCode::Forbidden);
    seen.single_record("cancelOrder", "FORBIDDEN");
    assert_unchanged(&order, &world.committed_orders()[0]);
    // Another vendor's order does not exist for it.
    let v3 = vendor_caller(&world, "vendor-3");
    let input = CancelOrder { id: order.id().to_string(), reason: None, expected_version: None };
    world.observe(world.orders.cancel_order(&v3, input)).refused_with(ErrorCode::NotFound);
    let refused = block_on(world.orders.trial_balance(&v1)).unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
}

#[test]
fn a_vendor_may_not_watch_an_orders_events() {
    let world = World::new();
    let order = mixed_order(&world);
    let v1 = vendor_caller(&world, "vendor-1");
    let refused = block_on(world.orders.watch_order_events(&v1, &order.id().to_string())).unwrap_err();
    assert_eq!(refused.code, ErrorCode::Forbidden);
    assert!(block_on(world.orders.watch_order_events(&world.admin(), &order.id().to_string())).is_ok());
}
