use sea_orm::entity::prelude::*;

/// One posting of an entry; tenant and order are repeated so that balances and account filters
/// read this table alone.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journal_postings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub entry_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub tenant_id: String,
    pub order_id: Option<String>,
    pub account: String,
    pub side: String,
    pub amount_minor: i64,
    pub currency: String,
}

impl ActiveModelBehavior for ActiveModel {}
