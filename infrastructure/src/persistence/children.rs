//! The children of some orders of one tenant — lines, shipments, returns, the postings of
//! their journal entries and their shipments' tracking events — in one statement: each table's rows put in one shared row shape and
//! joined by UNION ALL. An order then costs two queries (its row, then this), and so does a page.
//!
//! The shape has a few typed slots of each kind (text, integer, real, time); `Member` below says
//! which column of which table goes in which slot, and `restore` reads them back the same way.
//! Every value is a column read as such: the database builds no JSON for this to parse.
//! Both backends run the same text; slots a table does not use are NULLs cast to the slot's type,
//! because PostgreSQL gives each column of a UNION one type, taken from its members.

use std::collections::HashMap;

use application::ports::StoreError;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, FromQueryResult, QueryResult, Statement,
    sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType},
};

use super::{
    entities::{journal_entries, journal_postings, order_lines, returns, shipments, tracking_events},
    errors::store_error,
    mapping::{self, Children, PostingWithEntry},
};

/// Text slots: as many as the widest table (shipments) needs.
const TEXTS: usize = 14;
const INTS: usize = 2;
const TIMES: usize = 2;

/// Which table a row comes from, in the row's first column.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Line = 0,
    Shipment = 1,
    Return = 2,
    Posting = 3,
    Tracking = 4,
}

impl Kind {
    fn of(value: i32) -> Result<Kind, StoreError> {
        match value {
            0 => Ok(Kind::Line),
            1 => Ok(Kind::Shipment),
            2 => Ok(Kind::Return),
            3 => Ok(Kind::Posting),
            4 => Ok(Kind::Tracking),
            other => Err(mapping::corrupt(format!("child row of kind {other}"))),
        }
    }
}

/// One table's rows in the shared shape: the columns it puts in each slot, in slot order.
struct Member {
    kind: Kind,
    order_id: Expr,
    position: Expr,
    texts: Vec<Expr>,
    ints: Vec<Expr>,
    real: Option<Expr>,
    times: Vec<Expr>,
}

impl Member {
    fn select(self) -> SelectStatement {
        debug_assert!(self.texts.len() <= TEXTS && self.ints.len() <= INTS && self.times.len() <= TIMES);
        let mut select = Query::select();
        select
            .expr_as(Expr::cust((self.kind as i32).to_string()), Alias::new("kind"))
            .expr_as(self.order_id, Alias::new("order_id"))
            .expr_as(self.position, Alias::new("position"));
        let slots = |select: &mut SelectStatement, values: Vec<Expr>, count: usize, name: &str, null: &'static str| {
            let mut values = values.into_iter();
            for i in 0..count {
                let value = values.next().unwrap_or_else(|| Expr::cust(null));
                select.expr_as(value, Alias::new(format!("{name}{i}")));
            }
        };
        slots(&mut select, self.texts, TEXTS, "text", "CAST(NULL AS TEXT)");
        slots(&mut select, self.ints, INTS, "int", "CAST(NULL AS BIGINT)");
        slots(&mut select, self.real.into_iter().collect(), 1, "real", "CAST(NULL AS DOUBLE PRECISION)");
        slots(&mut select, self.times, TIMES, "time", "CAST(NULL AS TIMESTAMPTZ)");
        select
    }
}

/// A row of the shared shape; the slots are named as `Member::select` names them.
#[derive(FromQueryResult)]
struct Row {
    kind: i32,
    order_id: Option<String>,
    position: i32,
    text0: Option<String>,
    text1: Option<String>,
    text2: Option<String>,
    text3: Option<String>,
    text4: Option<String>,
    text5: Option<String>,
    text6: Option<String>,
    text7: Option<String>,
    text8: Option<String>,
    text9: Option<String>,
    text10: Option<String>,
    text11: Option<String>,
    text12: Option<String>,
    text13: Option<String>,
    int0: Option<i64>,
    int1: Option<i64>,
    real0: Option<f64>,
    time0: Option<DateTime<Utc>>,
    time1: Option<DateTime<Utc>>,
}

fn col<C: ColumnTrait>(column: C) -> Expr {
    column.into_expr()
}

/// `column = id` for one order (a fixed text, so its prepared form is reused), else `IN`.
fn of_orders<C: ColumnTrait>(column: C, ids: &[String]) -> Expr {
    match ids {
        [id] => column.eq(id.as_str()),
        ids => column.is_in(ids.iter().map(String::as_str)),
    }
}

