//! A staged command (dispatchShipment booked through the tenant's carrier): its stages commit
//! without an audit record, the call still leaves exactly one, and a carrier's refusal after
//! the booking was recorded leaves the order as it was, with the booking kept for the next try.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use async_trait::async_trait;
use domain::{
    Currency, Money, TenantId,
    order::{Address, AddressInput as DomainAddress, Order, ShipmentMode, ShipmentStatus},
};

use super::{World, assert_unchanged, block_on};
use crate::{
    ErrorCode,
    orders::{
        AddressInput, CreateShipment, DispatchShipment, PackageInput, ShipmentItemInput, ShipmentRef, ShipmentView,
    },
    ports::{
        BookingRequest, Carrier, CarrierAccount, CarrierAccounts, CarrierError, PreparedBooking, PurchasedPostage,
    },
};

/// A carrier that prepares `shp_<n>` and answers purchases from a script (then succeeds).
#[derive(Default)]
struct ScriptedCarrier {
    prepared: AtomicUsize,
    purchases: Mutex<Vec<PreparedBooking>>,
    refuse_next_purchase: Mutex<Option<CarrierError>>,
}

#[async_trait]
impl Carrier for ScriptedCarrier {
    fn provider(&self) -> &str {
        "easypost"
    }

    async fn prepare(&self, _: &BookingRequest) -> Result<PreparedBooking, CarrierError> {
        let n = self.prepared.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(PreparedBooking { carrier_shipment_id: format!("shp_{n}") })
    }

    async fn purchase(&self, prepared: &PreparedBooking, r: &BookingRequest) -> Result<PurchasedPostage, CarrierError> {
        self.purchases.lock().unwrap().push(prepared.clone());
        if let Some(e) = self.refuse_next_purchase.lock().unwrap().take() {
            return Err(e);
        }
        Ok(PurchasedPostage {
            carrier_shipment_id: prepared.carrier_shipment_id.clone(),
            tracking_code: format!("TRK-{}", prepared.carrier_shipment_id),
            label_url: Some("https://labels.example/1.png".to_owned()),
            cost: Money::parse("3.20", r.currency).unwrap(),
            service: Some("Ground".to_owned()),
        })
    }
}

struct OneAccount(Arc<ScriptedCarrier>);

impl CarrierAccounts for OneAccount {
    fn account(&self, _: &TenantId) -> Option<CarrierAccount> {
        let from = Address::new(DomainAddress {
            line1: "1 Dock Rd",
            line2: None,
            city: "Rotterdam",
            state: None,
            postal_code: None,
            country: "NL",
        })
        .unwrap();
        Some(CarrierAccount { carrier: self.0.clone(), from_address: Some(from), service: None })
    }
}

fn world_with(carrier: Arc<ScriptedCarrier>) -> World {
    let World { orders, store, log, clock, tenant } = World::new();
    World { orders: orders.with_carriers(Arc::new(OneAccount(carrier))), store, log, clock, tenant }
}

/// A CONFIRMED shipment of one widget with a package and an address; returns the order.
fn confirmed_shipment(w: &World) -> (Order, String) {
    let order = w.place_order();
    let address = AddressInput {
        line1: "2 Canal St".to_owned(),
        city: "Amsterdam".to_owned(),
        country: "NL".to_owned(),
        ..AddressInput::default()
    };
    let input = CreateShipment {
        order_id: order.id().to_string(),
        mode: ShipmentMode::Warehouse,
        provider: None,
        address: Some(address),
        items: vec![ShipmentItemInput { sku: "SKU-1".to_owned(), vendor_id: "vendor-1".to_owned(), quantity: 1 }],
        package: Some(PackageInput { weight_kg: 1.0, length_cm: 10.0, width_cm: 10.0, height_cm: 10.0 }),
        pickup: None,
        idempotency_key: None,
    };
    let created: ShipmentView = block_on(w.orders.create_shipment(&w.admin(), input)).unwrap().value;
    let id = created.shipment_id.to_string();
    let confirmed =
        block_on(w.orders.confirm_shipment(&w.admin(), ShipmentRef { id: id.clone(), expected_version: None }))
            .unwrap();
    (confirmed.order, id)
}

