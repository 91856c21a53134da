use sea_orm::entity::prelude::*;

/// Append-only: every change of a configuration document is a new row, never an update.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "config_versions")]
pub struct Model {
    /// `ConfigKind::as_str`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i64,
    /// The whole document as JSON text, kept as written: no key reordering, no number rounding.
    #[sea_orm(column_type = "Text")]
    pub document: String,
    pub changed_by: String,
    pub changed_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub revision: i64,
}

impl ActiveModelBehavior for ActiveModel {}
