//! Reading whole aggregates: the order rows first, then each child table once for all of them
//! (`order_id IN (...)`), so a page costs three queries whatever its size.

use std::collections::HashMap;

use application::ports::{OrderQuery, StoreError};
use domain::{OrderId, ShipmentId, TenantId, order::Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    sea_query::Query,
};

use super::{
    entities::{order_lines, orders, shipments},
    errors::store_error,
    mapping,
};

/// Largest page served; a bigger `first` gets this many with `has_next_page` set.
pub(super) const MAX_PAGE: u64 = 500;

pub(super) fn by_id(tenant: &TenantId, id: OrderId) -> Select<orders::Entity> {
    orders::Entity::find()
        .filter(orders::Column::TenantId.eq(tenant.as_str()))
        .filter(orders::Column::Id.eq(id.to_string()))
}

pub(super) fn by_external_ref(tenant: &TenantId, external_ref: &str) -> Select<orders::Entity> {
    orders::Entity::find()
        .filter(orders::Column::TenantId.eq(tenant.as_str()))
        .filter(orders::Column::ExternalRef.eq(external_ref))
}

/// One statement: the order whose shipment this is, found through the tenant's own shipments.
pub(super) fn by_shipment(tenant: &TenantId, id: ShipmentId) -> Select<orders::Entity> {
    let owner = Query::select()
        .column(shipments::Column::OrderId)
        .from(shipments::Entity)
        .and_where(shipments::Column::TenantId.eq(tenant.as_str()))
        .and_where(shipments::Column::Id.eq(id.to_string()))
        .to_owned();
    orders::Entity::find()
        .filter(orders::Column::TenantId.eq(tenant.as_str()))
        .filter(orders::Column::Id.in_subquery(owner))
}

/// Newest first: ids are UUIDv7, so descending id order is descending creation order and
/// `after` is a stable keyset cursor. `created_after` is inclusive, `created_before` exclusive.
pub(super) fn page(tenant: &TenantId, query: &OrderQuery) -> Select<orders::Entity> {
    let f = &query.filter;
    let limit = query.first.min(MAX_PAGE) + 1;
    orders::Entity::find()
        .filter(orders::Column::TenantId.eq(tenant.as_str()))
        .apply_if(f.status, |q, s| q.filter(orders::Column::Status.eq(s.as_str())))
        .apply_if(f.created_after, |q, t| q.filter(orders::Column::CreatedAt.gte(t)))
        .apply_if(f.created_before, |q, t| q.filter(orders::Column::CreatedAt.lt(t)))
        .apply_if(f.customer_email.as_deref(), |q, e| q.filter(orders::Column::CustomerEmail.eq(e.to_lowercase())))
        .apply_if(f.sku.as_deref(), |q, sku| {
            let with_sku = Query::select()
                .column(order_lines::Column::OrderId)
                .from(order_lines::Entity)
                .and_where(order_lines::Column::TenantId.eq(tenant.as_str()))
                .and_where(order_lines::Column::Sku.eq(sku))
                .to_owned();
            q.filter(orders::Column::Id.in_subquery(with_sku))
        })
        .apply_if(query.after, |q, after| q.filter(orders::Column::Id.lt(after.to_string())))
        .order_by_desc(orders::Column::Id)
        .limit(limit)
}

pub(super) async fn one<C: ConnectionTrait>(
    conn: &C,
    select: Select<orders::Entity>,
) -> Result<Option<Order>, StoreError> {
    let Some(row) = select.one(conn).await.map_err(store_error)? else {
        return Ok(None);
    };
    Ok(whole(conn, vec![row]).await?.pop())
}

/// Completes order rows with their lines and shipments, keeping the rows' order.
pub(super) async fn whole<C: ConnectionTrait>(conn: &C, rows: Vec<orders::Model>) -> Result<Vec<Order>, StoreError> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let tenant = first.tenant_id.clone();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();

    // A single id keeps the statement text fixed, so its prepared form is reused.
    let mut lines = order_lines::Entity::find().filter(order_lines::Column::TenantId.eq(tenant.as_str()));
    let mut ships = shipments::Entity::find().filter(shipments::Column::TenantId.eq(tenant.as_str()));
    if let [id] = ids.as_slice() {
        lines = lines.filter(order_lines::Column::OrderId.eq(id.as_str()));
        ships = ships.filter(shipments::Column::OrderId.eq(id.as_str()));
    } else {
        lines = lines.filter(order_lines::Column::OrderId.is_in(ids.iter().map(String::as_str)));
        ships = ships.filter(shipments::Column::OrderId.is_in(ids.iter().map(String::as_str)));
    }
    let lines = lines
        .order_by_asc(order_lines::Column::OrderId)
        .order_by_asc(order_lines::Column::Position)
        .all(conn)
        .await
        .map_err(store_error)?;
    let ships = ships
        .order_by_asc(shipments::Column::OrderId)
        .order_by_asc(shipments::Column::Position)
        .all(conn)
        .await
        .map_err(store_error)?;

    let mut lines_of = group(lines, |l| l.order_id.clone());
    let mut ships_of = group(ships, |s| s.order_id.clone());
    rows.into_iter()
        .map(|row| {
            let lines = lines_of.remove(&row.id).unwrap_or_default();
            let ships = ships_of.remove(&row.id).unwrap_or_default();
            mapping::restore_order(row, lines, ships)
        })
        .collect()
}

/// The stored shipments of one order, in aggregate order.
pub(super) async fn shipments_of<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    order: OrderId,
) -> Result<Vec<domain::order::Shipment>, StoreError> {
    shipments::Entity::find()
        .filter(shipments::Column::TenantId.eq(tenant.as_str()))
        .filter(shipments::Column::OrderId.eq(order.to_string()))
        .order_by_asc(shipments::Column::Position)
        .all(conn)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(mapping::restore_shipment)
        .collect()
}

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> String) -> HashMap<String, Vec<T>> {
    let mut groups: HashMap<String, Vec<T>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}
