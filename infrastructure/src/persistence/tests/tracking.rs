//! Tracking events as part of the Order aggregate, the receipts of inbound webhook deliveries,
//! and the lookup of a shipment by the reference a carrier names.

use application::ports::{
    CarrierShipmentRef, StoreError, Taken, TrackedShipment, TrackingLookup, TrackingScope, WebhookReceipt,
};
use domain::order::{CarrierBooking, ShipmentStatus, TrackingReport};
use uuid::Uuid;

use super::fixtures::{assert_same, at, dispatch, dispatch_confirmed, order, ship, tenant, written};
use crate::persistence::Database;

fn report(status: Option<ShipmentStatus>, carrier_status: &str) -> TrackingReport {
    TrackingReport {
        id: Uuid::now_v7(),
        carrier_status: carrier_status.to_owned(),
        status,
        occurred_at: at(5),
        raw_reference: "TRK-1".to_owned(),
    }
}

pub async fn tracking_events_round_trip_in_order(db: &Database) {
    let store = db.order_store();
    let mut o = order("t1", "ORD-000001");
    let id = ship(&mut o, 2, Some("DHL"), at(1));
    dispatch(&mut o, id, "TRK-1", at(2));
    let mut tx = store.begin(o.tenant_id()).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.commit().await.unwrap();

    for (status, word) in [(Some(ShipmentStatus::InTransit), "in_transit"), (None, "out_for_delivery")] {
        let mut tx = store.begin(o.tenant_id()).await.unwrap();
        let mut locked = tx.lock_order(o.id()).await.unwrap().unwrap();
        let version = locked.version();
        locked.record_tracking(id, report(status, word), at(6)).unwrap();
        tx.update_order(&locked, version).await.unwrap();
        tx.commit().await.unwrap();
        o = locked;
    }
    let loaded = store.order(o.tenant_id(), o.id()).await.unwrap().unwrap();
    assert_same(&loaded, &o);
    let words: Vec<&str> = loaded.tracking_events(id).map(|e| e.carrier_status.as_str()).collect();
    assert_eq!(words, ["in_transit", "out_for_delivery"]);
    assert_eq!(loaded.shipment(id).unwrap().status, ShipmentStatus::InTransit);
}

fn receipt(key: &str, received: i64, until: i64) -> WebhookReceipt {
    WebhookReceipt {
        route: "add_order".to_owned(),
        delivery_key: key.to_owned(),
        resource_id: Some("order-1".to_owned()),
        received_at: at(received),
        remembered_until: at(until),
    }
}

pub async fn webhook_receipts_guard_replays_until_they_expire(db: &Database) {
    let store = db.order_store();
    let t1 = tenant("t1");
    let mut tx = store.begin(&t1).await.unwrap();
    tx.save_webhook_receipt(&receipt("id:msg-1", 0, 10)).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin(&t1).await.unwrap();
    assert_eq!(tx.webhook_receipt("add_order", "id:msg-1", at(9)).await.unwrap(), Some(receipt("id:msg-1", 0, 10)));
    assert_eq!(tx.webhook_receipt("shipment_tracker", "id:msg-1", at(9)).await.unwrap(), None, "per route");
    let call = tx.save_webhook_receipt(&receipt("id:msg-1", 9, 20)).await;
    assert_eq!(written(tx, call).await, Err(StoreError::Duplicate(Taken::WebhookDelivery)));
    let mut tx = store.begin(&t1).await.unwrap();
    assert_eq!(tx.webhook_receipt("add_order", "id:msg-1", at(10)).await.unwrap(), None, "expired");
    tx.save_webhook_receipt(&receipt("id:msg-1", 10, 30)).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin(&tenant("t2")).await.unwrap();
    assert_eq!(tx.webhook_receipt("add_order", "id:msg-1", at(11)).await.unwrap(), None, "per tenant");
    tx.save_webhook_receipt(&receipt("id:msg-1", 11, 30)).await.unwrap();
    tx.commit().await.unwrap();
}

