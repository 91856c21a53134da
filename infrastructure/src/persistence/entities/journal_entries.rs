use sea_orm::entity::prelude::*;

/// Written once, never updated: entries are immutable.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journal_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub order_id: Option<String>,
    pub kind: String,
    pub idempotency_key: String,
    pub reference: Option<String>,
    pub method: Option<String>,
    pub occurred_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
