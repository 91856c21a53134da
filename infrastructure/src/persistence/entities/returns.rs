use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "returns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub order_id: String,
    /// Index in the aggregate's return list, so a load restores the same order.
    pub position: i32,
    pub status: String,
    /// JSON of `Vec<domain::order::ReturnLine>`.
    #[sea_orm(column_type = "Text")]
    pub lines: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decline_reason: Option<String>,
    /// JSON of `mapping::StoredRefund` (amounts in integer minor units).
    #[sea_orm(column_type = "Text", nullable)]
    pub refund: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
