//! Translation between the Order aggregate (and the records kept beside it) and their rows: the
//! one place that knows both shapes.
//! Restoring trusts what was stored (it was validated on the way in) but still refuses rows it
//! cannot read, rather than inventing values.

use std::fmt::Display;

use application::ports::{
    AuditRecord, ConfigKind, ConfigVersion, IdempotencyRecord, OutboxEvent, StoreError, WebhookReceipt,
};
use chrono::{DateTime, Utc};
use domain::{
    Currency, Money, OrderId, ReturnId, ShipmentId, Sku, TenantId, VendorId,
    ledger::{Account, CapApplied, EntryKind, EntryMeta, JournalEntry, Posting},
    order::{
        CarrierBooking, Customer, Order, OrderLine, OrderParts, OrderStatus, Refund, Return, ReturnStatus, Review,
        ReviewDecision, Shipment, ShipmentMode, ShipmentStatus, TrackingEvent,
    },
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{
    entities::{
        audit_log, config_versions, idempotency_keys, journal_entries, journal_postings, order_lines, orders,
        outbox_events, returns, shipments, tracking_events, webhook_receipts,
    },
    keys,
};

/// The review's storage form; the domain type is deliberately free of serde attributes.
#[derive(Serialize, Deserialize)]
struct StoredReview {
    reviewer: String,
    escalated_by: String,
    comments: Option<String>,
    escalated_at: DateTime<Utc>,
    decision: Option<StoredDecision>,
}

#[derive(Serialize, Deserialize)]
struct StoredDecision {
    approved: bool,
    comments: Option<String>,
    decided_at: DateTime<Utc>,
}

pub(super) fn order_row(order: &Order) -> Result<orders::Model, StoreError> {
    let p = order.parts();
    Ok(orders::Model {
        id: p.id.to_string(),
        tenant_id: p.tenant_id.as_str().to_owned(),
        number: p.number.clone(),
        external_ref: p.external_ref.clone(),
        customer_id: p.customer.customer_id.clone(),
        customer_name: p.customer.name.clone(),
        customer_email: p.customer.email.clone(),
        shipping_address: p.shipping_address.as_ref().map(to_json).transpose()?,
        currency: p.currency.code().to_owned(),
        status: p.status.as_str().to_owned(),
        version: p.version,
        created_at: p.created_at,
        updated_at: p.updated_at,
        review: p.review.as_ref().map(|r| to_json(&stored_review(r))).transpose()?,
        cancellation_reason: p.cancellation_reason.clone(),
    })
}

pub(super) fn line_rows(order: &Order) -> Result<Vec<order_lines::Model>, StoreError> {
    let (tenant_id, order_id) = (order.tenant_id().as_str(), order.id().to_string());
    order
        .lines()
        .iter()
        .enumerate()
        .map(|(i, line)| {
            Ok(order_lines::Model {
                tenant_id: tenant_id.to_owned(),
                order_id: order_id.clone(),
                position: position(i)?,
                sku: line.sku.as_str().to_owned(),
                vendor_id: line.vendor_id.as_str().to_owned(),
                name: line.name.clone(),
                quantity: i64::from(line.quantity),
                unit_price_minor: line.unit_price.minor(),
                weight_kg: line.weight_kg,
            })
        })
        .collect()
}

pub(super) fn shipment_row(order: &Order, index: usize, s: &Shipment) -> Result<shipments::Model, StoreError> {
    Ok(shipments::Model {
        id: s.id.to_string(),
        tenant_id: order.tenant_id().as_str().to_owned(),
        order_id: order.id().to_string(),
        position: position(index)?,
        status: s.status.as_str().to_owned(),
        mode: s.mode.as_str().to_owned(),
        provider: s.provider.clone(),
        carrier: keys::carrier_key(s.carrier()),
        items: to_json(&s.items)?,
        address: s.address.as_ref().map(to_json).transpose()?,
        package: s.package.as_ref().map(to_json).transpose()?,
        pickup: s.pickup.as_ref().map(to_json).transpose()?,
        tracking_reference: s.tracking_reference.clone(),
        label_url: s.label_url.clone(),
        cost_minor: s.cost.map(|m| m.minor()),
        cost_currency: s.cost.map(|m| m.currency().code().to_owned()),
        booking_carrier: s.booking.as_ref().map(|b| b.carrier.clone()),
        carrier_shipment_id: s.booking.as_ref().map(|b| b.carrier_shipment_id.clone()),
        created_at: s.created_at,
        updated_at: s.updated_at,
    })
}

pub(super) fn tracking_row(
    order: &Order,
    index: usize,
    e: &TrackingEvent,
) -> Result<tracking_events::Model, StoreError> {
    Ok(tracking_events::Model {
        id: e.id.to_string(),
        tenant_id: order.tenant_id().as_str().to_owned(),
        order_id: order.id().to_string(),
        shipment_id: e.shipment_id.to_string(),
        position: position(index)?,
        carrier_status: e.carrier_status.clone(),
        status: e.status.map(|s| s.as_str().to_owned()),
        raw_reference: e.raw_reference.clone(),
        occurred_at: e.occurred_at,
        recorded_at: e.recorded_at,
    })
}

fn restore_tracking(row: tracking_events::Model) -> Result<TrackingEvent, StoreError> {
    let status = match row.status.as_deref() {
        Some(s) => Some(ShipmentStatus::parse(s).ok_or_else(|| corrupt(format!("tracking status '{s}'")))?),
        None => None,
    };
    Ok(TrackingEvent {
        id: uuid::Uuid::parse_str(&row.id).map_err(corrupt)?,
        shipment_id: ShipmentId::parse(&row.shipment_id).map_err(corrupt)?,
        carrier_status: row.carrier_status,
        status,
        occurred_at: row.occurred_at,
        raw_reference: row.raw_reference,
        recorded_at: row.recorded_at,
    })
}

/// The children of one order as loaded: rows in aggregate order, entries oldest first.
#[derive(Default)]
pub(super) struct Children {
    pub lines: Vec<order_lines::Model>,
    pub shipments: Vec<shipments::Model>,
    pub returns: Vec<returns::Model>,
    pub journal: Vec<JournalEntry>,
    pub tracking: Vec<tracking_events::Model>,
}

/// Rebuilds the aggregate from its row and its children.
pub(super) fn restore_order(row: orders::Model, children: Children) -> Result<Order, StoreError> {
    let Children { lines, shipments, returns, journal, tracking } = children;
    let currency = currency(&row.currency)?;
    let parts = OrderParts {
        id: OrderId::parse(&row.id).map_err(corrupt)?,
        tenant_id: TenantId::new(&row.tenant_id).map_err(corrupt)?,
        number: row.number,
        external_ref: row.external_ref,
        customer: Customer { customer_id: row.customer_id, name: row.customer_name, email: row.customer_email },
        shipping_address: from_json_opt(row.shipping_address.as_deref())?,
        currency,
        lines: lines.into_iter().map(|l| restore_line(l, currency)).collect::<Result<_, _>>()?,
        status: OrderStatus::parse(&row.status).ok_or_else(|| corrupt(format!("order status '{}'", row.status)))?,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        shipments: shipments.into_iter().map(restore_shipment).collect::<Result<_, _>>()?,
        review: from_json_opt::<StoredReview>(row.review.as_deref())?.map(restore_review),
        cancellation_reason: row.cancellation_reason,
        returns: returns.into_iter().map(|r| restore_return(r, currency)).collect::<Result<_, _>>()?,
        journal,
        tracking: tracking.into_iter().map(restore_tracking).collect::<Result<_, _>>()?,
    };
    let order = Order::restore(parts);
    // Refused here rather than failing later: balances are read off these entries.
    order.checked_balance().map_err(corrupt)?;
    Ok(order)
}

fn restore_line(row: order_lines::Model, currency: Currency) -> Result<OrderLine, StoreError> {
    Ok(OrderLine {
        sku: Sku::new(&row.sku).map_err(corrupt)?,
        name: row.name,
        vendor_id: VendorId::new(&row.vendor_id).map_err(corrupt)?,
        quantity: u32::try_from(row.quantity).map_err(corrupt)?,
        unit_price: Money::from_minor(row.unit_price_minor, currency),
        weight_kg: row.weight_kg,
    })
}

pub(super) fn restore_shipment(row: shipments::Model) -> Result<Shipment, StoreError> {
    let cost = match (row.cost_minor, row.cost_currency.as_deref()) {
        (Some(minor), Some(code)) => Some(Money::from_minor(minor, currency(code)?)),
        (None, None) => None,
        _ => return Err(corrupt(format!("shipment {} has half a cost", row.id))),
    };
    let booking = match (row.booking_carrier, row.carrier_shipment_id) {
        (Some(carrier), Some(carrier_shipment_id)) => Some(CarrierBooking { carrier, carrier_shipment_id }),
        (None, None) => None,
        _ => return Err(corrupt(format!("shipment {} has half a carrier booking", row.id))),
    };
    Ok(Shipment {
        id: ShipmentId::parse(&row.id).map_err(corrupt)?,
        status: ShipmentStatus::parse(&row.status)
            .ok_or_else(|| corrupt(format!("shipment status '{}'", row.status)))?,
        items: from_json(&row.items)?,
        address: from_json_opt(row.address.as_deref())?,
        mode: ShipmentMode::parse(&row.mode).ok_or_else(|| corrupt(format!("shipment mode '{}'", row.mode)))?,
        provider: row.provider,
        package: from_json_opt(row.package.as_deref())?,
        pickup: from_json_opt(row.pickup.as_deref())?,
        tracking_reference: row.tracking_reference,
        label_url: row.label_url,
        cost,
        booking,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// The refund's storage form: amounts as integer minor units of the order's currency.
#[derive(Serialize, Deserialize)]
struct StoredRefund {
    gross_minor: i64,
    amount_minor: i64,
    restocking_fee_minor: i64,
    cap_applied: String,
    comments: Option<String>,
    entry_id: Option<uuid::Uuid>,
    processed_at: DateTime<Utc>,
}

pub(super) fn return_row(order: &Order, index: usize, r: &Return) -> Result<returns::Model, StoreError> {
    let refund = r.refund.as_ref().map(|f| StoredRefund {
        gross_minor: f.gross.minor(),
        amount_minor: f.amount.minor(),
        restocking_fee_minor: f.restocking_fee.minor(),
        cap_applied: f.cap_applied.as_str().to_owned(),
        comments: f.comments.clone(),
        entry_id: f.entry_id,
        processed_at: f.processed_at,
    });
    Ok(returns::Model {
        id: r.id.to_string(),
        tenant_id: order.tenant_id().as_str().to_owned(),
        order_id: order.id().to_string(),
        position: position(index)?,
        status: r.status.as_str().to_owned(),
        lines: to_json(&r.lines)?,
        reason: r.reason.clone(),
        decline_reason: r.decline_reason.clone(),
        refund: refund.as_ref().map(to_json).transpose()?,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

fn restore_return(row: returns::Model, currency: Currency) -> Result<Return, StoreError> {
    let refund = from_json_opt::<StoredRefund>(row.refund.as_deref())?
        .map(|f| {
            Ok::<_, StoreError>(Refund {
                gross: Money::from_minor(f.gross_minor, currency),
                amount: Money::from_minor(f.amount_minor, currency),
                restocking_fee: Money::from_minor(f.restocking_fee_minor, currency),
                cap_applied: CapApplied::parse(&f.cap_applied)
                    .ok_or_else(|| corrupt(format!("refund cap '{}'", f.cap_applied)))?,
                comments: f.comments,
                entry_id: f.entry_id,
                processed_at: f.processed_at,
            })
        })
        .transpose()?;
    Ok(Return {
        id: ReturnId::parse(&row.id).map_err(corrupt)?,
        status: ReturnStatus::parse(&row.status).ok_or_else(|| corrupt(format!("return status '{}'", row.status)))?,
        lines: from_json(&row.lines)?,
        reason: row.reason,
        decline_reason: row.decline_reason,
        refund,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

pub(super) fn entry_rows(
    tenant: &TenantId,
    entry: &JournalEntry,
) -> Result<(journal_entries::Model, Vec<journal_postings::Model>), StoreError> {
    let order_id = entry.order_id().map(|o| o.to_string());
    let row = journal_entries::Model {
        id: entry.id().to_string(),
        tenant_id: tenant.as_str().to_owned(),
        order_id: order_id.clone(),
        kind: entry.kind().as_str().to_owned(),
        idempotency_key: entry.idempotency_key().to_owned(),
        reference: entry.reference().map(str::to_owned),
        method: entry.method().map(str::to_owned),
        occurred_at: entry.occurred_at(),
    };
    let postings = entry
        .postings()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            Ok(journal_postings::Model {
                entry_id: row.id.clone(),
                position: position(i)?,
                tenant_id: row.tenant_id.clone(),
                order_id: order_id.clone(),
                account: p.account().as_string(),
                side: p.side().as_str().to_owned(),
                amount_minor: p.amount().minor(),
                currency: p.amount().currency().code().to_owned(),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((row, postings))
}

/// One posting with its entry's columns, as the journal loads read them.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub(super) struct PostingWithEntry {
    pub entry_id: String,
    pub account: String,
    pub side: String,
    pub amount_minor: i64,
    pub currency: String,
    pub order_id: Option<String>,
    pub kind: String,
    pub idempotency_key: String,
    pub reference: Option<String>,
    pub method: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// Rebuilds entries from postings sorted by (entry id, position). Each entry is checked again by
/// `JournalEntry::new`, so a damaged row is refused rather than unbalancing the books.
pub(super) fn restore_entries(rows: Vec<PostingWithEntry>) -> Result<Vec<JournalEntry>, StoreError> {
    let mut entries = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while let Some(first) = rows.next() {
        let mut postings = vec![restore_posting(&first)?];
        while let Some(next) = rows.next_if(|r| r.entry_id == first.entry_id) {
            postings.push(restore_posting(&next)?);
        }
        let meta = EntryMeta::new(
            uuid::Uuid::parse_str(&first.entry_id).map_err(corrupt)?,
            first.idempotency_key,
            first.occurred_at,
        )
        .with_details(first.reference, first.method);
        let kind = EntryKind::parse(&first.kind).ok_or_else(|| corrupt(format!("entry kind '{}'", first.kind)))?;
        let order_id = first.order_id.as_deref().map(OrderId::parse).transpose().map_err(corrupt)?;
        entries.push(JournalEntry::new(meta, kind, order_id, postings).map_err(corrupt)?);
    }
    Ok(entries)
}

fn restore_posting(row: &PostingWithEntry) -> Result<Posting, StoreError> {
    let account = Account::parse(&row.account).map_err(corrupt)?;
    let amount = Money::from_minor(row.amount_minor, currency(&row.currency)?);
    match row.side.as_str() {
        "DEBIT" => Ok(Posting::debit(account, amount)),
        "CREDIT" => Ok(Posting::credit(account, amount)),
        other => Err(corrupt(format!("posting side '{other}'"))),
    }
}

pub(super) fn idempotency_row(tenant: &TenantId, r: &IdempotencyRecord) -> idempotency_keys::Model {
    idempotency_keys::Model {
        tenant_id: tenant.as_str().to_owned(),
        key: r.key.clone(),
        operation: r.operation.clone(),
        fingerprint: r.fingerprint.clone(),
        resource_id: r.resource_id.clone(),
        created_at: r.created_at,
    }
}

pub(super) fn restore_idempotency(row: idempotency_keys::Model) -> IdempotencyRecord {
    IdempotencyRecord {
        key: row.key,
        operation: row.operation,
        fingerprint: row.fingerprint,
        resource_id: row.resource_id,
        created_at: row.created_at,
    }
}

pub(super) fn outbox_row(e: &OutboxEvent) -> Result<outbox_events::Model, StoreError> {
    Ok(outbox_events::Model {
        id: e.id.to_string(),
        tenant_id: e.tenant_id.as_str().to_owned(),
        event_type: e.event_type.clone(),
        aggregate_id: e.aggregate_id.clone(),
        aggregate_version: e.aggregate_version,
        occurred_at: e.occurred_at,
        payload: to_json(&e.payload)?,
        published_at: None,
    })
}

/// The platform's own audit trail (provider operations on no single tenant) is stored under the
/// empty tenant id, which no `TenantId` can be.
pub(super) const PLATFORM_AUDIT_SCOPE: &str = "";

pub(super) fn audit_scope(tenant: Option<&TenantId>) -> &str {
    tenant.map_or(PLATFORM_AUDIT_SCOPE, TenantId::as_str)
}

pub(super) fn audit_row(r: &AuditRecord) -> Result<audit_log::Model, StoreError> {
    Ok(audit_log::Model {
        id: r.id.to_string(),
        tenant_id: audit_scope(r.tenant_id.as_ref()).to_owned(),
        actor: r.actor.clone(),
        action: r.action.clone(),
        order_id: r.order_id.clone(),
        target_ids: to_json(&r.target_ids)?,
        input: to_json(&r.input)?,
        outcome: r.outcome.clone(),
        request_id: r.request_id.clone(),
        occurred_at: r.occurred_at,
    })
}

pub(super) fn restore_audit(row: audit_log::Model) -> Result<AuditRecord, StoreError> {
    Ok(AuditRecord {
        id: uuid::Uuid::parse_str(&row.id).map_err(corrupt)?,
        tenant_id: match row.tenant_id.as_str() {
            PLATFORM_AUDIT_SCOPE => None,
            id => Some(TenantId::new(id).map_err(corrupt)?),
        },
        actor: row.actor,
        action: row.action,
        order_id: row.order_id,
        target_ids: from_json(&row.target_ids)?,
        input: from_json(&row.input)?,
        outcome: row.outcome,
        request_id: row.request_id,
        occurred_at: row.occurred_at,
    })
}

pub(super) fn config_row(v: &ConfigVersion) -> Result<config_versions::Model, StoreError> {
    Ok(config_versions::Model {
        kind: v.kind.as_str().to_owned(),
        key: v.key.clone(),
        version: v.version,
        document: to_json(&v.document)?,
        changed_by: v.changed_by.clone(),
        changed_at: v.changed_at,
        summary: v.summary.clone(),
        revision: v.revision,
    })
}

pub(super) fn restore_config(row: config_versions::Model) -> Result<ConfigVersion, StoreError> {
    Ok(ConfigVersion {
        kind: ConfigKind::parse(&row.kind).ok_or_else(|| corrupt(format!("unknown config kind '{}'", row.kind)))?,
        key: row.key,
        version: row.version,
        document: from_json(&row.document)?,
        changed_by: row.changed_by,
        changed_at: row.changed_at,
        summary: row.summary,
        revision: row.revision,
    })
}

fn stored_review(r: &Review) -> StoredReview {
    StoredReview {
        reviewer: r.reviewer.clone(),
        escalated_by: r.escalated_by.clone(),
        comments: r.comments.clone(),
        escalated_at: r.escalated_at,
        decision: r.decision.as_ref().map(|d| StoredDecision {
            approved: d.approved,
            comments: d.comments.clone(),
            decided_at: d.decided_at,
        }),
    }
}

fn restore_review(r: StoredReview) -> Review {
    Review {
        reviewer: r.reviewer,
        escalated_by: r.escalated_by,
        comments: r.comments,
        escalated_at: r.escalated_at,
        decision: r.decision.map(|d| ReviewDecision {
            approved: d.approved,
            comments: d.comments,
            decided_at: d.decided_at,
        }),
    }
}

fn position(index: usize) -> Result<i32, StoreError> {
    i32::try_from(index).map_err(|_| StoreError::Internal(format!("position {index} does not fit a row")))
}

fn currency(code: &str) -> Result<Currency, StoreError> {
    Currency::new(code).map_err(corrupt)
}

fn to_json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Internal(format!("cannot encode a JSON column: {e}")))
}

fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(corrupt)
}

fn from_json_opt<T: DeserializeOwned>(text: Option<&str>) -> Result<Option<T>, StoreError> {
    text.map(from_json).transpose()
}

pub(super) fn corrupt(why: impl Display) -> StoreError {
    StoreError::Internal(format!("stored data is unreadable: {why}"))
}

pub(super) fn receipt_row(tenant: &TenantId, r: &WebhookReceipt) -> webhook_receipts::Model {
    webhook_receipts::Model {
        tenant_id: tenant.as_str().to_owned(),
        route: r.route.clone(),
        delivery_key: r.delivery_key.clone(),
        resource_id: r.resource_id.clone(),
        received_at_us: r.received_at.timestamp_micros(),
        expires_at_us: r.remembered_until.timestamp_micros(),
    }
}

pub(super) fn restore_receipt(row: webhook_receipts::Model) -> WebhookReceipt {
    let at = |us: i64| DateTime::<Utc>::from_timestamp_micros(us).unwrap_or_default();
    WebhookReceipt {
        route: row.route,
        delivery_key: row.delivery_key,
        resource_id: row.resource_id,
        received_at: at(row.received_at_us),
        remembered_until: at(row.expires_at_us),
    }
}
