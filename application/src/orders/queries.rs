//! Read use cases: order, orderByExternalRef, orders, shipment.

use chrono::{DateTime, Utc};
use domain::{
    OrderId, ShipmentId,
    order::{Order, OrderStatus, Shipment},
};

use crate::{
    AppError, Permission, Principal,
    orders::{Orders, list_cursor, vendor_scope},
    paging::page_size,
    ports::{OrderCursor, OrderFilter, OrderQuery, OrderSort},
};

/// A shipment together with the order it belongs to (its aggregate root).
#[derive(Debug, Clone)]
pub struct ShipmentView {
    pub order: Order,
    pub shipment_id: ShipmentId,
}

impl ShipmentView {
    pub fn shipment(&self) -> &Shipment {
        // The view is only ever built from an order that holds the shipment.
        self.order.shipment(self.shipment_id).expect("shipment view without its shipment")
    }
}

#[derive(Debug, Clone, Default)]
pub struct OrderListFilter {
    pub status: Option<OrderStatus>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub customer_email: Option<String>,
    pub sku: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OrderListQuery {
    pub first: Option<i64>,
    /// The cursor of the last order seen, as a previous page gave it.
    pub after: Option<String>,
    pub filter: OrderListFilter,
}

/// One page of the list, and how to name a place in it.
#[derive(Debug, Clone)]
pub struct OrderListPage {
    pub orders: Vec<Order>,
    pub has_next_page: bool,
    sort: OrderSort,
}

impl OrderListPage {
    /// The opaque cursor that continues the list after `order`.
    pub fn cursor(&self, order: &Order) -> String {
        list_cursor::encode(&OrderCursor::after(order, self.sort))
    }
}

impl Orders {
    pub async fn order(&self, p: &Principal, id: &str) -> Result<Option<Order>, AppError> {
        let authorized = self.authorize(p, Permission::OrderRead).await?;
        let Ok(id) = OrderId::parse(id) else { return Ok(None) };
        let order = self.store.order(&p.tenant_id, id).await?;
        Ok(order.and_then(|order| vendor_scope::view(authorized.vendor(), order)))
    }

    pub async fn order_by_external_ref(&self, p: &Principal, external_ref: &str) -> Result<Option<Order>, AppError> {
        let authorized = self.authorize(p, Permission::OrderRead).await?;
        // Compared as stored (NFC); a reference no order could hold finds nothing.
        let Ok(Some(external_ref)) =
            domain::identifier::optional("externalRef", Some(external_ref), domain::order::MAX_EXTERNAL_REF_LEN)
        else {
            return Ok(None);
        };
        let order = self.store.order_by_external_ref(&p.tenant_id, &external_ref).await?;
        Ok(order.and_then(|order| vendor_scope::view(authorized.vendor(), order)))
    }

    pub async fn shipment(&self, p: &Principal, id: &str) -> Result<Option<ShipmentView>, AppError> {
        let authorized = self.authorize(p, Permission::OrderRead).await?;
        let Ok(shipment_id) = ShipmentId::parse(id) else { return Ok(None) };
        let order = self.store.order_of_shipment(&p.tenant_id, shipment_id).await?;
        // A vendor sees a shipment holding any of its items (narrowed to those).
        let order = order
            .and_then(|order| vendor_scope::view(authorized.vendor(), order))
            .filter(|order| order.shipment(shipment_id).is_some());
        Ok(order.map(|order| ShipmentView { order, shipment_id }))
    }

    pub async fn orders(&self, p: &Principal, query: OrderListQuery) -> Result<OrderListPage, AppError> {
        let authorized = self.authorize(p, Permission::OrderRead).await?;
        let first = page_size(query.first)?;
        let f = query.filter;
        if let (Some(a), Some(b)) = (f.created_after, f.created_before)
            && a >= b
        {
            return Err(AppError::validation(&["filter", "createdBefore"], "createdBefore must be after createdAfter"));
        }
        let filter = OrderFilter {
            status: f.status,
            created_after: f.created_after,
            created_before: f.created_before,
            customer_email: f.customer_email.map(|e| e.trim().to_lowercase()).filter(|e| !e.is_empty()),
            sku: f.sku.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
            vendor_id: authorized.vendor().cloned(),
        };
        let sort = filter.sort();
        let after = query.after.as_deref().map(|a| list_cursor::decode(a, sort)).transpose()?;
        if first == 0 {
            return Ok(OrderListPage { orders: Vec::new(), has_next_page: false, sort });
        }
        let page = self.store.orders(&p.tenant_id, &OrderQuery { filter, first, after }).await?;
        // The store kept only orders holding the vendor's lines; each is narrowed to them.
        let orders = page.orders.into_iter().filter_map(|o| vendor_scope::view(authorized.vendor(), o)).collect();
        Ok(OrderListPage { orders, has_next_page: page.has_next_page, sort })
    }
}
