//! Aggregates built through the domain's own commands, so stored shapes are realistic.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{
    Currency, Money, OrderId, ShipmentId, TenantId,
    order::{
        Address, AddressInput, Customer, Dispatch, LinePick, NewOrder, NewOrderLine, NewShipment, Order, Package,
        Pickup, ShipmentMode,
    },
};
use uuid::Uuid;

pub fn tenant(name: &str) -> TenantId {
    TenantId::new(name).unwrap()
}

/// A fixed instant with sub-millisecond digits, `minutes` later: microseconds must survive storage.
pub fn at(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap() + Duration::microseconds(123_457) + Duration::minutes(minutes)
}

pub fn address(city: &str) -> Address {
    Address::new(AddressInput {
        line1: "1 Gulf Road",
        line2: Some("Floor 3"),
        city,
        state: None,
        postal_code: Some("13001"),
        country: "KW",
    })
    .unwrap()
}

pub struct Spec<'a> {
    pub tenant: &'a str,
    pub number: &'a str,
    pub external_ref: Option<&'a str>,
    pub email: &'a str,
    /// (sku, quantity, unit price in minor units)
    pub lines: Vec<(&'a str, i64, i64)>,
    /// The vendor of each line, in turn.
    pub vendors: &'a [&'a str],
    pub created_at: DateTime<Utc>,
    pub auto_confirm: bool,
}

impl<'a> Spec<'a> {
    pub fn new(tenant: &'a str, number: &'a str) -> Self {
        Spec {
            tenant,
            number,
            external_ref: None,
            email: "Ann@Example.com",
            lines: vec![("SKU-1", 10, 12_500)],
            vendors: &["vendor-1"],
            created_at: at(0),
            auto_confirm: true,
        }
    }

    pub fn build(self) -> Order {
        let kwd = Currency::new("KWD").unwrap();
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, (sku, quantity, price))| NewOrderLine {
                sku: (*sku).to_owned(),
                name: format!("Article {sku}"),
                vendor_id: self.vendors[i % self.vendors.len()].to_owned(),
                quantity: *quantity,
                unit_price: Money::from_minor(*price, kwd),
                weight_kg: Some(0.35),
            })
            .collect();
        let input = NewOrder {
            id: OrderId::from_uuid(Uuid::now_v7()),
            tenant_id: tenant(self.tenant),
            number: self.number.to_owned(),
            external_ref: self.external_ref.map(str::to_owned),
            customer: Customer::new(Some("cust-7"), "Ann Lee", self.email).unwrap(),
            shipping_address: Some(address("Kuwait City")),
            lines,
        };
        Order::create(input, self.auto_confirm, self.created_at).unwrap()
    }
}

pub fn order(tenant: &str, number: &str) -> Order {
    Spec::new(tenant, number).build()
}

/// A shipment of `quantity` units of SKU-1 with package and pickup details.
pub fn ship(order: &mut Order, quantity: i64, provider: Option<&str>, now: DateTime<Utc>) -> ShipmentId {
    let id = ShipmentId::from_uuid(Uuid::now_v7());
    let pickup =
        Pickup::new(Some(address("Hawalli")), Some(now), Some(now + Duration::hours(2)), Some("ring twice")).unwrap();
    order
        .create_shipment(
            NewShipment {
                id,
                mode: ShipmentMode::Pickup,
                provider: provider.map(str::to_owned),
                address: None,
                items: vec![LinePick::new("SKU-1", "vendor-1", quantity)],
                package: Some(Package::new(1.25, 30.0, 20.5, 10.0).unwrap()),
                pickup: Some(pickup),
            },
            now,
        )
        .unwrap()
}

pub fn dispatch(order: &mut Order, id: ShipmentId, tracking: &str, now: DateTime<Utc>) {
    order.confirm_shipment(id, now).unwrap();
    dispatch_confirmed(order, id, tracking, now);
}

/// Dispatches a shipment already confirmed (a booking is held between the two).
pub fn dispatch_confirmed(order: &mut Order, id: ShipmentId, tracking: &str, now: DateTime<Utc>) {
    let cost = Money::from_minor(2_750, order.currency());
    order
        .dispatch_shipment(
            id,
            Dispatch {
                tracking_reference: tracking.to_owned(),
                label_url: Some("https://labels.example.com/1.pdf".to_owned()),
                cost: Some(cost),
            },
            now,
        )
        .unwrap();
}

/// Orders have no `PartialEq`; their full debug form compares every field, floats included.
#[track_caller]
pub fn assert_same(loaded: &Order, expected: &Order) {
    assert_eq!(format!("{:#?}", loaded.parts()), format!("{:#?}", expected.parts()));
}

/// A write's outcome as the port promises it: refused by the call itself or, where the store
/// sends writes with a later call, by the commit. The transaction is committed only when the
/// call went through, and dropped (rolled back) otherwise.
pub async fn written(
    tx: Box<dyn application::ports::OrderTx>,
    call: Result<(), application::ports::StoreError>,
) -> Result<(), application::ports::StoreError> {
    call?;
    tx.commit().await
}
