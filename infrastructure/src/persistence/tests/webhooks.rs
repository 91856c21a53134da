//! Claiming due webhook deliveries: a tenant's attempts already under way count against its
//! cap, so a slow endpoint never has more than `per_tenant` calls at once.

use std::time::Duration;

use application::ports::{
    AttemptFailure, AttemptOutcome, DeliveryAttempt, DeliveryNext, DeliveryQuery, DeliveryStatus, DueDelivery,
    NewDelivery, OutboxEvent,
};
use uuid::Uuid;

use super::fixtures::{at, tenant};
use crate::persistence::Database;

const LEASE: Duration = Duration::from_secs(30);

/// `count` stored events of `tenant_name`, each with a delivery due at minute 0.
async fn due_deliveries(db: &Database, tenant_name: &str, count: i64) {
    let t = tenant(tenant_name);
    let events: Vec<OutboxEvent> = (1..=count)
        .map(|n| OutboxEvent {
            id: Uuid::now_v7(),
            tenant_id: t.clone(),
            event_type: "order.created".to_owned(),
            aggregate_id: format!("order-{n}"),
            aggregate_version: n,
            occurred_at: at(0),
            payload: serde_json::json!({ "type": "order.created" }),
        })
        .collect();
    let mut tx = db.order_store().begin(&t).await.unwrap();
    tx.append_outbox(&events).await.unwrap();
    tx.commit().await.unwrap();
    let deliveries: Vec<NewDelivery> = events
        .iter()
        .map(|e| NewDelivery {
            id: Uuid::now_v7(),
            tenant_id: t.clone(),
            event_id: e.id,
            event_type: e.event_type.clone(),
            created_at: at(0),
        })
        .collect();
    db.webhook_deliveries().schedule(&deliveries).await.unwrap();
}

pub async fn claims_leave_room_only_for_what_is_not_under_way(db: &Database) {
    due_deliveries(db, "acme", 12).await;
    due_deliveries(db, "globex", 2).await;
    let store = db.webhook_deliveries();
    let acme = |claimed: &[DueDelivery]| claimed.iter().filter(|d| d.tenant_id == tenant("acme")).count();

    let first = store.claim_due(at(1), LEASE, 64, 4, &[]).await.unwrap();
    assert_eq!((acme(&first), first.len()), (4, 6), "at most 4 of a tenant, all of the other's");
    // The caller's count of attempts under way: claimed rows are leased, so the claim itself
    // cannot see them.
    let at_cap = store.claim_due(at(1), LEASE, 64, 4, &[(tenant("acme"), 4)]).await.unwrap();
    assert_eq!(at_cap.len(), 0, "a tenant at its cap gets nothing");
    let three = store.claim_due(at(1), LEASE, 64, 4, &[(tenant("acme"), 3)]).await.unwrap();
    assert_eq!(acme(&three), 1, "a tenant with 3 under way gets 1, not 4");
    let others = [(tenant("acme"), 1), (tenant("globex"), 2)];
    let one = store.claim_due(at(1), LEASE, 64, 4, &others).await.unwrap();
    assert_eq!(acme(&one), 3, "a tenant with 1 under way gets 3; another tenant's count is not its");
}

pub async fn claims_go_round_the_tenants_when_the_batch_is_smaller_than_the_work(db: &Database) {
    for name in ["acme", "globex", "initech"] {
        due_deliveries(db, name, 3).await;
    }
    let store = db.webhook_deliveries();
    let mut order = Vec::new();
    for _ in 0..3 {
        let claimed = store.claim_due(at(1), LEASE, 2, 2, &[]).await.unwrap();
        assert_eq!(claimed.len(), 2, "a batch of 2, one tenant's share");
        assert!(claimed.iter().all(|d| d.tenant_id == claimed[0].tenant_id));
        order.push(claimed[0].tenant_id.as_str().to_owned());
    }
    assert_eq!(order, ["acme", "globex", "initech"], "each tenant in turn, none served twice before the others");
    let fourth = store.claim_due(at(1), LEASE, 2, 2, &[]).await.unwrap();
    assert_eq!(fourth[0].tenant_id, tenant("acme"), "then round again: {fourth:?}");
}

