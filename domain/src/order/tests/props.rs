//! Property tests: random orders driven by random command sequences, checked against the spec's
//! allocation rule, a reference roll-up computed from unit counts, the version rule, and a small
//! reference model of the spec's transition tables.

use proptest::prelude::*;

use super::*;
use crate::order::{OrderLine, ShipmentItem, roll_up};
use crate::{Sku, VendorId, events::DomainEvent};

// ---------------------------------------------------------------------------------------------
// Scenario: an order and a command sequence
// ---------------------------------------------------------------------------------------------

/// Line `i` of a generated order. Lines 0 and 1 share a sku but not a vendor, so that lines are
/// told apart by (sku, vendorId), not by sku alone.
fn sku_of(i: usize) -> String {
    format!("SKU-{}", i / 2)
}
fn vendor_of(i: usize) -> String {
    format!("v{}", i % 2)
}

#[derive(Debug, Clone)]
enum Cmd {
    ConfirmOrder,
    CancelOrder,
    Complete,
    Escalate,
    Decide {
        approve: bool,
        by_reviewer: bool,
    },
    /// (line index modulo the number of lines, quantity)
    CreateShipment(Vec<(usize, i64)>),
    /// Shipment chosen by index modulo the number of shipments (an unknown id when there is none).
    ConfirmShipment(usize),
    Dispatch(usize),
    Deliver(usize),
    CancelShipment(usize),
}

#[derive(Debug, Clone)]
struct Scenario {
    quantities: Vec<u32>,
    auto_confirm: bool,
    cmds: Vec<Cmd>,
}

fn quantity() -> impl Strategy<Value = i64> {
    prop_oneof![6 => 1i64..=8, 1 => -1i64..=0, 2 => 9i64..=25]
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        1 => Just(Cmd::ConfirmOrder),
        1 => Just(Cmd::CancelOrder),
        1 => Just(Cmd::Complete),
        1 => Just(Cmd::Escalate),
        1 => (any::<bool>(), prop::bool::weighted(0.8))
            .prop_map(|(approve, by_reviewer)| Cmd::Decide { approve, by_reviewer }),
        10 => prop::collection::vec((0usize..5, quantity()), 0..=3).prop_map(Cmd::CreateShipment),
        4 => any::<usize>().prop_map(Cmd::ConfirmShipment),
        4 => any::<usize>().prop_map(Cmd::Dispatch),
        4 => any::<usize>().prop_map(Cmd::Deliver),
        2 => any::<usize>().prop_map(Cmd::CancelShipment),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (prop::collection::vec(1u32..=20, 1..=5), prop::bool::weighted(0.85), prop::collection::vec(cmd(), 1..40))
        .prop_map(|(quantities, auto_confirm, cmds)| Scenario { quantities, auto_confirm, cmds })
}

fn build(sc: &Scenario) -> Order {
    let b = sc.quantities.iter().enumerate().fold(OrderBuilder::new(), |b, (i, q)| {
        b.with(line_of(&sku_of(i), &vendor_of(i), i64::from(*q), usd(100 + i as i64)))
    });
    let b = if sc.auto_confirm { b } else { b.pending() };
    b.build()
}

// ---------------------------------------------------------------------------------------------
// Reference computations, written from the spec without the production helpers
// ---------------------------------------------------------------------------------------------

/// Units of `line` held by the shipments whose status satisfies `pick`.
fn units(line: &OrderLine, shipments: &[Shipment], pick: impl Fn(ShipmentStatus) -> bool) -> u64 {
    shipments
        .iter()
        .filter(|s| pick(s.status))
        .flat_map(|s| &s.items)
        .filter(|it| it.sku.as_str() == line.sku.as_str() && it.vendor_id.as_str() == line.vendor_id.as_str())
        .map(|it| u64::from(it.quantity))
        .sum()
}

fn has_left_warehouse(s: ShipmentStatus) -> bool {
    matches!(s, ShipmentStatus::Shipped | ShipmentStatus::InTransit | ShipmentStatus::Delivered)
}

