//! Reading whole aggregates: the order rows first, then each child table once for all of them
//! (`order_id IN (...)`), so a page costs three queries whatever its size.

use std::collections::HashMap;

use application::ports::{OrderQuery, StoreError};
use domain::{OrderId, ReturnId, ShipmentId, TenantId, ledger::JournalEntry, order::Order};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
    sea_query::Query,
};

use super::{
    entities::{journal_entries, journal_postings, order_lines, orders, returns, shipments},
    errors::store_error,
    mapping::{self, Children, PostingWithEntry},
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

/// Completes order rows with their lines, shipments, returns and journal entries, keeping the
/// rows' order: one query per child table for the whole page, whatever its size.
pub(super) async fn whole<C: ConnectionTrait>(conn: &C, rows: Vec<orders::Model>) -> Result<Vec<Order>, StoreError> {
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let tenant = first.tenant_id.clone();
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();

    // A single id keeps the statement text fixed, so its prepared form is reused.
    let mut lines = order_lines::Entity::find().filter(order_lines::Column::TenantId.eq(tenant.as_str()));
    let mut ships = shipments::Entity::find().filter(shipments::Column::TenantId.eq(tenant.as_str()));
    let mut rets = returns::Entity::find().filter(returns::Column::TenantId.eq(tenant.as_str()));
    if let [id] = ids.as_slice() {
        lines = lines.filter(order_lines::Column::OrderId.eq(id.as_str()));
        ships = ships.filter(shipments::Column::OrderId.eq(id.as_str()));
        rets = rets.filter(returns::Column::OrderId.eq(id.as_str()));
    } else {
        lines = lines.filter(order_lines::Column::OrderId.is_in(ids.iter().map(String::as_str)));
        ships = ships.filter(shipments::Column::OrderId.is_in(ids.iter().map(String::as_str)));
        rets = rets.filter(returns::Column::OrderId.is_in(ids.iter().map(String::as_str)));
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
    let rets = rets
        .order_by_asc(returns::Column::OrderId)
        .order_by_asc(returns::Column::Position)
        .all(conn)
        .await
        .map_err(store_error)?;
    let journal = journals_of(conn, &tenant, &ids).await?;

    let mut lines_of = group(lines, |l| l.order_id.clone());
    let mut ships_of = group(ships, |s| s.order_id.clone());
    let mut rets_of = group(rets, |r| r.order_id.clone());
    let mut journal_of = group(journal, |e| e.order_id().map(|o| o.to_string()).unwrap_or_default());
    rows.into_iter()
        .map(|row| {
            let children = Children {
                lines: lines_of.remove(&row.id).unwrap_or_default(),
                shipments: ships_of.remove(&row.id).unwrap_or_default(),
                returns: rets_of.remove(&row.id).unwrap_or_default(),
                journal: journal_of.remove(&row.id).unwrap_or_default(),
            };
            mapping::restore_order(row, children)
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

/// The journal entries of the given orders, oldest first (entry ids are UUIDv7).
async fn journals_of<C: ConnectionTrait>(
    conn: &C,
    tenant: &str,
    order_ids: &[String],
) -> Result<Vec<JournalEntry>, StoreError> {
    let select = postings_with_entries(tenant);
    let select = match order_ids {
        [id] => select.filter(journal_postings::Column::OrderId.eq(id.as_str())),
        ids => select.filter(journal_postings::Column::OrderId.is_in(ids.iter().map(String::as_str))),
    };
    let rows = select.into_model::<PostingWithEntry>().all(conn).await.map_err(store_error)?;
    mapping::restore_entries(rows)
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

fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> String) -> HashMap<String, Vec<T>> {
    let mut groups: HashMap<String, Vec<T>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}
