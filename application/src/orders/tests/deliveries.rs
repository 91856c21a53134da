//! Commands of signed inbound webhooks through the runner: the signature's authority (the plan,
//! not roles), and the delivery's receipt, written with the change so that a replay changes
//! nothing while a refused delivery can be sent again.

use chrono::Duration;
use domain::order::{ShipmentMode, ShipmentStatus, TrackingEffect};

use super::*;
use crate::orders::{CreateShipment, DeliveryUse, DispatchShipment, RecordTracking, ShipmentItemInput, ShipmentRef};

fn signed(w: &World) -> Principal {
    Principal {
        tenant_id: w.tenant.clone(),
        subject: "webhook:add_order".to_owned(),
        roles: vec![],
        vendor_id: None,
        request_id: None,
    }
}

fn delivery(w: &World, route: &str, key: &str) -> DeliveryUse {
    DeliveryUse { route: route.to_owned(), key: key.to_owned(), remembered_until: w.clock.now() + Duration::days(1) }
}

use crate::ports::Clock as _;

#[test]
fn a_signed_add_order_needs_the_plan_not_a_role() {
    let w = World::new();
    let created = w.observe(w.orders.add_order_signed(&signed(&w), order_input(), delivery(&w, "add_order", "id:1")));
    let outcome = created.result.as_ref().unwrap();
    assert!(!outcome.replayed && !outcome.duplicate);
    let record = &created.records[0];
    assert_eq!(
        (record.actor.as_str(), record.action.as_str(), record.outcome.as_str()),
        ("webhook:add_order", "createOrder", "ok")
    );

    let reads_only =
        World::with([Permission::OrderRead].into_iter().collect(), PlanLimits::default(), TenantSettings::default());
    let refused = reads_only.observe(reads_only.orders.add_order_signed(
        &signed(&reads_only),
        order_input(),
        delivery(&reads_only, "add_order", "id:1"),
    ));
    refused.refused_with(ErrorCode::PlanForbidden);
    assert!(reads_only.committed_orders().is_empty());
    assert_eq!(refused.records.len(), 1);
}

#[test]
fn a_replayed_delivery_is_a_duplicate_until_it_is_forgotten() {
    let w = World::new();
    let p = signed(&w);
    let first = block_on(w.orders.add_order_signed(&p, order_input(), delivery(&w, "add_order", "id:1"))).unwrap();
    let again = w.observe(w.orders.add_order_signed(&p, order_input(), delivery(&w, "add_order", "id:1")));
    let replay = again.result.as_ref().unwrap();
    assert!(replay.duplicate && replay.replayed);
    assert_eq!(replay.value.id(), first.value.id());
    assert_eq!((again.committed_records, again.events.len()), (0, 0), "a replay writes nothing");
    assert_eq!(again.records.len(), 1, "and is still recorded");
    // The same key on another route is another delivery.
    let other_route =
        block_on(w.orders.add_order_signed(&p, order_input(), delivery(&w, "elsewhere", "id:1"))).unwrap();
    assert!(!other_route.duplicate);
    assert_eq!(w.committed_orders().len(), 2);
    // Past its time the delivery is new again (orders without externalRef are not deduplicated).
    w.clock.advance(Duration::days(1) + Duration::seconds(1));
    let later = block_on(w.orders.add_order_signed(&p, order_input(), delivery(&w, "add_order", "id:1"))).unwrap();
    assert!(!later.duplicate);
    assert_eq!(w.committed_orders().len(), 3);
}

#[test]
fn a_refused_delivery_is_not_remembered() {
    let w = World::new();
    let p = signed(&w);
    let mut bad = order_input();
    bad.lines.clear();
    let refused = w.observe(w.orders.add_order_signed(&p, bad, delivery(&w, "add_order", "id:1")));
    refused.refused_with(ErrorCode::ValidationFailed);
    let fixed = block_on(w.orders.add_order_signed(&p, order_input(), delivery(&w, "add_order", "id:1"))).unwrap();
    assert!(!fixed.duplicate && !fixed.replayed);
    assert_eq!(w.committed_orders().len(), 1);
}

#[test]
fn a_tracking_report_moves_a_dispatched_shipment_once() {
    let w = World::new();
    let order = w.place_order();
    let shipment = block_on(w.orders.create_shipment(
        &w.admin(),
        CreateShipment {
            order_id: order.id().to_string(),
            mode: ShipmentMode::Dropoff,
            provider: Some("dhl".to_owned()),
            address: None,
            items: vec![ShipmentItemInput { sku: "SKU-1".to_owned(), vendor_id: "vendor-1".to_owned(), quantity: 2 }],
            package: None,
            pickup: None,
            idempotency_key: None,
        },
    ))
    .unwrap()
    .value
    .shipment_id
    .to_string();
    block_on(w.orders.confirm_shipment(&w.admin(), ShipmentRef { id: shipment.clone(), expected_version: None }))
        .unwrap();
    let dispatch =
        DispatchShipment { id: shipment.clone(), tracking_reference: Some("TRK-1".to_owned()), ..Default::default() };
    block_on(w.orders.dispatch_shipment(&w.admin(), dispatch)).unwrap();

    let carrier = Principal { subject: "webhook:shipment_tracker".to_owned(), ..signed(&w) };
    let report = RecordTracking {
        shipment_id: shipment.clone(),
        tracking_reference: "TRK-1".to_owned(),
        carrier_status: "delivered".to_owned(),
        status: Some(ShipmentStatus::Delivered),
    };
    let moved =
        w.observe(w.orders.record_tracking_signed(&carrier, report.clone(), delivery(&w, "shipment_tracker", "id:t1")));
    let outcome = moved.result.as_ref().unwrap();
    assert_eq!(outcome.value.effect, TrackingEffect::Moved(ShipmentStatus::Delivered));
    assert_eq!(outcome.value.order.status(), domain::order::OrderStatus::Delivered);
    assert_eq!(moved.events.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(), ["shipment.delivered"]);
    moved.single_record_by("recordShipmentTracking", "ok", "webhook:shipment_tracker");

    let replay =
        block_on(w.orders.record_tracking_signed(&carrier, report, delivery(&w, "shipment_tracker", "id:t1"))).unwrap();
    assert!(replay.duplicate);
    assert_eq!(w.committed_orders()[0].tracking().len(), 1, "a replay records nothing");
}