/// The roll-up from unit counts: DELIVERED iff all units delivered; SHIPPED iff all units shipped
/// or delivered and not all delivered; PARTIALLY_DELIVERED iff some delivered; PARTIALLY_SHIPPED
/// iff some shipped; else CONFIRMED. A unit counts once even if shipments over-cover its line.
fn reference_roll_up(lines: &[OrderLine], shipments: &[Shipment]) -> OrderStatus {
    let (mut ordered, mut shipped, mut delivered) = (0u64, 0u64, 0u64);
    for l in lines {
        let q = u64::from(l.quantity);
        ordered += q;
        shipped += units(l, shipments, has_left_warehouse).min(q);
        delivered += units(l, shipments, |s| s == ShipmentStatus::Delivered).min(q);
    }
    if ordered > 0 && delivered == ordered {
        OrderStatus::Delivered
    } else if ordered > 0 && shipped == ordered {
        OrderStatus::Shipped
    } else if delivered > 0 {
        OrderStatus::PartiallyDelivered
    } else if shipped > 0 {
        OrderStatus::PartiallyShipped
    } else {
        OrderStatus::Confirmed
    }
}

fn allocated(line: &OrderLine, shipments: &[Shipment]) -> u64 {
    units(line, shipments, |s| s != ShipmentStatus::Cancelled)
}

/// A shipment of the model: id, status, and (line index, quantity) items.
type ModelShipment = (ShipmentId, ShipmentStatus, Vec<(usize, u32)>);

/// The spec's transition tables, on plain data.
#[derive(Debug, Clone)]
struct Model {
    ordered: Vec<u32>,
    status: OrderStatus,
    hold: bool,
    shipments: Vec<ModelShipment>,
}

impl Model {
    fn new(sc: &Scenario) -> Self {
        let status = if sc.auto_confirm { OrderStatus::Confirmed } else { OrderStatus::Pending };
        Model { ordered: sc.quantities.clone(), status, hold: false, shipments: Vec::new() }
    }

    fn allocated(&self, line: usize) -> u32 {
        self.shipments
            .iter()
            .filter(|(_, st, _)| *st != ShipmentStatus::Cancelled)
            .flat_map(|(_, _, items)| items)
            .filter(|(l, _)| *l == line)
            .map(|(_, q)| *q)
            .sum()
    }

    fn rolled_up(&self) -> OrderStatus {
        let (mut ordered, mut shipped, mut delivered) = (0u32, 0u32, 0u32);
        for (i, q) in self.ordered.iter().enumerate() {
            let count = |pick: fn(ShipmentStatus) -> bool| -> u32 {
                self.shipments
                    .iter()
                    .filter(|(_, st, _)| pick(*st))
                    .flat_map(|(_, _, items)| items)
                    .filter(|(l, _)| *l == i)
                    .map(|(_, q)| *q)
                    .sum()
            };
            ordered += q;
            shipped += count(has_left_warehouse);
            delivered += count(|s| s == ShipmentStatus::Delivered);
        }
        if delivered == ordered {
            OrderStatus::Delivered
        } else if shipped == ordered {
            OrderStatus::Shipped
        } else if delivered > 0 {
            OrderStatus::PartiallyDelivered
        } else if shipped > 0 {
            OrderStatus::PartiallyShipped
        } else {
            OrderStatus::Confirmed
        }
    }

    fn pick(&self, i: usize) -> Option<usize> {
        (!self.shipments.is_empty()).then(|| i % self.shipments.len())
    }

    fn shipment_id(&self, i: usize) -> ShipmentId {
        self.pick(i).map_or(sid(100_000), |k| self.shipments[k].0)
    }

    fn next_shipment_id(&self) -> ShipmentId {
        sid(self.shipments.len() as u128 + 1)
    }

    fn try_cancel(&mut self) -> bool {
        use ShipmentStatus as S;
        let allowed =
            matches!(self.status, OrderStatus::Pending | OrderStatus::Confirmed | OrderStatus::PartiallyShipped)
                && !self.shipments.iter().any(|(_, st, _)| has_left_warehouse(*st));
        if allowed {
            for (_, st, _) in &mut self.shipments {
                if matches!(st, S::Pending | S::Confirmed) {
                    *st = S::Cancelled;
                }
            }
            self.status = OrderStatus::Cancelled;
            self.hold = false;
        }
        allowed
    }

    fn move_shipment(&mut self, i: usize, from: &[ShipmentStatus], to: ShipmentStatus) -> bool {
        let Some(k) = self.pick(i) else { return false };
        if !self.status.is_fulfilment() || !from.contains(&self.shipments[k].1) {
            return false;
        }
        self.shipments[k].1 = to;
        self.status = self.rolled_up();
        true
    }

