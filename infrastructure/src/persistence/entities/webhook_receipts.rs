use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_receipts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    /// `add_order`, `shipment_tracker` or `provider:shipment_tracker`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub route: String,
    /// `id:` + the sender's webhook id, or `sha256:` + the body's hash.
    #[sea_orm(primary_key, auto_increment = false)]
    pub delivery_key: String,
    /// What the delivery produced or changed (an order id).
    pub resource_id: Option<String>,
    pub received_at_us: i64,
    /// After this a delivery with the same key is new again.
    pub expires_at_us: i64,
}

impl ActiveModelBehavior for ActiveModel {}
