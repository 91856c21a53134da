//! The outbox read back (timelines, the pull feed) and redelivering a tenant's webhook
//! deliveries since a time.

use std::time::Duration;

use application::ports::{
    AttemptOutcome, DeliveryAttempt, DeliveryNext, DeliveryQuery, DeliveryStatus, EventPage, FeedQuery, NewDelivery,
    OutboxEvent, TimelineQuery,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::fixtures::{at, tenant};
use crate::persistence::Database;

/// An event of `tenant` about `aggregate`, with a fresh (increasing) id.
fn event(tenant_id: &str, aggregate: &str, version: i64, event_type: &str) -> OutboxEvent {
    let id = Uuid::now_v7();
    OutboxEvent {
        id,
        tenant_id: tenant(tenant_id),
        event_type: event_type.to_owned(),
        aggregate_id: aggregate.to_owned(),
        aggregate_version: version,
        occurred_at: at(version),
        payload: serde_json::json!({"id": id.to_string(), "type": event_type, "data": {"v": version}}),
    }
}

async fn append(db: &Database, events: &[OutboxEvent]) {
    let store = db.order_store();
    let mut tx = store.begin(&events[0].tenant_id).await.unwrap();
    tx.append_outbox(events).await.unwrap();
    tx.commit().await.unwrap();
}

fn ids(page: &EventPage) -> Vec<Uuid> {
    page.events.iter().map(|e| e.id).collect()
}

fn feed(first: u64) -> FeedQuery {
    FeedQuery { first, ..FeedQuery::default() }
}

pub async fn feed_pages_a_tenants_events_by_id_with_filters(db: &Database) {
    let created = event("acme", "o1", 1, "order.created");
    let confirmed = event("acme", "o1", 1, "order.confirmed");
    let other = event("globex", "o1", 1, "order.created");
    let second = event("acme", "o2", 1, "order.created");
    let shipped = event("acme", "o1", 2, "shipment.created");
    append(db, &[created.clone(), confirmed.clone()]).await;
    append(db, std::slice::from_ref(&other)).await;
    append(db, std::slice::from_ref(&second)).await;
    append(db, std::slice::from_ref(&shipped)).await;
    let reader = db.outbox_reader();
    let acme = tenant("acme");

    let p1 = reader.feed(&acme, &feed(2)).await.unwrap();
    assert_eq!(ids(&p1), [created.id, confirmed.id]);
    assert!(p1.has_next_page);
    let p2 = reader.feed(&acme, &FeedQuery { after: Some(confirmed.id), ..feed(2) }).await.unwrap();
    assert_eq!(ids(&p2), [second.id, shipped.id], "globex's event is not acme's");
    assert!(!p2.has_next_page);
    let e = &p1.events[0];
    assert_eq!((e.tenant_id.as_str(), e.event_type.as_str(), e.aggregate_id.as_str()), ("acme", "order.created", "o1"));
    assert_eq!((e.aggregate_version, e.occurred_at), (1, at(1)));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&e.payload).unwrap(), created.payload);

    let types = vec!["order.confirmed".to_owned(), "shipment.created".to_owned()];
    let typed = reader.feed(&acme, &FeedQuery { types, ..feed(10) }).await.unwrap();
    assert_eq!(ids(&typed), [confirmed.id, shipped.id]);
    let of_o2 = reader.feed(&acme, &FeedQuery { aggregate_id: Some("o2".to_owned()), ..feed(10) }).await.unwrap();
    assert_eq!(ids(&of_o2), [second.id]);

    // A cursor is a position, not a row: an id that names no event still pages on from there.
    let between = Uuid::from_u128(confirmed.id.as_u128() + 1);
    let resumed = reader.feed(&acme, &FeedQuery { after: Some(between), ..feed(10) }).await.unwrap();
    assert_eq!(ids(&resumed), [second.id, shipped.id]);
    let settled = reader.feed(&acme, &FeedQuery { before: Some(second.id), ..feed(10) }).await.unwrap();
    assert_eq!(ids(&settled), [created.id, confirmed.id], "the horizon itself and what follows wait");
    let globex = reader.feed(&tenant("globex"), &feed(10)).await.unwrap();
    assert_eq!(ids(&globex), [other.id]);
    let expected = if db.backend_name() == "postgres" { Duration::from_secs(10) } else { Duration::ZERO };
    assert_eq!(reader.settle(), expected);
}

