//! The `OrderStore` port: reads through the read pool, writes through transactions on the write
//! pool (on SQLite a single connection, so writers queue instead of failing with SQLITE_BUSY).

use application::ports::{OrderPage, OrderQuery, OrderStore, OrderTx, StoreError};
use async_trait::async_trait;
use domain::{OrderId, ShipmentId, TenantId, order::Order};
use sea_orm::{DatabaseConnection, DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait};

use super::{errors::store_error, loading, order_tx::SeaOrderTx};

pub(super) struct SeaOrderStore {
    pub(super) reader: DatabaseConnection,
    pub(super) writer: DatabaseConnection,
    /// Keeps the database's background work going while this store is in use.
    pub(super) _alive: std::sync::Arc<()>,
}

/// A write transaction on the write pool. IMMEDIATE takes SQLite's write lock at BEGIN: a
/// transaction that read first and wrote later could otherwise fail to upgrade its lock.
/// PostgreSQL ignores the option.
pub(super) async fn begin_write(writer: &DatabaseConnection) -> Result<DatabaseTransaction, StoreError> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    writer.begin_with_options(options).await.map_err(store_error)
}

#[async_trait]
impl OrderStore for SeaOrderStore {
    async fn begin(&self, tenant: &TenantId) -> Result<Box<dyn OrderTx>, StoreError> {
        let tx = begin_write(&self.writer).await?;
        Ok(Box::new(SeaOrderTx::new(tx, tenant.clone())))
    }

    async fn order(&self, tenant: &TenantId, id: OrderId) -> Result<Option<Order>, StoreError> {
        loading::one(&self.reader, loading::by_id(tenant, id)).await
    }

    async fn order_by_external_ref(&self, tenant: &TenantId, external_ref: &str) -> Result<Option<Order>, StoreError> {
        loading::one(&self.reader, loading::by_external_ref(tenant, external_ref)).await
    }

    async fn order_of_shipment(&self, tenant: &TenantId, id: ShipmentId) -> Result<Option<Order>, StoreError> {
        loading::one(&self.reader, loading::by_shipment(tenant, id)).await
    }

    async fn orders(&self, tenant: &TenantId, query: &OrderQuery) -> Result<OrderPage, StoreError> {
        let mut rows = loading::page(tenant, query).all(&self.reader).await.map_err(store_error)?;
        let wanted = usize::try_from(query.first.min(loading::MAX_PAGE)).unwrap_or(usize::MAX);
        let has_next_page = rows.len() > wanted;
        rows.truncate(wanted);
        let orders = loading::whole(&self.reader, rows).await?;
        Ok(OrderPage { orders, has_next_page })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.reader.ping().await.map_err(store_error)
    }
}
