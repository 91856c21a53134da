use sea_orm::entity::prelude::*;

/// Append-only: rows are inserted and read, never updated.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// UUIDv7, so descending id order is newest first.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub actor: String,
    pub action: String,
    pub order_id: Option<String>,
    /// JSON array of strings.
    #[sea_orm(column_type = "Text")]
    pub target_ids: String,
    /// The call's (redacted) input as JSON text.
    #[sea_orm(column_type = "Text")]
    pub input: String,
    pub outcome: String,
    pub request_id: Option<String>,
    pub occurred_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
