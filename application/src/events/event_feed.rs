//! Events read back from the outbox (SPEC.md section 6, issue 10): an order's timeline
//! (`order:read`, like the order itself) and the tenant's pull feed (`webhook:read`), which a
//! partner that was down pages through by cursor to catch up.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use domain::OrderId;
use uuid::Uuid;

use crate::{
    AppError, Permission, Principal,
    paging::{cursor, page_size},
    ports::{Clock, EventPage, FeedQuery, OutboxReader, TenantDirectory, TimelineQuery},
    session::authorize,
};

/// Types one feed filter may name, and the length of each (as for webhook event patterns).
pub const MAX_FILTER_TYPES: usize = 50;
pub const MAX_TYPE_LEN: usize = 100;

#[derive(Debug, Clone, Default)]
pub struct TimelineListQuery {
    pub first: Option<i64>,
    /// The cursor of the last event seen: its id.
    pub after: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct FeedListQuery {
    pub first: Option<i64>,
    /// The cursor of the last event seen: its id.
    pub after: Option<String>,
    /// Exact event types (`order.created`); absent or empty means every type.
    pub types: Option<Vec<String>>,
    /// Only the events of this order.
    pub aggregate_id: Option<String>,
}

pub struct EventFeedService {
    tenants: Arc<dyn TenantDirectory>,
    outbox: Arc<dyn OutboxReader>,
    clock: Arc<dyn Clock>,
    settle: Duration,
}

impl EventFeedService {
    /// The feed holds events back for the store's own settle time (see `OutboxReader::settle`).
    pub fn new(tenants: Arc<dyn TenantDirectory>, outbox: Arc<dyn OutboxReader>, clock: Arc<dyn Clock>) -> Self {
        let settle = outbox.settle();
        Self { tenants, outbox, clock, settle }
    }

    /// Overrides the store's settle time (tests that write one thing at a time use zero).
    pub fn with_settle(mut self, settle: Duration) -> Self {
        self.settle = settle;
        self
    }

    /// The order's events, oldest first. The order itself is not looked up: its id only
    /// narrows the tenant's own events, so another tenant's order has no events here.
    pub async fn order_events(
        &self,
        p: &Principal,
        order: OrderId,
        query: TimelineListQuery,
    ) -> Result<EventPage, AppError> {
        authorize(self.tenants.as_ref(), p, Permission::OrderRead).await?;
        crate::orders::may_read_order_events(p)?;
        let first = page_size(query.first)?;
        let after = cursor(query.after.as_deref())?;
        if first == 0 {
            return Ok(EventPage { events: Vec::new(), has_next_page: false });
        }
        let query = TimelineQuery { aggregate_id: order.to_string(), first, after };
        Ok(self.outbox.timeline(&p.tenant_id, &query).await?)
    }

    /// Every event of the caller's tenant, oldest first, except the youngest few seconds' on a
    /// store that needs them to settle: a page never ends before an event that is still to
    /// commit, so following `endCursor` never skips one.
    pub async fn feed(&self, p: &Principal, query: FeedListQuery) -> Result<EventPage, AppError> {
        authorize(self.tenants.as_ref(), p, Permission::WebhookRead).await?;
        let first = page_size(query.first)?;
        let after = cursor(query.after.as_deref())?;
        let types = event_types(query.types.unwrap_or_default())?;
        let aggregate_id = query
            .aggregate_id
            .map(|id| {
                OrderId::parse(&id)
                    .map(|id| id.to_string())
                    .map_err(|_| AppError::validation(&["filter", "aggregateId"], "aggregateId is not an order id"))
            })
            .transpose()?;
        if first == 0 {
            return Ok(EventPage { events: Vec::new(), has_next_page: false });
        }
        let before = horizon(self.clock.now(), self.settle);
        let query = FeedQuery { first, after, types, aggregate_id, before };
        Ok(self.outbox.feed(&p.tenant_id, &query).await?)
    }
}

fn event_types(types: Vec<String>) -> Result<Vec<String>, AppError> {
    if types.len() > MAX_FILTER_TYPES {
        return Err(AppError::validation(
            &["filter", "types"],
            format!("at most {MAX_FILTER_TYPES} event types may be named"),
        ));
    }
    for (i, t) in types.iter().enumerate() {
        if t.is_empty() || t.chars().count() > MAX_TYPE_LEN {
            let index = i.to_string();
            return Err(AppError::validation(
                &["filter", "types", &index],
                format!("an event type has 1 to {MAX_TYPE_LEN} characters"),
            ));
        }
    }
    Ok(types)
}

/// The smallest UUIDv7 of the millisecond `settle` before `now`: every event id below it was
/// drawn at least `settle` ago. None when nothing needs to settle.
pub(crate) fn horizon(now: DateTime<Utc>, settle: Duration) -> Option<Uuid> {
    if settle.is_zero() {
        return None;
    }
    let settle = chrono::Duration::from_std(settle).unwrap_or(chrono::Duration::MAX);
    let cutoff = now.checked_sub_signed(settle).map_or(0, |t| t.timestamp_millis());
    let millis = u64::try_from(cutoff).unwrap_or(0);
    Some(uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid())
}
