use application::ports::AuditRecord;
use async_graphql::{ID, Json, Object};
use chrono::{DateTime, Utc};

/// One state-changing call: who, what, on which objects, with which input, and how it ended.
pub struct AuditEntry(pub AuditRecord);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The token's `sub`, a webhook partner, or `system`.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// The operation, e.g. `createShipment`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    async fn order_id(&self) -> Option<&str> {
        self.0.order_id.as_deref()
    }
    async fn target_ids(&self) -> &[String] {
        &self.0.target_ids
    }
    /// The call's input, secrets redacted.
    async fn input(&self) -> Json<&serde_json::Value> {
        Json(&self.0.input)
    }
    /// `ok`, or the error code the call ended with.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
}
