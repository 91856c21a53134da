//! The timeline and the feed: who may read them, what reaches the store (canonical ids, the
//! settle horizon, validated filters), and refusals before any read.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use domain::{OrderId, TenantId};
use uuid::Uuid;

use super::{EventFeedService, FeedListQuery, MAX_FILTER_TYPES, TimelineListQuery, event_feed::horizon};
use crate::{
    ErrorCode, Permission, Principal,
    access::PermissionSet,
    ports::{EventPage, FeedQuery, OutboxReader, PlanLimits, StoreError, TenantSettings, TimelineQuery},
    testing::{FixedClock, StaticTenants},
};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

/// Keeps every query it is asked and answers an empty page.
#[derive(Default)]
struct Asked {
    settle: Duration,
    timelines: Mutex<Vec<(TenantId, TimelineQuery)>>,
    feeds: Mutex<Vec<(TenantId, FeedQuery)>>,
}

#[async_trait]
impl OutboxReader for Asked {
    fn settle(&self) -> Duration {
        self.settle
    }
    async fn timeline(&self, tenant: &TenantId, query: &TimelineQuery) -> Result<EventPage, StoreError> {
        self.timelines.lock().unwrap().push((tenant.clone(), query.clone()));
        Ok(EventPage { events: Vec::new(), has_next_page: false })
    }
    async fn feed(&self, tenant: &TenantId, query: &FeedQuery) -> Result<EventPage, StoreError> {
        self.feeds.lock().unwrap().push((tenant.clone(), query.clone()));
        Ok(EventPage { events: Vec::new(), has_next_page: false })
    }
}

struct World {
    feed: EventFeedService,
    asked: Arc<Asked>,
}

const NOW_MILLIS: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z, FixedClock's default.

fn world_with(plan: PermissionSet, settle: Duration) -> World {
    let tenants =
        StaticTenants::single(TenantId::new("acme").unwrap(), plan, PlanLimits::default(), TenantSettings::default());
    let asked = Arc::new(Asked { settle, ..Asked::default() });
    let feed = EventFeedService::new(Arc::new(tenants), asked.clone(), Arc::new(FixedClock::default()));
    World { feed, asked }
}

fn world() -> World {
    world_with(Permission::ALL.into_iter().collect(), Duration::ZERO)
}

fn caller(roles: &[&str]) -> Principal {
    Principal {
        tenant_id: TenantId::new("acme").unwrap(),
        subject: "alice".to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        vendor_id: None,
        request_id: None,
    }
}

fn admin() -> Principal {
    caller(&["tenant_admin"])
}

fn code<T: std::fmt::Debug>(result: Result<T, crate::AppError>) -> ErrorCode {
    result.expect_err("refused").code
}

#[test]
fn a_timeline_reads_the_callers_tenant_by_the_orders_canonical_id() {
    let w = world();
    let order = OrderId::from_uuid(Uuid::now_v7());
    let after = Uuid::now_v7();
    let q = TimelineListQuery { first: Some(5), after: Some(after.to_string().to_uppercase()) };

    block_on(w.feed.order_events(&admin(), order, q)).unwrap();

    let asked = w.asked.timelines.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].0.as_str(), "acme");
    assert_eq!(asked[0].1, TimelineQuery { aggregate_id: order.to_string(), first: 5, after: Some(after) });
}

#[test]
fn the_timeline_needs_order_read_and_the_feed_webhook_read() {
    let order = OrderId::from_uuid(Uuid::now_v7());
    let w = world();
    let stranger = caller(&["stranger"]);
    assert_eq!(
        code(block_on(w.feed.order_events(&stranger, order, TimelineListQuery::default()))),
        ErrorCode::Forbidden
    );
    assert_eq!(code(block_on(w.feed.feed(&stranger, FeedListQuery::default()))), ErrorCode::Forbidden);
    // Vendors read orders but not the webhook feed.
    let vendor = caller(&["vendor"]);
    block_on(w.feed.order_events(&vendor, order, TimelineListQuery::default())).unwrap();
    assert_eq!(code(block_on(w.feed.feed(&vendor, FeedListQuery::default()))), ErrorCode::Forbidden);

    let plan: PermissionSet = Permission::ALL.into_iter().filter(|p| *p != Permission::WebhookRead).collect();
    let w = world_with(plan, Duration::ZERO);
    assert_eq!(code(block_on(w.feed.feed(&admin(), FeedListQuery::default()))), ErrorCode::PlanForbidden);
    assert!(w.asked.feeds.lock().unwrap().is_empty(), "nothing is read for a refused caller");
}

