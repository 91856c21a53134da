use sea_orm::entity::prelude::*;

/// Lines are written once, with their order, and never updated.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "order_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    pub sku: String,
    pub vendor_id: String,
    pub name: String,
    pub quantity: i64,
    /// Minor units of the order's currency.
    pub unit_price_minor: i64,
    pub weight_kg: Option<f64>,
}

impl ActiveModelBehavior for ActiveModel {}
