use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub number: String,
    pub external_ref: Option<String>,
    pub customer_id: Option<String>,
    pub customer_name: String,
    pub customer_email: String,
    /// JSON of `domain::order::Address`.
    #[sea_orm(column_type = "Text", nullable)]
    pub shipping_address: Option<String>,
    pub currency: String,
    pub status: String,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// JSON of `mapping::StoredReview`.
    #[sea_orm(column_type = "Text", nullable)]
    pub review: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub cancellation_reason: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