#[test]
fn the_feed_passes_its_filter_and_cursor_and_pages_at_most_a_hundred() {
    let w = world();
    let order = Uuid::now_v7();
    let after = Uuid::now_v7();
    let q = FeedListQuery {
        first: Some(100),
        after: Some(after.to_string()),
        types: Some(vec!["order.created".to_owned(), "shipment.created".to_owned()]),
        aggregate_id: Some(order.to_string().to_uppercase()),
    };
    block_on(w.feed.feed(&admin(), q)).unwrap();
    let asked = w.asked.feeds.lock().unwrap().clone();
    assert_eq!(
        asked[0].1,
        FeedQuery {
            first: 100,
            after: Some(after),
            types: vec!["order.created".to_owned(), "shipment.created".to_owned()],
            aggregate_id: Some(order.to_string()),
            before: None,
        }
    );

    let too_many = FeedListQuery { first: Some(101), ..FeedListQuery::default() };
    assert_eq!(code(block_on(w.feed.feed(&admin(), too_many))), ErrorCode::ValidationFailed);
    let default = block_on(w.feed.feed(&admin(), FeedListQuery::default()));
    assert!(default.is_ok());
    assert_eq!(w.asked.feeds.lock().unwrap()[1].1.first, 20, "the default page");
}

#[test]
fn bad_cursors_filters_and_an_empty_page_are_answered_without_a_read() {
    let w = world();
    let refused = |q: FeedListQuery| block_on(w.feed.feed(&admin(), q)).expect_err("refused");

    let e = refused(FeedListQuery { after: Some("ORD-1".to_owned()), ..FeedListQuery::default() });
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::ValidationFailed, Some(&["after".to_owned()][..])));
    let e = refused(FeedListQuery { aggregate_id: Some("ORD-000001".to_owned()), ..FeedListQuery::default() });
    assert_eq!(e.field, Some(vec!["filter".to_owned(), "aggregateId".to_owned()]));
    let e = refused(FeedListQuery { types: Some(vec!["order.created".into(), String::new()]), ..Default::default() });
    assert_eq!(e.field, Some(vec!["filter".to_owned(), "types".to_owned(), "1".to_owned()]));
    let many = vec!["order.created".to_owned(); MAX_FILTER_TYPES + 1];
    assert_eq!(refused(FeedListQuery { types: Some(many), ..Default::default() }).code, ErrorCode::ValidationFailed);

    let empty = block_on(w.feed.feed(&admin(), FeedListQuery { first: Some(0), ..Default::default() })).unwrap();
    assert!(empty.events.is_empty() && !empty.has_next_page);
    assert!(w.asked.feeds.lock().unwrap().is_empty(), "nothing was read");
}

#[test]
fn the_feed_holds_back_events_younger_than_the_stores_settle_time() {
    let w = world_with(Permission::ALL.into_iter().collect(), Duration::from_secs(10));
    block_on(w.feed.feed(&admin(), FeedListQuery::default())).unwrap();
    let before = w.asked.feeds.lock().unwrap()[0].1.before.expect("a horizon");
    let (millis, _) = before.get_timestamp().expect("a UUIDv7").to_unix();
    assert_eq!(millis as i64 * 1000, NOW_MILLIS - 10_000, "ten seconds before now");

    // The timeline is not held back: an order's versions commit one after the other.
    let order = OrderId::from_uuid(Uuid::now_v7());
    block_on(w.feed.order_events(&admin(), order, TimelineListQuery::default())).unwrap();
    assert_eq!(w.asked.timelines.lock().unwrap().len(), 1);

    // An override (tests, a deployment that knows better) replaces the store's own.
    let w = world_with(Permission::ALL.into_iter().collect(), Duration::from_secs(10));
    let feed = w.feed.with_settle(Duration::ZERO);
    block_on(feed.feed(&admin(), FeedListQuery::default())).unwrap();
    assert_eq!(w.asked.feeds.lock().unwrap()[0].1.before, None);
}

#[test]
fn the_horizon_is_below_every_id_of_its_millisecond_and_above_every_earlier_one() {
    let now = Utc.timestamp_millis_opt(NOW_MILLIS).unwrap();
    let h = horizon(now, Duration::from_millis(1)).unwrap();
    let at =
        |millis: i64, random: [u8; 10]| uuid::Builder::from_unix_timestamp_millis(millis as u64, &random).into_uuid();
    assert!(at(NOW_MILLIS - 2, [0xff; 10]) < h, "an id drawn before the horizon is settled");
    assert!(at(NOW_MILLIS - 1, [0; 10]) >= h, "an id of the horizon's millisecond is not");
    assert!(at(NOW_MILLIS - 1, [0; 10]).to_string() >= h.to_string(), "text order is byte order");
    assert_eq!(horizon(now, Duration::ZERO), None);
    assert!(horizon(now, Duration::MAX).is_some(), "an absurd settle time hides everything, without panicking");
}
