//! The doubles against the ports' contracts: what a use case relies on in production must hold
//! in its unit tests too, or those tests prove nothing.

mod doubles;
mod faults;
mod transactions;
mod unique_keys;

use chrono::{DateTime, Utc};
use domain::{
    Currency, Money, OrderId, TenantId,
    order::{Customer, NewOrder, NewOrderLine, Order},
};
use serde_json::json;

use super::{FixedClock, SequentialIds};
use crate::ports::{AuditRecord, Clock, IdGenerator, OUTCOME_OK, OutboxEvent};

fn tenant(id: &str) -> TenantId {
    TenantId::new(id).unwrap()
}

fn now() -> DateTime<Utc> {
    FixedClock::default().now()
}

/// A PENDING order of one EUR 10.00 line, numbered `number`.
fn order(ids: &SequentialIds, tenant: &TenantId, number: u32, external_ref: Option<&str>) -> Order {
    let line = NewOrderLine {
        sku: "SKU-1".to_owned(),
        name: "Widget".to_owned(),
        vendor_id: "vendor-1".to_owned(),
        quantity: 1,
        unit_price: Money::from_minor(1000, Currency::new("EUR").unwrap()),
        weight_kg: None,
    };
    let new = NewOrder {
        id: OrderId::from_uuid(ids.new_id()),
        tenant_id: tenant.clone(),
        number: format!("ORD-{number}"),
        external_ref: external_ref.map(str::to_owned),
        customer: Customer::new(None, "Ada", "ada@example.com").unwrap(),
        shipping_address: None,
        lines: vec![line],
    };
    Order::create(new, false, now()).unwrap()
}

fn audit_record(ids: &SequentialIds, tenant: &TenantId, action: &str) -> AuditRecord {
    AuditRecord {
        id: ids.new_id(),
        tenant_id: Some(tenant.clone()),
        actor: "alice".to_owned(),
        action: action.to_owned(),
        order_id: None,
        target_ids: Vec::new(),
        input: json!({}),
        outcome: OUTCOME_OK.to_owned(),
        request_id: None,
        occurred_at: now(),
    }
}

fn event(ids: &SequentialIds, tenant: &TenantId) -> OutboxEvent {
    OutboxEvent {
        id: ids.new_id(),
        tenant_id: tenant.clone(),
        event_type: "order.created".to_owned(),
        aggregate_id: "order".to_owned(),
        aggregate_version: 1,
        occurred_at: now(),
        payload: json!({}),
    }
}
