//! Calls refused before the domain step: by the access policy (no transaction at all) or because
//! the input names no order of the tenant (issue 9, tests 8 and 11).

use super::{Observed, World, assert_unchanged, block_on, confirm, manual_confirmation};
use crate::{
    AppError, ErrorCode, Permission,
    access::PermissionSet,
    orders::{CreateShipment, MoneyInput, OrderRef, ProcessRefund, RecordPayment, ShipmentItemInput, ShipmentRef},
    ports::PlanLimits,
};
use domain::order::{OrderStatus, ShipmentMode};

/// A well-formed id that names nothing stored.
const UNKNOWN: &str = "00000000-0000-0000-0000-00000000ffff";
const MALFORMED: &str = "ORD-000001";

#[test]
fn confirm_order_by_a_caller_whose_roles_grant_nothing_is_forbidden_before_any_transaction() {
    let w = World::pending();
    let order = w.place_order();

    let stranger = w.principal(&["stranger"]);
    let call = w.observe(w.orders.confirm_order(&stranger, confirm(&order, None)));

    call.refused_with(ErrorCode::Forbidden);
    assert_eq!(call.transactions, 0);
    assert_unchanged(&order, &w.committed_orders()[0]);
    let record = call.single_record("confirmOrder", "FORBIDDEN");
    // The order the input named is on the record although nothing was read.
    assert_eq!(record.order_id, Some(order.id().to_string()));
    assert_eq!(call.committed_records, 0);
}

#[test]
fn confirm_order_outside_the_plan_is_plan_forbidden_before_any_transaction() {
    let plan: PermissionSet = Permission::ALL.into_iter().filter(|p| *p != Permission::OrderConfirm).collect();
    let w = World::with(plan, PlanLimits::default(), manual_confirmation());
    let order = w.place_order();

    let call = w.observe(w.orders.confirm_order(&w.admin(), confirm(&order, None)));

    call.refused_with(ErrorCode::PlanForbidden);
    assert_eq!(call.transactions, 0);
    let stored = &w.committed_orders()[0];
    assert_eq!(stored.status(), OrderStatus::Pending);
    assert_unchanged(&order, stored);
    assert!(call.events.is_empty());
    call.single_record("confirmOrder", "PLAN_FORBIDDEN");
    assert_eq!(call.committed_records, 0);
}

/// The call answered NOT_FOUND on `field`, after `transactions` transactions, with one
/// standalone audit record of `action`.
fn assert_not_found<V: std::fmt::Debug>(
    call: &Observed<Result<V, AppError>>,
    action: &str,
    field: &str,
    transactions: usize,
) {
    let error = call.refused_with(ErrorCode::NotFound);
    assert_eq!(error.field, Some(vec![field.to_owned()]), "{error:?}");
    assert_eq!(call.transactions, transactions, "{action} on {field}");
    assert!(call.events.is_empty());
    call.single_record(action, "NOT_FOUND");
    assert_eq!(call.committed_records, 0);
}

#[test]
fn confirm_order_of_a_malformed_or_unknown_id_is_not_found_on_id() {
    let w = World::pending();
    w.place_order();

    for (id, transactions) in [(MALFORMED, 0), (UNKNOWN, 1)] {
        let input = OrderRef { id: id.to_owned(), expected_version: None };
        let call = w.observe(w.orders.confirm_order(&w.admin(), input));
        // A malformed id cannot name an order, so it is refused before the database is asked.
        assert_not_found(&call, "confirmOrder", "id", transactions);
        assert_eq!(call.records[0].order_id.as_deref(), Some(id));
    }
    assert_eq!(w.committed_orders()[0].status(), OrderStatus::Pending);
}

#[test]
fn create_shipment_and_record_payment_of_a_malformed_or_unknown_order_are_not_found_on_order_id() {
    let w = World::new();
    w.place_order();

    for (id, transactions) in [(MALFORMED, 0), (UNKNOWN, 1)] {
        let shipment = CreateShipment {
            order_id: id.to_owned(),
            mode: ShipmentMode::Dropoff,
            provider: None,
            address: None,
            items: vec![ShipmentItemInput { sku: "SKU-1".to_owned(), vendor_id: "vendor-1".to_owned(), quantity: 1 }],
            package: None,
            pickup: None,
            idempotency_key: Some("ship-1".to_owned()),
        };
        let call = w.observe(w.orders.create_shipment(&w.admin(), shipment));
        assert_not_found(&call, "createShipment", "orderId", transactions);

        let payment = RecordPayment {
            order_id: id.to_owned(),
            amount: MoneyInput { amount: "1.00".to_owned(), currency: "EUR".to_owned() },
            reference: None,
            method: None,
            idempotency_key: Some("pay-1".to_owned()),
        };
        let call = w.observe(w.orders.record_payment(&w.admin(), payment));
        assert_not_found(&call, "recordPayment", "orderId", transactions);
    }
    let stored = &w.committed_orders()[0];
    assert!(stored.shipments().is_empty());
    assert_eq!(stored.journal().len(), 1, "only the receivable of the auto-confirmed order");
}

#[test]
fn commands_on_a_malformed_or_unknown_shipment_or_return_are_not_found_on_their_field() {
    let w = World::new();
    w.place_order();

    for (id, transactions) in [(MALFORMED, 0), (UNKNOWN, 1)] {
        let shipment = ShipmentRef { id: id.to_owned(), expected_version: None };
        let call = w.observe(w.orders.confirm_shipment(&w.admin(), shipment));
        assert_not_found(&call, "confirmShipment", "id", transactions);

        let refund = ProcessRefund { return_id: id.to_owned(), comments: None, idempotency_key: None };
        let call = w.observe(w.orders.process_refund(&w.admin(), refund));
        assert_not_found(&call, "processRefund", "returnId", transactions);
    }
}

#[test]
fn a_refused_call_leaves_the_transaction_slot_free_for_the_next_one() {
    // Each refusal above ends its transaction (if any) by dropping it: were one left open, the
    // in-memory store's writer slot would make this next call wait forever.
    let w = World::pending();
    let order = w.place_order();
    let unknown = OrderRef { id: UNKNOWN.to_owned(), expected_version: None };
    block_on(w.orders.confirm_order(&w.admin(), unknown)).unwrap_err();
    let confirmed = block_on(w.orders.confirm_order(&w.admin(), confirm(&order, Some(1)))).unwrap();
    assert_eq!(confirmed.status(), OrderStatus::Confirmed);
}
