//! Turns domain events into outbox envelopes (the normative event shape).

use domain::{TenantId, events::DomainEvent};
use serde_json::json;

use crate::ports::{IdGenerator, OutboxEvent};

pub(crate) fn envelopes(tenant: &TenantId, events: Vec<DomainEvent>, ids: &dyn IdGenerator) -> Vec<OutboxEvent> {
    events
        .into_iter()
        .map(|e| {
            let id = ids.new_id();
            let payload = json!({
                "id": id.to_string(),
                "type": e.event_type.as_str(),
                "tenantId": tenant.as_str(),
                "occurredAt": e.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "aggregateId": e.aggregate_id,
                "aggregateVersion": e.aggregate_version,
                "data": e.data,
            });
            OutboxEvent {
                id,
                tenant_id: tenant.clone(),
                event_type: e.event_type.as_str().to_owned(),
                aggregate_id: e.aggregate_id,
                aggregate_version: e.aggregate_version,
                occurred_at: e.occurred_at,
                payload,
            }
        })
        .collect()
}