    /// Applies `cmd` if the spec allows it; returns whether it does.
    fn apply(&mut self, cmd: &Cmd) -> bool {
        use ShipmentStatus as S;
        match cmd {
            Cmd::ConfirmOrder => {
                let ok = self.status == OrderStatus::Pending;
                if ok {
                    self.status = OrderStatus::Confirmed;
                }
                ok
            }
            Cmd::CancelOrder => self.try_cancel(),
            Cmd::Complete => {
                let ok = self.status == OrderStatus::Delivered;
                if ok {
                    self.status = OrderStatus::Completed;
                }
                ok
            }
            Cmd::Escalate => {
                let ok = matches!(self.status, OrderStatus::Pending | OrderStatus::Confirmed) && !self.hold;
                self.hold |= ok;
                ok
            }
            Cmd::Decide { approve, by_reviewer } => {
                let reviewable = matches!(self.status, OrderStatus::Pending | OrderStatus::Confirmed);
                let ok = reviewable && self.hold && *by_reviewer && (*approve || self.try_cancel());
                if ok {
                    self.hold = false;
                }
                ok
            }
            Cmd::CreateShipment(items) => {
                let mut state_ok = matches!(
                    self.status,
                    OrderStatus::Confirmed | OrderStatus::PartiallyShipped | OrderStatus::PartiallyDelivered
                ) && !self.hold
                    && !items.is_empty();
                let mut taken: Vec<(usize, u32)> = Vec::new();
                for (l, q) in items {
                    let l = l % self.ordered.len();
                    let left = i64::from(self.ordered[l]) - i64::from(self.allocated(l));
                    if *q <= 0 || *q > left || taken.iter().any(|(t, _)| *t == l) {
                        state_ok = false;
                        break;
                    }
                    taken.push((l, *q as u32));
                }
                if state_ok {
                    self.shipments.push((self.next_shipment_id(), S::Pending, taken));
                }
                state_ok
            }
            Cmd::ConfirmShipment(i) => self.move_shipment(*i, &[S::Pending], S::Confirmed),
            Cmd::Dispatch(i) => !self.hold && self.move_shipment(*i, &[S::Confirmed], S::Shipped),
            Cmd::Deliver(i) => self.move_shipment(*i, &[S::Shipped, S::InTransit], S::Delivered),
            Cmd::CancelShipment(i) => self.move_shipment(*i, &[S::Pending, S::Confirmed], S::Cancelled),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Runner
// ---------------------------------------------------------------------------------------------

fn step_time(step: usize) -> DateTime<Utc> {
    now() + Duration::seconds(step as i64 + 1)
}

fn exec(o: &mut Order, m: &Model, cmd: &Cmd, step: usize) -> Result<(), DomainError> {
    let t = step_time(step);
    let n = m.ordered.len();
    match cmd {
        Cmd::ConfirmOrder => o.confirm(t),
        Cmd::CancelOrder => o.cancel(Some("prop"), t),
        Cmd::Complete => o.complete(t),
        Cmd::Escalate => o.escalate_review("rev", None, "clerk", t),
        Cmd::Decide { approve, by_reviewer } => {
            o.decide_review(if *by_reviewer { "rev" } else { "mallory" }, *approve, None, t)
        }
        Cmd::CreateShipment(items) => {
            let input = NewShipment {
                items: items.iter().map(|(l, q)| LinePick::new(sku_of(l % n), vendor_of(l % n), *q)).collect(),
                ..new_shipment(m.next_shipment_id(), &[])
            };
            o.create_shipment(input, t).map(|_| ())
        }
        Cmd::ConfirmShipment(i) => o.confirm_shipment(m.shipment_id(*i), t),
        Cmd::Dispatch(i) => o.dispatch_shipment(m.shipment_id(*i), dispatch(&format!("TRK-{step}")), t),
        Cmd::Deliver(i) => o.deliver_shipment(m.shipment_id(*i), t),
        Cmd::CancelShipment(i) => o.cancel_shipment(m.shipment_id(*i), t),
    }
}

/// What one step of a run looked like.
struct Step<'a> {
    step: usize,
    cmd: &'a Cmd,
    /// Whether the reference model of the spec allows the command.
    spec_allows: bool,
    result: &'a Result<(), DomainError>,
    before: &'a Snapshot,
    order: &'a Order,
    model: &'a Model,
    events: &'a [DomainEvent],
    /// Commands accepted so far, this one included.
    accepted: i64,
}

fn run(sc: &Scenario, mut check: impl FnMut(&Step<'_>) -> Result<(), TestCaseError>) -> Result<(), TestCaseError> {
    let mut o = build(sc);
    prop_assert_eq!(o.version(), 1);
    let mut m = Model::new(sc);
    let mut accepted = 0;
    for (step, cmd) in sc.cmds.iter().enumerate() {
        let before = snapshot(&o);
        let result = exec(&mut o, &m, cmd, step);
        let spec_allows = m.apply(cmd);
        accepted += i64::from(result.is_ok());
        let events = o.take_events();
        check(&Step {
            step,
            cmd,
            spec_allows,
            result: &result,
            before: &before,
            order: &o,
            model: &m,
            events: &events,
            accepted,
        })?;
    }
    Ok(())
}

fn on_hold(s: &Snapshot) -> bool {
    s.review.as_ref().is_some_and(|r| r.decision.is_none())
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// (a) For every line, units in non-cancelled shipments never exceed the ordered quantity, and a
    /// well-formed create_shipment in a shippable state is accepted iff every item fits what is left.
    #[test]
    fn allocation_never_exceeds_the_ordered_quantity(sc in scenario()) {
        run(&sc, |s| {
            let lines = s.order.lines();
            for l in lines {
                let a = allocated(l, s.order.shipments());
                prop_assert!(a <= u64::from(l.quantity), "step {}: line {} allocated {a} of {}", s.step, l.sku, l.quantity);
            }
            if let Cmd::CreateShipment(items) = s.cmd {
                let n = lines.len();
                let state_ok = matches!(
                    s.before.status,
                    OrderStatus::Confirmed | OrderStatus::PartiallyShipped | OrderStatus::PartiallyDelivered
                ) && !on_hold(s.before);
                let mut idx: Vec<usize> = items.iter().map(|(l, _)| l % n).collect();
                idx.sort_unstable();
                idx.dedup();
                let well_formed = !items.is_empty() && idx.len() == items.len() && items.iter().all(|(_, q)| *q > 0);
                let first_misfit = items.iter().position(|(l, q)| {
                    let line = &lines[l % n];
                    *q > i64::from(line.quantity) - allocated(line, &s.before.shipments) as i64
                });
                prop_assert_eq!(
                    s.result.is_ok(),
                    state_ok && well_formed && first_misfit.is_none(),
                    "step {}: {:?} from {:?} -> {:?}", s.step, items, s.before.status, s.result
                );
                if let (true, true, Some(j)) = (state_ok, well_formed, first_misfit) {
                    let field = s.result.as_ref().err().map(err_field);
                    prop_assert_eq!(field, Some(vec!["items".to_owned(), j.to_string(), "quantity".to_owned()]));
                }
            }
            Ok(())
        })?;
    }

    /// (b) `roll_up` equals the reference computed from unit counts, for any lines and shipments.
    #[test]
    fn roll_up_matches_the_unit_count_reference(
        quantities in prop::collection::vec(1u32..=20, 1..=5),
        shipments in prop::collection::vec(
            (prop::sample::select(ShipmentStatus::ALL.to_vec()), prop::collection::vec((0usize..6, 1u32..=25), 1..=4)),
            0..=6,
        ),
    ) {
        let sc = Scenario { quantities, auto_confirm: true, cmds: Vec::new() };
        let order = build(&sc);
        let lines = order.lines();
        let shipments: Vec<Shipment> = shipments
            .into_iter()
            .enumerate()
            .map(|(k, (status, items))| Shipment {
                status,
                items: items
                    .into_iter()
                    .map(|(l, q)| ShipmentItem {
                        // Index 5 is past the largest order: an article the order does not have.
                        sku: Sku::new(sku_of(l)).unwrap(),
                        vendor_id: VendorId::new(vendor_of(l)).unwrap(),
                        quantity: q,
                    })
                    .collect(),
                ..order_shipment_template(k as u128)
            })
            .collect();
        prop_assert_eq!(roll_up(lines, &shipments), reference_roll_up(lines, &shipments));
    }

    /// (b) While the order is in a fulfilment state, its status is the roll-up of its shipments.
    #[test]
    fn fulfilment_status_is_the_roll_up(sc in scenario()) {
        run(&sc, |s| {
            let o = s.order;
            if o.status().is_fulfilment() {
                prop_assert_eq!(o.status(), roll_up(o.lines(), o.shipments()), "step {}", s.step);
                prop_assert_eq!(o.status(), reference_roll_up(o.lines(), o.shipments()), "step {}", s.step);
            }
            Ok(())
        })?;
    }

    /// (c) version = 1 + accepted commands; a refused command changes nothing and records nothing; an
    /// accepted one records its normative events, all stamped with the new version.
    #[test]
    fn version_counts_accepted_commands(sc in scenario()) {
        run(&sc, |s| {
            let o = s.order;
            prop_assert_eq!(o.version(), 1 + s.accepted, "step {}", s.step);
            if s.result.is_err() {
                let mut after = snapshot(o);
                after.events = s.before.events;
                prop_assert_eq!(&after, s.before, "step {}: refused {:?} changed the order", s.step, s.cmd);
                prop_assert!(s.events.is_empty());
                return Ok(());
            }
            prop_assert_eq!(o.version(), s.before.version + 1);
            prop_assert_eq!(o.updated_at(), step_time(s.step));
            let cancelled_with_order = s
                .before
                .shipments
                .iter()
                .filter(|sh| matches!(sh.status, ShipmentStatus::Pending | ShipmentStatus::Confirmed))
                .count();
            let cascade = || std::iter::repeat_n("shipment.cancelled", cancelled_with_order).chain(["order.cancelled"]);
            let expected: Vec<&str> = match s.cmd {
                Cmd::ConfirmOrder => vec!["order.confirmed"],
                Cmd::CancelOrder => cascade().collect(),
                Cmd::Complete => vec!["order.completed"],
                Cmd::Escalate => vec!["order.review_escalated"],
                Cmd::Decide { approve: true, .. } => vec!["order.reviewed"],
                Cmd::Decide { approve: false, .. } => cascade().chain(["order.reviewed"]).collect(),
                Cmd::CreateShipment(_) => vec!["shipment.created"],
                Cmd::ConfirmShipment(_) => vec!["shipment.confirmed"],
                Cmd::Dispatch(_) => vec!["shipment.dispatched"],
                Cmd::Deliver(_) => vec!["shipment.delivered"],
                Cmd::CancelShipment(_) => vec!["shipment.cancelled"],
            };
            let got: Vec<&str> = s.events.iter().map(|e| e.event_type.as_str()).collect();
            prop_assert_eq!(got, expected, "step {}: {:?}", s.step, s.cmd);
            for e in s.events {
                prop_assert_eq!(e.aggregate_version, o.version());
                prop_assert_eq!(e.data.order_status.as_str(), o.status().as_str());
            }
            Ok(())
        })?;
    }

    /// Every command is accepted exactly when the spec's tables allow it, and the order then agrees
    /// with the reference model on its status, hold and shipments.
    #[test]
    fn commands_follow_the_spec_tables(sc in scenario()) {
        run(&sc, |s| {
            prop_assert_eq!(
                s.result.is_ok(), s.spec_allows,
                "step {}: {:?} from {:?} (hold {}) -> {:?}", s.step, s.cmd, s.before.status, on_hold(s.before), s.result
            );
            let o = s.order;
            prop_assert_eq!(o.status(), s.model.status, "step {}", s.step);
            prop_assert_eq!(o.on_review_hold(), s.model.hold, "step {}", s.step);
            let got: Vec<(ShipmentId, ShipmentStatus)> = o.shipments().iter().map(|sh| (sh.id, sh.status)).collect();
            let want: Vec<(ShipmentId, ShipmentStatus)> = s.model.shipments.iter().map(|(id, st, _)| (*id, *st)).collect();
            prop_assert_eq!(got, want, "step {}", s.step);
            Ok(())
        })?;
    }
}

/// A shipment with nothing but an id, for building inputs to `roll_up`.
fn order_shipment_template(n: u128) -> Shipment {
    Shipment {
        id: sid(n),
        status: ShipmentStatus::Pending,
        items: Vec::new(),
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