fn statement(tenant: &str, ids: &[String]) -> SelectStatement {
    use journal_entries::Column as E;
    use journal_postings::Column as P;
    use order_lines::Column as L;
    use returns::Column as R;
    use shipments::Column as S;
    use tracking_events::Column as T;

    let mut lines = Member {
        kind: Kind::Line,
        order_id: col(L::OrderId),
        position: col(L::Position),
        texts: vec![col(L::Sku), col(L::VendorId), col(L::Name)],
        ints: vec![col(L::Quantity), col(L::UnitPriceMinor)],
        real: Some(col(L::WeightKg)),
        times: vec![],
    }
    .select();
    lines.from(order_lines::Entity).and_where(L::TenantId.eq(tenant)).and_where(of_orders(L::OrderId, ids));

    let mut ships = Member {
        kind: Kind::Shipment,
        order_id: col(S::OrderId),
        position: col(S::Position),
        texts: vec![
            col(S::Id),
            col(S::Status),
            col(S::Mode),
            col(S::Provider),
            col(S::Carrier),
            col(S::Items),
            col(S::Address),
            col(S::Package),
            col(S::Pickup),
            col(S::TrackingReference),
            col(S::LabelUrl),
            col(S::CostCurrency),
            col(S::BookingCarrier),
            col(S::CarrierShipmentId),
        ],
        ints: vec![col(S::CostMinor)],
        real: None,
        times: vec![col(S::CreatedAt), col(S::UpdatedAt)],
    }
    .select();
    ships.from(shipments::Entity).and_where(S::TenantId.eq(tenant)).and_where(of_orders(S::OrderId, ids));

    let mut rets = Member {
        kind: Kind::Return,
        order_id: col(R::OrderId),
        position: col(R::Position),
        texts: vec![col(R::Id), col(R::Status), col(R::Lines), col(R::Reason), col(R::DeclineReason), col(R::Refund)],
        ints: vec![],
        real: None,
        times: vec![col(R::CreatedAt), col(R::UpdatedAt)],
    }
    .select();
    rets.from(returns::Entity).and_where(R::TenantId.eq(tenant)).and_where(of_orders(R::OrderId, ids));

    // The entry's own order id, as the entry holds it; the posting's copy selects the rows.
    let mut postings = Member {
        kind: Kind::Posting,
        order_id: col(E::OrderId),
        position: col(P::Position),
        texts: vec![
            col(P::EntryId),
            col(P::Account),
            col(P::Side),
            col(P::Currency),
            col(E::Kind),
            col(E::IdempotencyKey),
            col(E::Reference),
            col(E::Method),
        ],
        ints: vec![col(P::AmountMinor)],
        real: None,
        times: vec![col(E::OccurredAt)],
    }
    .select();
    postings
        .from(journal_postings::Entity)
        .inner_join(
            journal_entries::Entity,
            Expr::col((journal_postings::Entity, P::EntryId)).equals((journal_entries::Entity, E::Id)),
        )
        .and_where(P::TenantId.eq(tenant))
        .and_where(E::TenantId.eq(tenant))
        .and_where(of_orders(P::OrderId, ids));

    let mut tracking = Member {
        kind: Kind::Tracking,
        order_id: col(T::OrderId),
        position: col(T::Position),
        texts: vec![col(T::Id), col(T::ShipmentId), col(T::CarrierStatus), col(T::Status), col(T::RawReference)],
        ints: vec![],
        real: None,
        times: vec![col(T::OccurredAt), col(T::RecordedAt)],
    }
    .select();
    tracking.from(tracking_events::Entity).and_where(T::TenantId.eq(tenant)).and_where(of_orders(T::OrderId, ids));

    lines.unions([
        (UnionType::All, ships),
        (UnionType::All, rets),
        (UnionType::All, postings),
        (UnionType::All, tracking),
    ]);
    lines
}

/// The children of the given orders of `tenant`, by order id; an order with none is absent.
pub(super) async fn load<C: ConnectionTrait>(
    conn: &C,
    tenant: &str,
    order_ids: &[String],
) -> Result<HashMap<String, Children>, StoreError> {
    if order_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let results = conn.query_all(&statement(tenant, order_ids)).await.map_err(store_error)?;
    from_results(tenant, &results)
}

/// The statement `load` runs, for a caller that sends it with others.
pub(super) fn load_statement(tenant: &str, order_ids: &[String], backend: DbBackend) -> Statement {
    backend.build(&statement(tenant, order_ids))
}

/// What `load` answers, from the rows of its statement (sent alone or with others).
pub(super) fn from_results<'r>(
    tenant: &str,
    results: impl IntoIterator<Item = &'r QueryResult>,
) -> Result<HashMap<String, Children>, StoreError> {
    let results = results.into_iter();
    let mut rows = Vec::with_capacity(results.size_hint().0);
    for result in results {
        rows.push(Row::from_query_result(result, "").map_err(store_error)?);
    }
    restore(tenant, rows)
}

