//! Reading whole aggregates: the order rows first, then all their children in one more query
//! (`children`), so an order or a page costs two queries whatever its size.

use application::ports::StoreError;
use domain::{OrderId, ReturnId, ShipmentId, TenantId, ledger::JournalEntry, order::Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QueryResult, QuerySelect, QueryTrait, Select, Statement,
    sea_query::{Expr, Query},
};

use super::{
    children, deferred,
    entities::{journal_entries, journal_postings, orders, returns, shipments},
    errors::store_error,
    mapping::{self, PostingWithEntry},
};

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

/// One statement: the order whose return this is, found through the tenant's own returns.
pub(super) fn by_return(tenant: &TenantId, id: ReturnId) -> Select<orders::Entity> {
    let owner = Query::select()
        .column(returns::Column::OrderId)
        .from(returns::Entity)
        .and_where(returns::Column::TenantId.eq(tenant.as_str()))
        .and_where(returns::Column::Id.eq(id.to_string()))
        .to_owned();
    orders::Entity::find()
        .filter(orders::Column::TenantId.eq(tenant.as_str()))
        .filter(orders::Column::Id.in_subquery(owner))
}

/// The order `select` finds, whole. Its row is read first, under whatever lock `select` takes
/// (`FOR UPDATE` on PostgreSQL for the writes), then its children with one more query.
pub(super) async fn one<C: ConnectionTrait>(
    conn: &C,
    select: Select<orders::Entity>,
) -> Result<Option<Order>, StoreError> {
    let Some(row) = select.one(conn).await.map_err(store_error)? else {
        return Ok(None);
    };
    Ok(whole(conn, vec![row]).await?.pop())
}

/// Completes order rows with their lines, shipments, returns and journal entries, keeping the
/// rows' order: one query (`children`) for the whole page, whatever its size.
pub(super) async fn whole<C: ConnectionTrait>(conn: &C, rows: Vec<orders::Model>) -> Result<Vec<Order>, StoreError> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let tenant = first.tenant_id.clone();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut children = children::load(conn, &tenant, &ids).await?;
    rows.into_iter()
        .map(|row| {
            let own = children.remove(&row.id).unwrap_or_default();
            mapping::restore_order(row, own)
        })
        .collect()
}

/// Postings joined with their entries: one query, whatever the filter selects.
fn postings_with_entries(tenant: &str) -> Select<journal_postings::Entity> {
    use journal_entries::Column as E;
    use journal_postings::Column as P;
    journal_postings::Entity::find()
        .select_only()
        .columns([P::EntryId, P::Account, P::Side, P::AmountMinor, P::Currency])
        .columns([E::OrderId, E::Kind, E::IdempotencyKey, E::Reference, E::Method, E::OccurredAt])
        .join(
            JoinType::InnerJoin,
            journal_postings::Entity::belongs_to(journal_entries::Entity).from(P::EntryId).to(E::Id).into(),
        )
        .filter(P::TenantId.eq(tenant))
        .filter(E::TenantId.eq(tenant))
        .order_by_asc(P::EntryId)
        .order_by_asc(P::Position)
}

/// The given entries with their postings, in id order.
pub(super) async fn entries_by_id<C: ConnectionTrait>(
    conn: &C,
    tenant: &str,
    entry_ids: &[String],
) -> Result<Vec<JournalEntry>, StoreError> {
    if entry_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = postings_with_entries(tenant)
        .filter(journal_postings::Column::EntryId.is_in(entry_ids.iter().map(String::as_str)))
        .into_model::<PostingWithEntry>()
        .all(conn)
        .await
        .map_err(store_error)?;
    mapping::restore_entries(rows)
}

/// SQLite: an order by id and its children as one compound statement, which SQLite runs in one
/// hand-off to its connection's thread: the order's row first, marked `kind = -1`, then the
/// children's rows (kinds 0 and up). [`whole_from_rows`] puts them back together.
pub(super) fn by_id_with_children(tenant: &TenantId, id: OrderId) -> Statement {
    let order = by_id(tenant, id).expr_as(Expr::val(ORDER_ROW), "kind").limit(1).build(DbBackend::Sqlite);
    let children = children::load_statement(tenant.as_str(), &[id.to_string()], DbBackend::Sqlite);
    deferred::compound([order, children])
}

/// The kind that marks the order's own row among its children's.
const ORDER_ROW: i32 = -1;

/// The order of a [`by_id_with_children`] statement's rows, if it was found.
pub(super) fn whole_from_rows(tenant: &TenantId, rows: &[QueryResult]) -> Result<Option<Order>, StoreError> {
    let (order_rows, child_rows): (Vec<&QueryResult>, Vec<&QueryResult>) =
        rows.iter().partition(|row| row.try_get::<i32>("", "kind").is_ok_and(|kind| kind == ORDER_ROW));
    let Some(order_row) = order_rows.first() else {
        return Ok(None);
    };
    let row = orders::Model::from_query_result(order_row, "").map_err(store_error)?;
    let mut children = children::from_results(tenant.as_str(), child_rows)?;
    let own = children.remove(&row.id).unwrap_or_default();
    mapping::restore_order(row, own).map(Some)
}