fn dispatch(id: &str) -> DispatchShipment {
    DispatchShipment { id: id.to_owned(), ..DispatchShipment::default() }
}

#[test]
fn a_booked_dispatch_commits_its_stages_and_one_audit_record() {
    let carrier = Arc::new(ScriptedCarrier::default());
    let w = world_with(carrier.clone());
    let (_, id) = confirmed_shipment(&w);
    let seen = w.observe(w.orders.dispatch_shipment(&w.admin(), dispatch(&id)));
    let view = seen.result.as_ref().unwrap();
    let shipment = view.order.shipment(view.shipment_id).unwrap();
    assert_eq!(shipment.status, ShipmentStatus::Shipped);
    assert_eq!(shipment.tracking_reference.as_deref(), Some("TRK-shp_1"));
    assert_eq!(shipment.cost, Some(Money::parse("3.20", Currency::new("EUR").unwrap()).unwrap()));
    assert_eq!(shipment.booking.as_ref().map(|b| b.carrier_shipment_id.as_str()), Some("shp_1"));
    seen.single_record("dispatchShipment", "ok");
    assert_eq!(seen.committed_records, 1, "committed with the dispatch");
    assert_eq!(seen.transactions, 2, "the booking's stage, then the dispatch");
    assert_eq!(seen.events.iter().map(|e| e.event_type.as_str()).collect::<Vec<_>>(), ["shipment.dispatched"]);
}

#[test]
fn a_refused_purchase_changes_nothing_and_the_next_try_buys_the_held_booking() {
    let carrier = Arc::new(ScriptedCarrier::default());
    let w = world_with(carrier.clone());
    let (before, id) = confirmed_shipment(&w);
    *carrier.refuse_next_purchase.lock().unwrap() = Some(CarrierError::Refused("insufficient funds".to_owned()));

    let seen = w.observe(w.orders.dispatch_shipment(&w.admin(), dispatch(&id)));
    let e = seen.refused_with(ErrorCode::ValidationFailed);
    assert!(e.message.contains("insufficient funds"), "{e:?}");
    seen.single_record("dispatchShipment", "VALIDATION_FAILED");
    assert!(seen.events.is_empty());
    let stored = w.committed_orders().into_iter().find(|o| o.id() == before.id()).unwrap();
    // Only the booking was recorded: version, status and events are as they were.
    assert_eq!(stored.version(), before.version());
    let held = stored.shipments()[0].booking.clone().expect("the booking is kept");
    assert_eq!(held.carrier_shipment_id, "shp_1");

    let retried = w.observe(w.orders.dispatch_shipment(&w.admin(), dispatch(&id)));
    assert!(retried.result.is_ok(), "{:?}", retried.result.as_ref().err());
    retried.single_record("dispatchShipment", "ok");
    assert_eq!(retried.transactions, 1, "no new booking to record");
    assert_eq!(carrier.prepared.load(Ordering::SeqCst), 1, "the carrier prepared one shipment");
    let bought: Vec<String> = carrier.purchases.lock().unwrap().iter().map(|p| p.carrier_shipment_id.clone()).collect();
    assert_eq!(bought, ["shp_1", "shp_1"]);
}

#[test]
fn a_refused_authorization_calls_no_carrier_and_leaves_one_record() {
    let carrier = Arc::new(ScriptedCarrier::default());
    let w = world_with(carrier.clone());
    let (before, id) = confirmed_shipment(&w);
    let vendor = w.principal(&["vendor"]);
    let seen = w.observe(w.orders.dispatch_shipment(&vendor, dispatch(&id)));
    seen.refused_with(ErrorCode::Forbidden);
    seen.single_record("dispatchShipment", "FORBIDDEN");
    assert_eq!(seen.transactions, 0);
    assert_eq!(carrier.prepared.load(Ordering::SeqCst), 0);
    let stored = w.committed_orders().into_iter().find(|o| o.id() == before.id()).unwrap();
    assert_unchanged(&before, &stored);
}
