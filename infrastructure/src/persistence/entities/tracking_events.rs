use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipment_tracking_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub order_id: String,
    pub shipment_id: String,
    /// Index in the aggregate's list of tracking events, so a load restores the same order.
    pub position: i32,
    pub carrier_status: String,
    /// Our status, when the carrier's was mapped.
    pub status: Option<String>,
    pub raw_reference: String,
    pub occurred_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
