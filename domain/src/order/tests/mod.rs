//! Unit and property tests of the Order aggregate (SPEC §2: Order, Shipment).
//!
//! Helpers live here; the tests are grouped by topic in the submodules.

mod booking;
mod creation;
mod order_transitions;
mod props;
mod returns;
mod review;
mod rollup;
mod shipments;
mod tracking;
mod vendor_view;

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{
    Dispatch, LinePick, NewOrder, NewOrderLine, NewShipment, Order, OrderStatus, Review, Shipment, ShipmentMode,
    ShipmentStatus,
};
use crate::{Currency, DomainError, Money, OrderId, ShipmentId, TenantId};

// ---------------------------------------------------------------------------------------------
// Time, money, ids
// ---------------------------------------------------------------------------------------------

/// The fixed instant at which test orders are created.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_735_786_800, 0).expect("valid timestamp") // 2025-01-02T03:00:00Z
}

/// The instant at which commands run, distinct from `now()` so that `updated_at` changes are visible.
fn later() -> DateTime<Utc> {
    now() + Duration::minutes(5)
}

fn cur(code: &str) -> Currency {
    Currency::new(code).expect("known currency")
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, cur("USD"))
}

fn sid(n: u128) -> ShipmentId {
    ShipmentId::from_uuid(Uuid::from_u128(0x5000 + n))
}

/// Default vendor of the lines built by the helpers.
const V: &str = "v1";

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

fn line_of(sku: &str, vendor: &str, quantity: i64, unit_price: Money) -> NewOrderLine {
    NewOrderLine {
        sku: sku.to_owned(),
        name: format!("Article {sku}"),
        vendor_id: vendor.to_owned(),
        quantity,
        unit_price,
        weight_kg: None,
    }
}

fn line(sku: &str, quantity: i64) -> NewOrderLine {
    line_of(sku, V, quantity, usd(1_000))
}

struct OrderBuilder {
    lines: Vec<NewOrderLine>,
    auto_confirm: bool,
    external_ref: Option<String>,
}

impl OrderBuilder {
    /// No lines yet, auto-confirm on (the tenant default).
    fn new() -> Self {
        Self { lines: Vec::new(), auto_confirm: true, external_ref: None }
    }

    /// The standard order of these tests: line A × 3, line B × 1, both from vendor `v1`.
    fn standard() -> Self {
        Self::new().with(line("A", 3)).with(line("B", 1))
    }

    fn with(mut self, l: NewOrderLine) -> Self {
        self.lines.push(l);
        self
    }

    fn pending(mut self) -> Self {
        self.auto_confirm = false;
        self
    }

    fn external_ref(mut self, r: &str) -> Self {
        self.external_ref = Some(r.to_owned());
        self
    }

    fn input(self) -> (NewOrder, bool) {
        let input = NewOrder {
            id: OrderId::from_uuid(Uuid::from_u128(0x0042)),
            tenant_id: TenantId::new("tenant_1").expect("tenant id"),
            number: "ORD-000042".to_owned(),
            external_ref: self.external_ref,
            customer: super::Customer::new(Some("c-1"), "Ann Buyer", "ann@example.com").expect("customer"),
            shipping_address: None,
            lines: self.lines,
        };
        (input, self.auto_confirm)
    }

    fn try_build(self) -> Result<Order, DomainError> {
        let (input, auto_confirm) = self.input();
        Order::create(input, auto_confirm, now())
    }

    /// Creates the order and drains its creation events, so that tests see only their own.
    fn build(self) -> Order {
        let mut o = self.try_build().expect("valid order");
        o.take_events();
        o
    }
}

fn new_shipment(id: ShipmentId, items: &[(&str, i64)]) -> NewShipment {
    NewShipment {
        id,
        mode: ShipmentMode::Warehouse,
        provider: Some("dhl".to_owned()),
        address: None,
        items: items.iter().map(|(sku, q)| LinePick::new(*sku, V, *q)).collect(),
        package: None,
        pickup: None,
    }
}

