//! The audit trail: one record per state-changing call, successful or refused.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::TenantId;
use uuid::Uuid;

use super::StoreError;

/// Outcome of an audited call: `"ok"` or the normative error code (e.g. `"FORBIDDEN"`).
pub const OUTCOME_OK: &str = "ok";

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// UUIDv7: time-ordered, so it is also the cursor.
    pub id: Uuid,
    /// The tenant the call concerned; `None` for provider operations that concern no single
    /// tenant (a plan change): the platform's own trail.
    pub tenant_id: Option<TenantId>,
    /// The token's `sub`, a webhook partner, or `system`.
    pub actor: String,
    /// The operation name, e.g. `createShipment`.
    pub action: String,
    /// The order the call concerned, when known (filterable).
    pub order_id: Option<String>,
    /// Every object id the call named or produced (order, shipment…).
    pub target_ids: Vec<String>,
    /// The call's input with secrets redacted.
    pub input: serde_json::Value,
    pub outcome: String,
    pub request_id: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub order_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Inclusive.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
}

/// Newest first; `after` is the id of the last record of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    pub filter: AuditFilter,
    pub first: u64,
    pub after: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    pub has_next_page: bool,
}

/// Audit records outside a business transaction: refused or failed calls, which changed nothing.
/// Successful changes write theirs through `OrderTx::append_audit`, in the same transaction.
#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn record(&self, record: &AuditRecord) -> Result<(), StoreError>;
    /// One tenant's trail, or the platform's own (`None`).
    async fn query(&self, tenant: Option<&TenantId>, query: &AuditQuery) -> Result<AuditPage, StoreError>;
}
