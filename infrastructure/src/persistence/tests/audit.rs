use std::{sync::Arc, time::Duration};

use application::ports::{AuditFilter, AuditPage, AuditQuery, AuditRecord, OUTCOME_OK, StoreError};
use chrono::{DateTime, Utc};
use domain::TenantId;
use serde_json::json;
use uuid::Uuid;

use super::fixtures::{at, order, tenant};
use crate::persistence::Database;

fn record(tenant: &str, actor: &str, action: &str, order_id: Option<&str>, occurred_at: DateTime<Utc>) -> AuditRecord {
    AuditRecord {
        id: Uuid::now_v7(),
        tenant_id: Some(TenantId::new(tenant).unwrap()),
        actor: actor.to_owned(),
        action: action.to_owned(),
        order_id: order_id.map(str::to_owned),
        target_ids: order_id.into_iter().map(str::to_owned).collect(),
        input: json!({ "action": action }),
        outcome: OUTCOME_OK.to_owned(),
        request_id: Some(format!("req-{}", Uuid::new_v4().simple())),
        occurred_at,
    }
}

async fn query(db: &Database, tenant: &str, filter: AuditFilter, first: u64, after: Option<&AuditRecord>) -> AuditPage {
    let query = AuditQuery { filter, first, after: after.map(|r| r.id) };
    db.audit_log().query(Some(&TenantId::new(tenant).unwrap()), &query).await.unwrap()
}

async fn everything(db: &Database, tenant: &str) -> Vec<AuditRecord> {
    let page = query(db, tenant, AuditFilter::default(), 500, None).await;
    assert!(!page.has_next_page);
    page.records
}

/// The seed indexes of a page's records.
fn indexes(page: &AuditPage, seeded: &[AuditRecord]) -> Vec<usize> {
    page.records.iter().map(|r| seeded.iter().position(|s| s.id == r.id).expect("a seeded record")).collect()
}

pub async fn appended_audit_commits_with_the_change(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let o = order("acme", "ORD-000001");
    let audited = record("acme", "user-1", "createOrder", Some(&o.id().to_string()), at(0));
    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.append_audit(&audited).await.unwrap();
    tx.commit().await.unwrap();

    assert!(store.order(&t, o.id()).await.unwrap().is_some());
    assert_eq!(everything(db, "acme").await, vec![audited]);
}

/// A change, its audit record and its outbox events commit together or not at all.
pub async fn dropped_transaction_drops_its_audit(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let o = order("acme", "ORD-000001");
    let mut tx = store.begin(&t).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.append_audit(&record("acme", "user-1", "createOrder", Some(&o.id().to_string()), at(0))).await.unwrap();
    drop(tx);
    assert!(store.order(&t, o.id()).await.unwrap().is_none());
    assert!(everything(db, "acme").await.is_empty());

    // An audit record alone rolls back too, and the connection is clean for the next transaction.
    let mut tx = store.begin(&t).await.unwrap();
    tx.append_audit(&record("acme", "user-1", "cancelOrder", None, at(1))).await.unwrap();
    drop(tx);
    assert!(everything(db, "acme").await.is_empty());

    let kept = record("acme", "user-1", "createOrder", None, at(2));
    let mut tx = store.begin(&t).await.unwrap();
    tx.append_audit(&kept).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(everything(db, "acme").await, vec![kept]);
}

pub async fn refused_calls_are_recorded_outside_a_transaction(db: &Database) {
    let log = db.audit_log();
    let refused = AuditRecord {
        outcome: "FORBIDDEN".to_owned(),
        request_id: None,
        ..record("acme", "user-2", "cancelOrder", Some("ord-1"), at(0))
    };
    log.record(&refused).await.unwrap();
    let failed = AuditRecord { outcome: "NOT_FOUND".to_owned(), ..record("acme", "system", "shipOrder", None, at(1)) };
    log.record(&failed).await.unwrap();
    assert_eq!(everything(db, "acme").await, vec![failed.clone(), refused.clone()]);

    // A record's id is its key: the same record twice is a bug, and changes nothing.
    assert!(matches!(log.record(&refused).await, Err(StoreError::Internal(_))));
    assert_eq!(everything(db, "acme").await, vec![failed, refused]);
}