fn dispatch(tracking: &str) -> Dispatch {
    Dispatch {
        tracking_reference: tracking.to_owned(),
        label_url: Some("https://labels.example.com/l.pdf".to_owned()),
        cost: Some(usd(750)),
    }
}

/// Creates a shipment and drives it to `to` (PENDING, CONFIRMED, SHIPPED, DELIVERED or CANCELLED)
/// through the public commands, then drains the events.
fn add_shipment(o: &mut Order, n: u128, items: &[(&str, i64)], to: ShipmentStatus) -> ShipmentId {
    let id = o.create_shipment(new_shipment(sid(n), items), now()).expect("create shipment");
    let steps: &[ShipmentStatus] = match to {
        ShipmentStatus::Pending => &[],
        ShipmentStatus::Confirmed => &[ShipmentStatus::Confirmed],
        ShipmentStatus::Shipped => &[ShipmentStatus::Confirmed, ShipmentStatus::Shipped],
        ShipmentStatus::Delivered => &[ShipmentStatus::Confirmed, ShipmentStatus::Shipped, ShipmentStatus::Delivered],
        ShipmentStatus::Cancelled => &[ShipmentStatus::Cancelled],
        other => panic!("add_shipment cannot reach {other:?} through commands; use with_shipment_status"),
    };
    for step in steps {
        match step {
            ShipmentStatus::Confirmed => o.confirm_shipment(id, now()),
            ShipmentStatus::Shipped => o.dispatch_shipment(id, dispatch(&format!("TRK-{n}")), now()),
            ShipmentStatus::Delivered => o.deliver_shipment(id, now()),
            ShipmentStatus::Cancelled => o.cancel_shipment(id, now()),
            _ => unreachable!(),
        }
        .unwrap_or_else(|e| panic!("driving shipment {n} to {step:?}: {e}"));
    }
    o.take_events();
    id
}

/// Rewrites a stored order the way persistence could bring it back: for states no public command
/// reaches (IN_TRANSIT, FAILED… come from carrier webhooks).
fn restored(o: &Order, edit: impl FnOnce(&mut super::OrderParts)) -> Order {
    let mut parts = o.parts().clone();
    edit(&mut parts);
    Order::restore(parts)
}

fn with_shipment_status(o: &Order, id: ShipmentId, status: ShipmentStatus) -> Order {
    restored(o, |p| {
        p.shipments.iter_mut().find(|s| s.id == id).expect("shipment").status = status;
    })
}

/// An order of the standard builder brought into `status` through public commands only.
///
/// Shipments used: 1 = {A:2}, 2 = {A:1, B:1}.
fn order_in(status: OrderStatus) -> Order {
    use ShipmentStatus as S;
    let mut o = match status {
        OrderStatus::Pending => OrderBuilder::standard().pending().build(),
        _ => OrderBuilder::standard().build(),
    };
    match status {
        OrderStatus::Pending | OrderStatus::Confirmed => {}
        OrderStatus::PartiallyShipped => {
            add_shipment(&mut o, 1, &[("A", 2)], S::Shipped);
        }
        OrderStatus::Shipped => {
            add_shipment(&mut o, 1, &[("A", 2)], S::Shipped);
            add_shipment(&mut o, 2, &[("A", 1), ("B", 1)], S::Shipped);
        }
        OrderStatus::PartiallyDelivered => {
            add_shipment(&mut o, 1, &[("A", 2)], S::Delivered);
        }
        OrderStatus::Delivered | OrderStatus::Completed => {
            add_shipment(&mut o, 1, &[("A", 2)], S::Delivered);
            add_shipment(&mut o, 2, &[("A", 1), ("B", 1)], S::Delivered);
            if status == OrderStatus::Completed {
                o.complete(now()).expect("complete");
            }
        }
        OrderStatus::Cancelled => o.cancel(Some("changed my mind"), now()).expect("cancel"),
    }
    o.take_events();
    assert_eq!(o.status(), status, "order_in could not reach {status:?}");
    o
}