pub async fn claims_skip_tenants_with_nothing_due_or_a_disabled_endpoint(db: &Database) {
    due_deliveries(db, "acme", 2).await;
    due_deliveries(db, "globex", 2).await;
    due_deliveries(db, "initech", 2).await;
    let store = db.webhook_deliveries();
    store.disable_endpoint(&tenant("acme"), at(0), "test").await.unwrap();
    // globex's deliveries are retries due later.
    let claimed = store.claim_due(at(1), LEASE, 64, 4, &[]).await.unwrap();
    let globex: Vec<_> = claimed.iter().filter(|d| d.tenant_id == tenant("globex")).cloned().collect();
    let attempts: Vec<_> = globex.iter().map(|d| (attempt_of(d, 500, at(1)), DeliveryNext::RetryAt(at(30)))).collect();
    store.record_attempts(&attempts).await.unwrap();

    // Still minute 1: initech's claims are leased.
    let claimed = store.claim_due(at(1), LEASE, 1, 4, &[]).await.unwrap();
    assert_eq!(claimed.len(), 0, "initech's were claimed; globex's are not due; acme's endpoint is disabled");
    store.enable_endpoint(&tenant("acme")).await.unwrap();
    let claimed = store.claim_due(at(1), LEASE, 1, 4, &[]).await.unwrap();
    assert_eq!(claimed.iter().map(|d| d.tenant_id.as_str()).collect::<Vec<_>>(), ["acme"]);
    let claimed = store.claim_due(at(31), LEASE, 64, 4, &[]).await.unwrap();
    assert_eq!(claimed.iter().filter(|d| d.tenant_id == tenant("globex")).count(), 2, "due again at minute 30");
}

pub async fn a_batch_of_attempts_keeps_each_endpoints_failure_streak(db: &Database) {
    due_deliveries(db, "acme", 3).await;
    due_deliveries(db, "globex", 2).await;
    due_deliveries(db, "initech", 1).await;
    let store = db.webhook_deliveries();
    let claimed = store.claim_due(at(1), LEASE, 64, 4, &[]).await.unwrap();
    let of = |name: &str| claimed.iter().filter(|d| d.tenant_id == tenant(name)).collect::<Vec<_>>();
    let (acme, globex, initech) = (of("acme"), of("globex"), of("initech"));
    // initech already failing since minute 0: its success clears that.
    store.record_attempts(&[(attempt_of(initech[0], 500, at(0)), DeliveryNext::RetryAt(at(1)))]).await.unwrap();
    let initech_again = store.claim_due(at(1), LEASE, 64, 4, &[]).await.unwrap();
    assert_eq!(initech_again.len(), 1);
    let batch = vec![
        // acme: fails, succeeds, fails again: failing since the last failure.
        (attempt_of(acme[0], 500, at(2)), DeliveryNext::RetryAt(at(10))),
        (attempt_of(acme[1], 200, at(3)), DeliveryNext::Succeeded),
        (attempt_of(acme[2], 503, at(4)), DeliveryNext::RetryAt(at(10))),
        // globex: two successes.
        (attempt_of(globex[0], 200, at(2)), DeliveryNext::Succeeded),
        (attempt_of(globex[1], 204, at(3)), DeliveryNext::Succeeded),
        (attempt_of(&initech_again[0], 200, at(2)), DeliveryNext::Succeeded),
    ];
    let mut failing = store.record_attempts(&batch).await.unwrap();
    failing.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    assert_eq!(failing.len(), 1, "only acme ended the batch failing: {failing:?}");
    assert_eq!((failing[0].0.as_str(), failing[0].1.failing_since), ("acme", Some(at(4))));
    assert_eq!(store.health(&tenant("initech")).await.unwrap().failing_since, None, "cleared by its success");
    assert_eq!(store.health(&tenant("globex")).await.unwrap().failing_since, None);

    let listed = store
        .list(&tenant("acme"), &DeliveryQuery { first: 10, after: None, filter: Default::default() })
        .await
        .unwrap();
    let state = |id: Uuid| listed.deliveries.iter().find(|d| d.id == id).map(|d| (d.status, d.attempts.len()));
    assert_eq!(state(acme[0].id), Some((DeliveryStatus::Pending, 1)));
    assert_eq!(state(acme[1].id), Some((DeliveryStatus::Succeeded, 1)));

    // A later failure keeps the streak's start.
    let again = store.claim_due(at(10), LEASE, 64, 4, &[]).await.unwrap();
    let batch: Vec<_> = again.iter().map(|d| (attempt_of(d, 500, at(11)), DeliveryNext::RetryAt(at(20)))).collect();
    let failing = store.record_attempts(&batch).await.unwrap();
    assert_eq!(failing[0].1.failing_since, Some(at(4)), "still failing since minute 4");
}

fn attempt_of(delivery: &DueDelivery, status: u16, when: chrono::DateTime<chrono::Utc>) -> DeliveryAttempt {
    let ok = (200..300).contains(&status);
    DeliveryAttempt {
        id: Uuid::now_v7(),
        delivery_id: delivery.id,
        tenant_id: delivery.tenant_id.clone(),
        attempted_at: when,
        outcome: AttemptOutcome {
            status: Some(status),
            latency: Duration::from_millis(1),
            response_excerpt: String::new(),
            retry_after: None,
            failure: (!ok).then_some(AttemptFailure::Status(status)),
        },
    }
}
