//! The plan's monthly order quota, counted per UTC calendar month (issue 9, test 9).

use chrono::{DateTime, Duration};

use super::{World, block_on, every_permission, order_input, utc};
use crate::{
    ErrorCode,
    orders::CreateOrder,
    ports::{OUTCOME_OK, PlanLimits, TenantSettings},
    testing::FixedClock,
};

#[test]
fn the_monthly_quota_refuses_the_order_over_it_and_resets_at_the_next_utc_month() {
    let limits = PlanLimits { orders_per_month: Some(2), ..PlanLimits::default() };
    // One second before the month ends.
    let clock = FixedClock::at(utc(2026, 1, 31, 23, 59, 59));
    let w = World::at(clock, every_permission(), limits, TenantSettings::default());

    for _ in 0..2 {
        let call = w.observe(w.orders.create_order(&w.admin(), order_input()));
        assert!(call.result.is_ok(), "{:?}", call.result.err());
    }
    assert_eq!(w.counter("orders:2026-01"), 2);
    let outbox = w.outbox().len();

    let over = w.observe(w.orders.create_order(&w.admin(), order_input()));

    let error = over.refused_with(ErrorCode::LimitExceeded);
    let detail = |key: &str| error.details.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone());
    assert_eq!(detail("limit"), Some(serde_json::json!(2)));
    let resets_at = detail("resetsAt").and_then(|v| v.as_str().map(str::to_owned)).expect("resetsAt");
    let resets_at = DateTime::parse_from_rfc3339(&resets_at).expect("an RFC 3339 instant");
    assert_eq!(resets_at, utc(2026, 2, 1, 0, 0, 0));
    // Refused whole: no order, no number drawn, the count not raised, no event.
    assert_eq!(w.committed_orders().len(), 2);
    assert_eq!(w.counter("orders:2026-01"), 2);
    assert_eq!(w.counter("order_number"), 2);
    assert_eq!(w.outbox().len(), outbox);
    assert_eq!(over.transactions, 1, "a quota refusal is not a lost race: no retry");
    over.single_record("createOrder", "LIMIT_EXCEEDED");
    assert_eq!(over.committed_records, 0);

    // Past midnight UTC the new month has its own count.
    w.clock.advance(Duration::seconds(1));
    let next = w.observe(w.orders.create_order(&w.admin(), order_input()));
    let created = next.result.as_ref().expect("the new month's first order");
    assert_eq!(created.value.number(), "ORD-000003");
    assert_eq!(created.value.created_at(), utc(2026, 2, 1, 0, 0, 0));
    assert_eq!(w.counter("orders:2026-02"), 1);
    assert_eq!(w.counter("orders:2026-01"), 2);
    assert_eq!(w.committed_orders().len(), 3);
    next.single_record("createOrder", OUTCOME_OK);
    assert_eq!(next.committed_records, 1);
}

#[test]
fn an_order_refused_over_the_quota_is_not_named_by_its_audit_record() {
    let w = allowing_orders_per_month(1);
    w.place_order();

    let over = w.observe(w.orders.create_order(&w.admin(), order_input()));

    over.refused_with(ErrorCode::LimitExceeded);
    let record = over.single_record("createOrder", "LIMIT_EXCEEDED");
    let stored: Vec<String> = w.committed_orders().iter().map(|o| o.id().to_string()).collect();
    assert!(record.order_id.as_ref().is_none_or(|id| stored.contains(id)), "{record:#?}");
    assert!(record.target_ids.iter().all(|id| stored.contains(id)), "{record:#?}");
}

/// At the quota, a create with an externalRef is refused only by an attempt that looked its
/// externalRef up: a store may send the insert (and find the reference taken) only at commit,
/// after the count, so the first attempt's refusal waits for a second.
#[test]
fn at_the_quota_a_new_external_ref_is_refused_after_it_was_looked_up() {
    let w = allowing_orders_per_month(1);
    w.place_order();
    let outbox = w.outbox().len();

    let input = CreateOrder { external_ref: Some("shop-2".to_owned()), ..order_input() };
    let over = w.observe(w.orders.create_order(&w.admin(), input));

    over.refused_with(ErrorCode::LimitExceeded);
    assert_eq!(over.transactions, 2, "the first attempt over the quota runs again to look its externalRef up");
    assert_eq!(w.committed_orders().len(), 1);
    assert_eq!(w.counter("order_number"), 1);
    assert_eq!(w.outbox().len(), outbox);
    over.single_record("createOrder", "LIMIT_EXCEEDED");
    assert_eq!(over.committed_records, 0);
}

/// At the quota, the replay of an order created before it was reached answers that order.
#[test]
fn at_the_quota_the_replay_of_an_external_ref_answers_the_existing_order() {
    let w = allowing_orders_per_month(1);
    let input = CreateOrder { external_ref: Some("shop-1".to_owned()), ..order_input() };
    let first = block_on(w.orders.create_order(&w.admin(), input.clone())).expect("the quota's one order");

    let again = w.observe(w.orders.create_order(&w.admin(), input));

    let replayed = again.result.as_ref().expect("a replay is not refused for the quota");
    assert!(replayed.replayed);
    assert_eq!(replayed.value.id(), first.value.id());
    assert_eq!(w.committed_orders().len(), 1);
    assert_eq!(w.counter("orders:2026-01"), 1);
    again.single_record("createOrder", OUTCOME_OK);
}

/// A tenant with every permission whose plan allows `limit` orders per month, at the default clock.
fn allowing_orders_per_month(limit: u64) -> World {
    let limits = PlanLimits { orders_per_month: Some(limit), ..PlanLimits::default() };
    World::at(FixedClock::default(), every_permission(), limits, TenantSettings::default())
}
