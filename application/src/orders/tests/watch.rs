//! `watch_order_events`: the access policy decides, and the scope admits only the caller's
//! tenant's events about the one order.

use chrono::Utc;
use domain::TenantId;
use uuid::Uuid;

use super::{World, block_on, manual_confirmation};
use crate::{ErrorCode, Permission, access::PermissionSet, ports::EventEnvelope, ports::PlanLimits};

fn event(tenant: &str, aggregate_id: &str) -> EventEnvelope {
    EventEnvelope {
        id: Uuid::nil(),
        tenant_id: TenantId::new(tenant).unwrap(),
        event_type: "order.confirmed".to_owned(),
        aggregate_id: aggregate_id.to_owned(),
        aggregate_version: 2,
        occurred_at: Utc::now(),
        payload: "{}".to_owned(),
    }
}

#[test]
fn a_reader_watches_its_own_tenants_order_and_nothing_else() {
    let w = World::new();
    let order = w.place_order();
    let id = order.id().to_string();

    // Upper case names the same order; the scope compares the canonical form events carry.
    let scope = block_on(w.orders.watch_order_events(&w.admin(), &id.to_uppercase())).unwrap();

    assert!(scope.admits(&event(super::TENANT, &id)));
    assert!(!scope.admits(&event("someone_else", &id)), "another tenant's event with the same id");
    assert!(!scope.admits(&event(super::TENANT, &Uuid::nil().to_string())), "another order");
}

#[test]
fn an_id_naming_no_order_is_watched_without_a_lookup() {
    let w = World::new();
    let unknown = "00000000-0000-0000-0000-00000000ffff";

    let call = w.observe(w.orders.watch_order_events(&w.admin(), unknown));

    let scope = call.result.expect("watched like any other id");
    assert_eq!(scope.aggregate_id(), unknown);
    assert_eq!(call.transactions, 0);
    assert!(call.records.is_empty(), "a read leaves no audit record");
}

#[test]
fn an_id_that_cannot_name_an_order_is_a_validation_failure() {
    let w = World::new();

    let call = w.observe(w.orders.watch_order_events(&w.admin(), "ORD-000001"));

    let error = call.refused_with(ErrorCode::ValidationFailed);
    assert_eq!(error.field.as_deref(), Some(&["orderId".to_owned()][..]));
}

#[test]
fn roles_without_order_read_are_forbidden_and_a_plan_without_it_plan_forbidden() {
    let w = World::new();
    let id = Uuid::nil().to_string();
    w.observe(w.orders.watch_order_events(&w.principal(&["stranger"]), &id)).refused_with(ErrorCode::Forbidden);

    let plan: PermissionSet = Permission::ALL.into_iter().filter(|p| *p != Permission::OrderRead).collect();
    let w = World::with(plan, PlanLimits::default(), manual_confirmation());
    w.observe(w.orders.watch_order_events(&w.admin(), &id)).refused_with(ErrorCode::PlanForbidden);
}