/// A CONFIRMED standard order on review hold (reviewer `rev`).
fn on_hold() -> Order {
    let mut o = OrderBuilder::standard().build();
    o.escalate_review("rev", Some("big order"), "clerk", now()).expect("escalate");
    o.take_events();
    o
}

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

/// Everything a command may change.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    status: OrderStatus,
    version: i64,
    updated_at: DateTime<Utc>,
    shipments: Vec<Shipment>,
    review: Option<Review>,
    cancellation_reason: Option<String>,
    events: usize,
}

fn snapshot(o: &Order) -> Snapshot {
    Snapshot {
        status: o.status(),
        version: o.version(),
        updated_at: o.updated_at(),
        shipments: o.shipments().to_vec(),
        review: o.review().cloned(),
        cancellation_reason: o.cancellation_reason().map(str::to_owned),
        events: o.pending_events().len(),
    }
}

/// Runs a command that must be refused and checks that it left the order exactly as it was.
fn refused<T: std::fmt::Debug>(o: &mut Order, cmd: impl FnOnce(&mut Order) -> Result<T, DomainError>) -> DomainError {
    let before = snapshot(o);
    let err = match cmd(o) {
        Ok(v) => panic!("command accepted ({v:?}) but should have been refused; order was {:?}", before.status),
        Err(e) => e,
    };
    assert_eq!(snapshot(o), before, "a refused command changed the order ({err:?})");
    err
}

fn refused_state<T: std::fmt::Debug>(o: &mut Order, cmd: impl FnOnce(&mut Order) -> Result<T, DomainError>) {
    let err = refused(o, cmd);
    assert!(matches!(err, DomainError::InvalidState(_)), "expected InvalidState, got {err:?}");
}

/// Runs a command that must be refused as a validation error on `field`.
fn refused_field<T: std::fmt::Debug, S: AsRef<str>>(
    o: &mut Order,
    field: &[S],
    cmd: impl FnOnce(&mut Order) -> Result<T, DomainError>,
) -> String {
    let field: Vec<&str> = field.iter().map(AsRef::as_ref).collect();
    match refused(o, cmd) {
        DomainError::Validation { field: got, message } => {
            assert_eq!(got, field, "wrong field path (message: {message})");
            message
        }
        other => panic!("expected a validation error on {field:?}, got {other:?}"),
    }
}

/// Runs a command at `later()` that must succeed: exactly one new version, `updated_at` moved,
/// and exactly `events` recorded (normative names, in order), all stamped with the new version.
fn accepted<T>(o: &mut Order, events: &[&str], cmd: impl FnOnce(&mut Order) -> Result<T, DomainError>) -> T {
    o.take_events();
    let version = o.version();
    let from = o.status();
    let out = cmd(o).unwrap_or_else(|e| panic!("command refused from {from:?}: {e:?}"));
    assert_eq!(o.version(), version + 1, "a successful command is exactly one new version");
    assert_eq!(o.updated_at(), later(), "updated_at must be the command's time");
    let got = o.pending_events();
    let types: Vec<&str> = got.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, events, "recorded events");
    for e in got {
        assert_eq!(e.aggregate_version, o.version(), "{} carries the new version", e.event_type.as_str());
        assert_eq!(e.aggregate_id, o.id().to_string());
        assert_eq!(e.occurred_at, later());
        assert_eq!(e.data.order_id, o.id().to_string());
        assert_eq!(e.data.order_number, "ORD-000042");
    }
    out
}

fn err_field(e: &DomainError) -> Vec<String> {
    match e {
        DomainError::Validation { field, .. } => field.clone(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// Defines one `#[test]` per (name, starting status, expected outcome) for a checker function.
macro_rules! status_cases {
    ($check:ident { $($name:ident: $status:ident => $ok:expr;)* }) => {
        $(
            #[test]
            fn $name() {
                $check(OrderStatus::$status, $ok);
            }
        )*
    };
}
use status_cases;