/// `record` queues for the writer behind open transactions (on SQLite the single write
/// connection) and never fails with SQLITE_BUSY, however many writers race.
pub async fn records_queue_behind_open_writes(db: &Database) {
    let store = db.order_store();
    let log = db.audit_log();
    let t = tenant("acme");
    let mut open = store.begin(&t).await.unwrap();
    open.append_audit(&record("acme", "user-1", "createOrder", None, at(0))).await.unwrap();
    let waiting = tokio::spawn({
        let log = log.clone();
        async move { log.record(&record("acme", "user-2", "cancelOrder", None, at(1))).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    open.commit().await.unwrap();
    waiting.await.unwrap().expect("the record waits for the writer instead of failing");

    const TASKS: usize = 20;
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for i in 0..TASKS {
        let (store, log, barrier, t) = (store.clone(), log.clone(), barrier.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let r = record("acme", &format!("user-{i}"), "race", None, at(2));
            if i % 2 == 0 {
                log.record(&r).await
            } else {
                let mut tx = store.begin(&t).await?;
                tx.next_order_number().await?;
                tx.append_audit(&r).await?;
                tx.commit().await
            }
        }));
    }
    for task in tasks {
        task.await.unwrap().expect("no storage error under contention");
    }
    assert_eq!(everything(db, "acme").await.len(), TASKS + 2);
}

pub async fn other_tenants_see_no_audit_records(db: &Database) {
    let store = db.order_store();
    let ours = record("acme", "user-1", "createOrder", Some("ord-1"), at(0));
    let mut tx = store.begin(&tenant("acme")).await.unwrap();
    tx.append_audit(&ours).await.unwrap();
    tx.commit().await.unwrap();
    let refused = record("acme", "user-1", "cancelOrder", Some("ord-1"), at(1));
    db.audit_log().record(&refused).await.unwrap();

    let narrowest = AuditFilter {
        order_id: Some("ord-1".to_owned()),
        actor: Some("user-1".to_owned()),
        action: Some("createOrder".to_owned()),
        from: Some(at(0)),
        to: Some(at(1)),
    };
    for filter in [AuditFilter::default(), narrowest] {
        let page = query(db, "globex", filter.clone(), 50, None).await;
        assert!(page.records.is_empty() && !page.has_next_page, "{filter:?}");
    }
    // Not through acme's cursor either.
    let page = query(db, "globex", AuditFilter::default(), 50, Some(&refused)).await;
    assert!(page.records.is_empty());

    // A transaction of globex refuses acme's record, and stays usable.
    let mut tx = store.begin(&tenant("globex")).await.unwrap();
    let smuggled = record("acme", "user-9", "cancelOrder", None, at(2));
    assert!(matches!(tx.append_audit(&smuggled).await, Err(StoreError::Internal(_))));
    let theirs = record("globex", "user-9", "createOrder", None, at(3));
    tx.append_audit(&theirs).await.unwrap();
    tx.commit().await.unwrap();

    assert_eq!(everything(db, "acme").await, vec![refused, ours]);
    assert_eq!(everything(db, "globex").await, vec![theirs]);
}

/// Seven records of acme a minute apart (index = minute), and look-alikes of globex.
async fn seed(db: &Database) -> Vec<AuditRecord> {
    let rows: [(&str, &str, Option<&str>); 7] = [
        ("ann", "createOrder", Some("ord-1")),
        ("bob", "createOrder", Some("ord-2")),
        ("ann", "createShipment", Some("ord-1")),
        ("system", "dispatchShipment", Some("ord-1")),
        ("bob", "updateTenantConfig", None),
        ("ann", "cancelOrder", Some("ord-2")),
        ("ann", "createShipment", Some("ord-1")),
    ];
    let store = db.order_store();
    let mut seeded = Vec::new();
    for (i, (actor, action, order_id)) in rows.into_iter().enumerate() {
        let r = record("acme", actor, action, order_id, at(i as i64));
        if i % 2 == 0 {
            db.audit_log().record(&r).await.unwrap();
        } else {
            let mut tx = store.begin(r.tenant_id.as_ref().unwrap()).await.unwrap();
            tx.append_audit(&r).await.unwrap();
            tx.commit().await.unwrap();
        }
        seeded.push(r);
        db.audit_log().record(&record("globex", actor, action, order_id, at(i as i64))).await.unwrap();
    }
    seeded
}

pub async fn filters_narrow_the_audit_trail(db: &Database) {
    let s = seed(db).await;
    let check = async |filter: AuditFilter, expected: Vec<usize>| {
        let page = query(db, "acme", filter.clone(), 50, None).await;
        assert_eq!(indexes(&page, &s), expected, "{filter:?}");
        assert!(!page.has_next_page);
        for r in &page.records {
            assert_eq!(r.tenant_id.as_ref().map(TenantId::as_str), Some("acme"));
        }
    };
    let some = |v: &str| Some(v.to_owned());

    check(AuditFilter::default(), vec![6, 5, 4, 3, 2, 1, 0]).await;
    check(AuditFilter { order_id: some("ord-1"), ..Default::default() }, vec![6, 3, 2, 0]).await;
    check(AuditFilter { order_id: some("ord-9"), ..Default::default() }, vec![]).await;
    check(AuditFilter { actor: some("ann"), ..Default::default() }, vec![6, 5, 2, 0]).await;
    // Exact, not a prefix or a case-insensitive match.
    check(AuditFilter { actor: some("an"), ..Default::default() }, vec![]).await;
    check(AuditFilter { actor: some("ANN"), ..Default::default() }, vec![]).await;
    check(AuditFilter { action: some("createOrder"), ..Default::default() }, vec![1, 0]).await;
    check(AuditFilter { action: some("create"), ..Default::default() }, vec![]).await;
    check(AuditFilter { from: Some(at(2)), ..Default::default() }, vec![6, 5, 4, 3, 2]).await;
    check(AuditFilter { to: Some(at(2)), ..Default::default() }, vec![1, 0]).await;
    check(AuditFilter { from: Some(at(2)), to: Some(at(5)), ..Default::default() }, vec![4, 3, 2]).await;
    check(AuditFilter { from: Some(at(3)), to: Some(at(3)), ..Default::default() }, vec![]).await;
    // A microsecond either side of a record's time.
    let micro = chrono::Duration::microseconds(1);
    check(AuditFilter { from: Some(at(3) + micro), to: Some(at(4) + micro), ..Default::default() }, vec![4]).await;
    check(AuditFilter { from: Some(at(3) - micro), to: Some(at(4)), ..Default::default() }, vec![3]).await;
    check(
        AuditFilter {
            order_id: some("ord-1"),
            actor: some("ann"),
            action: some("createShipment"),
            ..Default::default()
        },
        vec![6, 2],
    )
    .await;
    check(
        AuditFilter {
            order_id: some("ord-1"),
            actor: some("ann"),
            from: Some(at(1)),
            to: Some(at(6)),
            ..Default::default()
        },
        vec![2],
    )
    .await;

    let ann = || AuditFilter { actor: some("ann"), ..Default::default() };
    let p1 = query(db, "acme", ann(), 3, None).await;
    assert_eq!((indexes(&p1, &s), p1.has_next_page), (vec![6, 5, 2], true));
    let p2 = query(db, "acme", ann(), 3, p1.records.last()).await;
    assert_eq!((indexes(&p2, &s), p2.has_next_page), (vec![0], false));
}

pub async fn pages_newest_first_without_gaps_or_repeats(db: &Database) {
    let s = seed(db).await;
    let all = AuditFilter::default;

    let p1 = query(db, "acme", all(), 3, None).await;
    assert_eq!((indexes(&p1, &s), p1.has_next_page), (vec![6, 5, 4], true));
    let p2 = query(db, "acme", all(), 3, p1.records.last()).await;
    assert_eq!((indexes(&p2, &s), p2.has_next_page), (vec![3, 2, 1], true));
    let p3 = query(db, "acme", all(), 3, p2.records.last()).await;
    assert_eq!((indexes(&p3, &s), p3.has_next_page), (vec![0], false));

    let exact = query(db, "acme", all(), 7, None).await;
    assert_eq!((indexes(&exact, &s), exact.has_next_page), (vec![6, 5, 4, 3, 2, 1, 0], false));
    let huge = query(db, "acme", all(), u64::MAX, None).await;
    assert_eq!((huge.records.len(), huge.has_next_page), (7, false));
    let none = query(db, "acme", all(), 0, None).await;
    assert_eq!((none.records.len(), none.has_next_page), (0, true));
    let past_the_end = query(db, "acme", all(), 3, s.first()).await;
    assert_eq!((past_the_end.records.len(), past_the_end.has_next_page), (0, false));

    // A record that arrives while a client pages lands on the first page, not in the middle.
    let p1 = query(db, "acme", all(), 2, None).await;
    let late = record("acme", "ann", "createOrder", None, at(7));
    db.audit_log().record(&late).await.unwrap();
    let mut seen = p1.records.clone();
    let mut cursor = p1.records.last().cloned();
    loop {
        let page = query(db, "acme", all(), 2, cursor.as_ref()).await;
        seen.extend(page.records.iter().cloned());
        cursor = page.records.last().cloned();
        if !page.has_next_page {
            break;
        }
    }
    let newest_first: Vec<AuditRecord> = s.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
    assert_eq!(query(db, "acme", all(), 1, None).await.records, vec![late]);
}

pub async fn json_input_and_target_ids_round_trip(db: &Database) {
    let input = json!({
        "input": {
            "externalRef": "ext-\"1\"\\n",
            "lines": [{ "sku": "SKU-1", "quantity": 3, "unitPrice": "12.500" }],
            "note": "شحن سريع — 速い ✓ 🚚",
            "empty": {},
            "none": [],
            "flag": false,
            "missing": null,
        },
        "big": u64::MAX,
        "small": i64::MIN,
        "float": 0.1,
        "exponent": 1.5e300,
        "tiny": -2.5e-7,
        "clientSecret": "[REDACTED]",
    });
    let targets = vec![
        "0193b7a4-5c1e-7c3a-9f00-000000000001".to_owned(),
        "ship \"two\", with, commas".to_owned(),
        "ünïcødé".to_owned(),
        String::new(),
    ];
    let in_tx = AuditRecord {
        input: input.clone(),
        target_ids: targets.clone(),
        request_id: Some("req-ü".to_owned()),
        ..record("acme", "sub|with|pipes", "createOrder", Some("ord-1"), at(0))
    };
    let mut tx = db.order_store().begin(&tenant("acme")).await.unwrap();
    tx.append_audit(&in_tx).await.unwrap();
    tx.commit().await.unwrap();
    let outside = AuditRecord {
        input: json!("just a string"),
        target_ids: Vec::new(),
        order_id: None,
        request_id: None,
        ..record("acme", "system", "relayOutbox", None, at(1))
    };
    db.audit_log().record(&outside).await.unwrap();
    let scalar = AuditRecord { input: serde_json::Value::Null, ..record("acme", "system", "ping", None, at(2)) };
    db.audit_log().record(&scalar).await.unwrap();

    let stored = everything(db, "acme").await;
    assert_eq!(stored, vec![scalar, outside, in_tx]);
    assert_eq!(stored[2].input["big"].as_u64(), Some(u64::MAX));
    assert_eq!(stored[2].input["small"].as_i64(), Some(i64::MIN));
    assert_eq!(stored[2].target_ids, targets);
}

/// A config change's audit record commits with the change; a refused change leaves neither.
/// Provider operations on no single tenant land in the platform's own trail, which no tenant
/// query returns.
pub async fn config_writes_carry_their_audit_record(db: &Database) {
    use application::ports::{ConfigKind, ConfigWrite};
    let store = db.config_store();
    let write = |expected| ConfigWrite {
        kind: ConfigKind::Plan,
        key: "gold".to_owned(),
        document: json!({ "permissions": ["order:read"] }),
        changed_by: "root".to_owned(),
        summary: "created plan gold".to_owned(),
        expected_version: expected,
    };
    let platform = AuditRecord { tenant_id: None, ..record("acme", "root", "upsertPlan", None, at(0)) };
    store.write(&[write(Some(0))], Some(&platform)).await.unwrap();
    let refused = AuditRecord { tenant_id: None, ..record("acme", "root", "upsertPlan", None, at(1)) };
    assert!(store.write(&[write(Some(0))], Some(&refused)).await.is_err());

    let query = AuditQuery { filter: AuditFilter::default(), first: 10, after: None };
    let trail = db.audit_log().query(None, &query).await.unwrap();
    assert_eq!(trail.records, vec![platform]);
    assert!(everything(db, "acme").await.is_empty(), "platform records stay out of tenant trails");

    let scoped = record("acme", "root", "setTenantStatus", None, at(2));
    let tenant_write = ConfigWrite { kind: ConfigKind::Tenant, key: "acme".to_owned(), ..write(None) };
    store.write(&[tenant_write], Some(&scoped)).await.unwrap();
    assert_eq!(everything(db, "acme").await, vec![scoped]);
}
