//! The order rows of one page of `orders(...)`, newest first in the filter's sort
//! (`OrderFilter::sort`), each sort served by an index that ends in its keys:
//!
//! - by id: `ux_orders_tenant_id (tenant_id, id)`, or with a status or e-mail filter
//!   `ix_orders_tenant_status_id` / `ix_orders_tenant_email_id`, read backwards from the cursor;
//! - by (created_at, id), the sort of any filter with a created range:
//!   `ix_orders_tenant_created_id (tenant_id, created_at, id)`, read backwards from the window's
//!   end (or the cursor) down to its start, so a window months back costs what the newest does.
//!
//! Ordering a window by id instead made PostgreSQL walk the primary key from the newest order
//! down to the window, and SQLite sort the whole window, both for every page.

use application::ports::{OrderCursor, OrderFilter, OrderQuery, OrderSort, StoreError};
use domain::{TenantId, VendorId};
use sea_orm::{
    ColumnTrait, DbBackend, EntityTrait, JoinType, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    sea_query::{Alias, Expr, Query},
};

use super::entities::{order_lines, orders};

/// Largest page served; a bigger `first` gets this many with `has_next_page` set.
pub(super) const MAX_PAGE: u64 = 500;

/// One row more than the page holds, whose presence says another page follows.
/// `created_after` is inclusive, `created_before` exclusive.
pub(super) fn page(
    tenant: &TenantId,
    query: &OrderQuery,
    backend: DbBackend,
) -> Result<Select<orders::Entity>, StoreError> {
    use orders::Column as O;
    let f = &query.filter;
    let sort = f.sort();
    if query.after.is_some_and(|after| after.sort() != sort) {
        return Err(StoreError::Internal("a cursor of another sort reached the store".to_owned()));
    }
    // A window's page has two upper bounds, `created_before` and the cursor. Only the tighter is
    // written: SQLite reads the index from just one of them, and given both it may pick the
    // window's end, then step over every order of the earlier pages.
    let (before, after) = match query.after {
        Some(OrderCursor::Created { created_at, .. }) if f.created_before.is_some_and(|b| b <= created_at) => {
            (f.created_before, None)
        }
        Some(OrderCursor::Created { .. }) => (None, query.after),
        _ => (f.created_before, query.after),
    };
    let select = orders::Entity::find()
        .filter(O::TenantId.eq(tenant.as_str()))
        .apply_if(f.status, |q, s| q.filter(O::Status.eq(s.as_str())))
        .apply_if(f.created_after, |q, t| q.filter(O::CreatedAt.gte(t)))
        .apply_if(before, |q, t| q.filter(O::CreatedAt.lt(t)))
        .apply_if(f.customer_email.as_deref(), |q, e| q.filter(O::CustomerEmail.eq(e.to_lowercase())))
        .apply_if(LineFilter::of(f), |q, line| with_line(q, tenant, line, after.as_ref(), backend))
        .apply_if(after, |q, after| match after {
            OrderCursor::Id(id) => q.filter(O::Id.lt(id.to_string())),
            // A row value: both databases read it as a bound of the index range.
            OrderCursor::Created { created_at, id } => {
                let key = Expr::tuple([O::CreatedAt.into_expr(), O::Id.into_expr()]);
                let cursor = Expr::tuple([Expr::value(created_at), Expr::value(id.to_string())]);
                q.filter(sea_orm::ExprTrait::lt(key, cursor))
            }
        });
    let select = match sort {
        OrderSort::Id => select.order_by_desc(O::Id),
        OrderSort::Created => select.order_by_desc(O::CreatedAt).order_by_desc(O::Id),
    };
    Ok(select.limit(query.first.min(MAX_PAGE) + 1))
}

/// Orders having a line of `sku` and/or of `vendor`, found through `ix_order_lines_tenant_sku
/// (tenant_id, sku, order_id)` or, for a vendor alone, `ix_order_lines_tenant_vendor (tenant_id,
/// vendor_id, order_id)`. SQLite reads `id IN (SELECT order_id ...)` newest first itself,
/// stopping at the page's end. PostgreSQL hashes that list and fetches every order in it before
/// sorting, so a page of a SKU held by 100,000 orders would read 100,000 rows; joined instead to
/// the distinct order ids in descending order, it walks the index newest first and stops with
/// the page. (SQLite would materialise and sort that joined form: each its own.)
fn with_line(
    select: Select<orders::Entity>,
    tenant: &TenantId,
    line: LineFilter<'_>,
    after: Option<&OrderCursor>,
    backend: DbBackend,
) -> Select<orders::Entity> {
    use order_lines::Column as L;
    let mut ids = Query::select();
    ids.column(L::OrderId).from(order_lines::Entity).and_where(L::TenantId.eq(tenant.as_str()));
    if let Some(sku) = line.sku {
        ids.and_where(L::Sku.eq(sku));
    }
    if let Some(vendor) = line.vendor {
        ids.and_where(L::VendorId.eq(vendor.as_str()));
    }
    if backend != DbBackend::Postgres {
        return select.filter(orders::Column::Id.in_subquery(ids));
    }
    // The cursor by id bounds the walk itself: PostgreSQL carries equalities across a join, not
    // inequalities.
    if let Some(OrderCursor::Id(id)) = after {
        ids.and_where(L::OrderId.lt(id.to_string()));
    }
    ids.distinct().order_by(L::OrderId, Order::Desc);
    let mut select = select;
    let matched = Alias::new("with_line");
    QueryTrait::query(&mut select).join_subquery(
        JoinType::InnerJoin,
        ids,
        matched.clone(),
        sea_orm::ExprTrait::equals(Expr::col((orders::Entity, orders::Column::Id)), (matched, L::OrderId)),
    );
    select
}

/// Which lines an order must hold to be listed.
#[derive(Clone, Copy)]
struct LineFilter<'a> {
    sku: Option<&'a str>,
    vendor: Option<&'a VendorId>,
}

impl<'a> LineFilter<'a> {
    fn of(filter: &'a OrderFilter) -> Option<Self> {
        let line = LineFilter { sku: filter.sku.as_deref(), vendor: filter.vendor_id.as_ref() };
        (line.sku.is_some() || line.vendor.is_some()).then_some(line)
    }
}