pub async fn timeline_orders_by_version_then_id_and_pages(db: &Database) {
    // Version 2 is drawn first: the timeline follows versions, not ids.
    let shipped = event("acme", "o1", 2, "shipment.created");
    let created = event("acme", "o1", 1, "order.created");
    let confirmed = event("acme", "o1", 1, "order.confirmed");
    append(db, &[shipped.clone(), created.clone(), confirmed.clone()]).await;
    append(db, &[event("acme", "o2", 1, "order.created")]).await;
    append(db, &[event("globex", "o1", 1, "order.created")]).await;
    let reader = db.outbox_reader();
    let acme = tenant("acme");
    let timeline = |first: u64, after: Option<Uuid>| TimelineQuery { aggregate_id: "o1".to_owned(), first, after };

    let all = reader.timeline(&acme, &timeline(10, None)).await.unwrap();
    assert_eq!(ids(&all), [created.id, confirmed.id, shipped.id]);
    assert!(!all.has_next_page);
    let p1 = reader.timeline(&acme, &timeline(2, None)).await.unwrap();
    assert_eq!((ids(&p1), p1.has_next_page), (vec![created.id, confirmed.id], true));
    let p2 = reader.timeline(&acme, &timeline(2, Some(confirmed.id))).await.unwrap();
    assert_eq!((ids(&p2), p2.has_next_page), (vec![shipped.id], false));
    let p1b = reader.timeline(&acme, &timeline(1, Some(created.id))).await.unwrap();
    assert_eq!((ids(&p1b), p1b.has_next_page), (vec![confirmed.id], true));

    let unknown = reader.timeline(&acme, &timeline(10, Some(Uuid::now_v7()))).await.unwrap();
    assert!(unknown.events.is_empty(), "a cursor of no event of this order ends the timeline");
    let globex = reader.timeline(&tenant("globex"), &timeline(10, Some(created.id))).await.unwrap();
    assert!(globex.events.is_empty(), "another tenant's cursor finds nothing");
}

fn delivery(tenant_id: &str, created_at: DateTime<Utc>) -> NewDelivery {
    NewDelivery {
        id: Uuid::now_v7(),
        tenant_id: tenant(tenant_id),
        event_id: Uuid::now_v7(),
        event_type: "order.created".to_owned(),
        created_at,
    }
}

pub async fn redeliver_since_makes_the_tenants_later_deliveries_due(db: &Database) {
    let store = db.webhook_deliveries();
    let (old, recent, latest, globex) =
        (delivery("acme", at(0)), delivery("acme", at(10)), delivery("acme", at(20)), delivery("globex", at(20)));
    store.schedule(&[old.clone(), recent.clone(), latest.clone(), globex.clone()]).await.unwrap();
    // Attempts follow a claim, as the dispatcher makes them (an unclaimed delivery's outcome is
    // not stored over it: that is how a redelivery during an attempt survives).
    // (These deliveries name no stored event, so the claim is written directly.)
    use sea_orm::ConnectionTrait as _;
    db.owner_connection().await.execute_unprepared("UPDATE webhook_deliveries SET lease_until_us = 1").await.unwrap();
    let mut attempts = Vec::new();
    for d in [&old, &recent, &globex] {
        let outcome = AttemptOutcome {
            status: Some(200),
            latency: Duration::from_millis(3),
            response_excerpt: String::new(),
            retry_after: None,
            failure: None,
        };
        let attempt = DeliveryAttempt {
            id: Uuid::now_v7(),
            delivery_id: d.id,
            tenant_id: d.tenant_id.clone(),
            attempted_at: at(30),
            outcome,
        };
        attempts.push((attempt, DeliveryNext::Succeeded));
    }
    store.record_attempts(&attempts).await.unwrap();

    let count = store.redeliver_since(&tenant("acme"), at(10), at(40)).await.unwrap();

    assert_eq!(count, 2, "acme's deliveries created at or after the time, pending or not");
    let listed = store
        .list(&tenant("acme"), &DeliveryQuery { first: 10, after: None, filter: Default::default() })
        .await
        .unwrap();
    let state = |id: Uuid| listed.deliveries.iter().find(|d| d.id == id).map(|d| (d.status, d.next_attempt_at));
    assert_eq!(state(recent.id), Some((DeliveryStatus::Pending, Some(at(40)))));
    assert_eq!(state(latest.id), Some((DeliveryStatus::Pending, Some(at(40)))));
    assert_eq!(state(old.id), Some((DeliveryStatus::Succeeded, None)), "created before the time");
    let recent_attempts = listed.deliveries.iter().find(|d| d.id == recent.id).map(|d| d.attempts.len());
    assert_eq!(recent_attempts, Some(1), "its attempts are kept");
    let other = store.find(&tenant("globex"), globex.id).await.unwrap().unwrap();
    assert_eq!(other.status, DeliveryStatus::Succeeded, "another tenant's deliveries are untouched");
    assert_eq!(store.redeliver_since(&tenant("acme"), at(50), at(50)).await.unwrap(), 0);
}