/// A UNION ALL promises no order: the rows are sorted here into each list's order (position;
/// postings by entry, then position, as `mapping::restore_entries` reads them), then dealt
/// out to their orders.
fn restore(tenant: &str, mut rows: Vec<Row>) -> Result<HashMap<String, Children>, StoreError> {
    let entry = |r: &Row| if r.kind == Kind::Posting as i32 { r.text0.clone() } else { None };
    rows.sort_by_cached_key(|r| (entry(r), r.position));
    let mut children: HashMap<String, Children> = HashMap::new();
    let mut postings: HashMap<String, Vec<PostingWithEntry>> = HashMap::new();
    for row in rows {
        let kind = Kind::of(row.kind)?;
        let order_id = need(row.order_id.clone(), "order id")?;
        match kind {
            Kind::Posting => postings.entry(order_id.clone()).or_default().push(posting(row, order_id)?),
            Kind::Line => children.entry(order_id.clone()).or_default().lines.push(line(row, tenant, order_id)?),
            Kind::Shipment => {
                children.entry(order_id.clone()).or_default().shipments.push(shipment(row, tenant, order_id)?)
            }
            Kind::Return => children.entry(order_id.clone()).or_default().returns.push(ret(row, tenant, order_id)?),
            Kind::Tracking => {
                children.entry(order_id.clone()).or_default().tracking.push(tracking(row, tenant, order_id)?)
            }
        }
    }
    for (order_id, rows) in postings {
        children.entry(order_id).or_default().journal = mapping::restore_entries(rows)?;
    }
    Ok(children)
}

fn need<T>(value: Option<T>, what: &str) -> Result<T, StoreError> {
    value.ok_or_else(|| mapping::corrupt(format!("a child row without its {what}")))
}

fn line(r: Row, tenant: &str, order_id: String) -> Result<order_lines::Model, StoreError> {
    Ok(order_lines::Model {
        tenant_id: tenant.to_owned(),
        order_id,
        position: r.position,
        sku: need(r.text0, "sku")?,
        vendor_id: need(r.text1, "vendor")?,
        name: need(r.text2, "name")?,
        quantity: need(r.int0, "quantity")?,
        unit_price_minor: need(r.int1, "unit price")?,
        weight_kg: r.real0,
    })
}

fn shipment(r: Row, tenant: &str, order_id: String) -> Result<shipments::Model, StoreError> {
    Ok(shipments::Model {
        id: need(r.text0, "id")?,
        tenant_id: tenant.to_owned(),
        order_id,
        position: r.position,
        status: need(r.text1, "status")?,
        mode: need(r.text2, "mode")?,
        provider: r.text3,
        carrier: need(r.text4, "carrier")?,
        items: need(r.text5, "items")?,
        address: r.text6,
        package: r.text7,
        pickup: r.text8,
        tracking_reference: r.text9,
        label_url: r.text10,
        cost_currency: r.text11,
        cost_minor: r.int0,
        booking_carrier: r.text12,
        carrier_shipment_id: r.text13,
        created_at: need(r.time0, "creation time")?,
        updated_at: need(r.time1, "update time")?,
    })
}

fn ret(r: Row, tenant: &str, order_id: String) -> Result<returns::Model, StoreError> {
    Ok(returns::Model {
        id: need(r.text0, "id")?,
        tenant_id: tenant.to_owned(),
        order_id,
        position: r.position,
        status: need(r.text1, "status")?,
        lines: need(r.text2, "lines")?,
        reason: r.text3,
        decline_reason: r.text4,
        refund: r.text5,
        created_at: need(r.time0, "creation time")?,
        updated_at: need(r.time1, "update time")?,
    })
}

fn tracking(r: Row, tenant: &str, order_id: String) -> Result<tracking_events::Model, StoreError> {
    Ok(tracking_events::Model {
        id: need(r.text0, "id")?,
        tenant_id: tenant.to_owned(),
        order_id,
        shipment_id: need(r.text1, "shipment id")?,
        position: r.position,
        carrier_status: need(r.text2, "carrier status")?,
        status: r.text3,
        raw_reference: need(r.text4, "reference")?,
        occurred_at: need(r.time0, "time")?,
        recorded_at: need(r.time1, "recording time")?,
    })
}

fn posting(r: Row, order_id: String) -> Result<PostingWithEntry, StoreError> {
    Ok(PostingWithEntry {
        entry_id: need(r.text0, "entry id")?,
        account: need(r.text1, "account")?,
        side: need(r.text2, "side")?,
        currency: need(r.text3, "currency")?,
        order_id: Some(order_id),
        kind: need(r.text4, "entry kind")?,
        idempotency_key: need(r.text5, "idempotency key")?,
        reference: r.text6,
        method: r.text7,
        amount_minor: need(r.int0, "amount")?,
        occurred_at: need(r.time0, "time")?,
    })
}
