use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub tenant_id: String,
    pub order_id: String,
    /// Index in the aggregate's shipment list, so a load restores the same order.
    pub position: i32,
    pub status: String,
    pub mode: String,
    pub provider: Option<String>,
    /// `keys::carrier_key(Shipment::carrier())`: with the tenant, the scope in which a tracking
    /// reference is unique. Written only; a load derives the carrier from `provider`.
    pub carrier: String,
    /// JSON of `Vec<domain::order::ShipmentItem>`.
    #[sea_orm(column_type = "Text")]
    pub items: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub address: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub package: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub pickup: Option<String>,
    pub tracking_reference: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub label_url: Option<String>,
    pub cost_minor: Option<i64>,
    pub cost_currency: Option<String>,
    /// The carrier API the shipment was booked with (`CarrierBooking::carrier`), if it was.
    pub booking_carrier: Option<String>,
    /// The carrier's own id for the booking, recorded before its postage was bought.
    pub carrier_shipment_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