pub async fn tracked_shipments_are_found_within_their_scope(db: &Database) {
    let store = db.order_store();
    let mut ids = Vec::new();
    for (tenant_id, number, reference) in
        [("t1", "ORD-000001", "REF-1"), ("t1", "ORD-000002", "SHARED"), ("t2", "ORD-000001", "SHARED")]
    {
        let mut o = order(tenant_id, number);
        let id = ship(&mut o, 1, Some("DHL"), at(1));
        if tenant_id == "t2" {
            // Booked through the carrier API, which names it shp_2, once confirmed.
            o.confirm_shipment(id, at(1)).unwrap();
            let booking = CarrierBooking { carrier: "EasyPost".to_owned(), carrier_shipment_id: "shp_2".to_owned() };
            o.hold_carrier_booking(id, booking).unwrap();
            dispatch_confirmed(&mut o, id, reference, at(2));
        } else {
            dispatch(&mut o, id, reference, at(2));
        }
        let mut tx = store.begin(o.tenant_id()).await.unwrap();
        tx.insert_order(&o).await.unwrap();
        tx.commit().await.unwrap();
        ids.push(id);
    }
    let lookup = |reference: &str, carrier: Option<&str>| TrackingLookup {
        reference: reference.to_owned(),
        carrier: carrier.map(str::to_owned),
        carrier_shipment: None,
    };
    let booked = |reference: &str, carrier: &str, id: &str| TrackingLookup {
        carrier_shipment: Some(CarrierShipmentRef { carrier: carrier.to_owned(), id: id.to_owned() }),
        ..lookup(reference, None)
    };
    let (t1, t2) = (tenant("t1"), tenant("t2"));
    let found = |tenant_id: &domain::TenantId, shipment_id| TrackedShipment::Found {
        tenant_id: tenant_id.clone(),
        shipment_id,
    };
    let all = TrackingScope::AllTenants;
    assert_eq!(store.find_tracked_shipment(all, &lookup("REF-1", None)).await.unwrap(), found(&t1, ids[0]));
    assert_eq!(store.find_tracked_shipment(all, &lookup("REF-1", Some(" dhl "))).await.unwrap(), found(&t1, ids[0]));
    assert_eq!(
        store.find_tracked_shipment(all, &lookup("REF-1", Some("UPS"))).await.unwrap(),
        TrackedShipment::Unknown
    );
    assert_eq!(store.find_tracked_shipment(all, &lookup("SHARED", None)).await.unwrap(), TrackedShipment::Ambiguous);
    assert_eq!(store.find_tracked_shipment(all, &lookup("NONE", None)).await.unwrap(), TrackedShipment::Unknown);
    let own = TrackingScope::Tenant(&t2);
    assert_eq!(store.find_tracked_shipment(own, &lookup("SHARED", None)).await.unwrap(), found(&t2, ids[2]));
    assert_eq!(store.find_tracked_shipment(own, &lookup("REF-1", None)).await.unwrap(), TrackedShipment::Unknown);

    // The carrier's own id decides where the reference is shared; unknown, the reference does.
    let exact = booked("SHARED", "easypost", "shp_2");
    assert_eq!(store.find_tracked_shipment(all, &exact).await.unwrap(), found(&t2, ids[2]));
    let other_carrier = booked("SHARED", "bosta", "shp_2");
    assert_eq!(store.find_tracked_shipment(all, &other_carrier).await.unwrap(), TrackedShipment::Ambiguous);
    let unbooked = booked("REF-1", "easypost", "shp_404");
    assert_eq!(store.find_tracked_shipment(all, &unbooked).await.unwrap(), found(&t1, ids[0]));
    // Within a tenant's own route, another tenant's booking is nobody's.
    let t1_only = TrackingScope::Tenant(&t1);
    assert_eq!(store.find_tracked_shipment(t1_only, &exact).await.unwrap(), found(&t1, ids[1]));
}
