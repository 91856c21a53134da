//! The smaller doubles and the store's reads: audit trail, clock, ids, tenants, pages.

use chrono::Duration;
use futures::executor::block_on;

use super::{audit_record, now, order, tenant};
use crate::{
    Permission,
    access::PermissionSet,
    ports::{
        AuditLog, AuditQuery, Clock, IdGenerator, LedgerQuery, OrderCursor, OrderFilter, OrderQuery, OrderStore,
        PlanLimits, TenantDirectory, TenantSettings,
    },
    testing::{FixedClock, InMemoryAuditLog, InMemoryOrderStore, SequentialIds, StaticTenants},
};

#[test]
fn the_audit_log_answers_one_tenants_trail_newest_first() {
    block_on(async {
        let (log, ids) = (InMemoryAuditLog::new(), SequentialIds::new());
        for action in ["first", "second", "third"] {
            log.record(&audit_record(&ids, &tenant("t1"), action)).await.unwrap();
        }
        log.record(&audit_record(&ids, &tenant("t2"), "elsewhere")).await.unwrap();

        let query = AuditQuery { filter: Default::default(), first: 2, after: None };
        let page = log.query(Some(&tenant("t1")), &query).await.unwrap();
        let actions: Vec<_> = page.records.iter().map(|r| r.action.as_str()).collect();
        assert_eq!((actions, page.has_next_page), (vec!["third", "second"], true));
        let rest = AuditQuery { after: page.records.last().map(|r| r.id), ..query };
        assert_eq!(log.query(Some(&tenant("t1")), &rest).await.unwrap().records[0].action, "first");
        assert!(log.query(None, &rest).await.unwrap().records.is_empty(), "no platform records");
        assert_eq!(log.records().len(), 4);
    });
}

#[test]
fn the_clock_moves_only_when_told_and_ids_increase() {
    let clock = FixedClock::at(now());
    clock.advance(Duration::minutes(5));
    assert_eq!(clock.now(), now() + Duration::minutes(5));
    clock.set(now());
    assert_eq!(clock.now(), now());

    let ids = SequentialIds::new();
    let (a, b) = (ids.new_id(), ids.new_id());
    assert!(a < b);
    assert_eq!(a.as_u128(), 1);
}

#[test]
fn a_static_tenant_grants_its_plan_to_tenant_admin() {
    block_on(async {
        let plan: PermissionSet = [Permission::OrderRead, Permission::OrderCreate].into_iter().collect();
        let tenants = StaticTenants::single(tenant("t1"), plan, PlanLimits::default(), TenantSettings::default());
        let profile = tenants.tenant(&tenant("t1")).await.unwrap().expect("configured");
        assert_eq!(profile.access.effective(&["tenant_admin".to_owned()]), plan);
        assert!(profile.access.check(&["tenant_admin".to_owned()], Permission::ConfigWrite).is_err());
        assert!(tenants.tenant(&tenant("t2")).await.unwrap().is_none());
    });
}

#[test]
fn orders_come_newest_first_filtered_and_paged() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let mut tx = store.begin(&t).await.unwrap();
        for number in 1..=3 {
            tx.insert_order(&order(&ids, &t, number, None)).await.unwrap();
        }
        tx.commit().await.unwrap();

        let query = OrderQuery { filter: OrderFilter::default(), first: 2, after: None };
        let page = store.orders(&t, &query).await.unwrap();
        let numbers: Vec<_> = page.orders.iter().map(|o| o.number().to_owned()).collect();
        assert_eq!((numbers, page.has_next_page), (vec!["ORD-3".to_owned(), "ORD-2".to_owned()], true));
        let rest = OrderQuery { after: page.orders.last().map(|o| OrderCursor::Id(o.id())), ..query.clone() };
        let rest = store.orders(&t, &rest).await.unwrap();
        assert_eq!((rest.orders.len(), rest.has_next_page), (1, false));
        let other_sku =
            OrderQuery { filter: OrderFilter { sku: Some("NOPE".to_owned()), ..Default::default() }, ..query };
        assert!(store.orders(&t, &other_sku).await.unwrap().orders.is_empty());
    });
}

#[test]
fn a_created_range_pages_by_creation_time_then_id() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let mut tx = store.begin(&t).await.unwrap();
        for number in 1..=3 {
            tx.insert_order(&order(&ids, &t, number, None)).await.unwrap();
        }
        tx.commit().await.unwrap();

        // All three share one creation time: the id breaks the tie, newest first.
        let window = OrderFilter { created_after: Some(now() - Duration::days(1)), ..Default::default() };
        let query = OrderQuery { filter: window, first: 2, after: None };
        let page = store.orders(&t, &query).await.unwrap();
        let numbers: Vec<_> = page.orders.iter().map(|o| o.number().to_owned()).collect();
        assert_eq!((numbers, page.has_next_page), (vec!["ORD-3".to_owned(), "ORD-2".to_owned()], true));
        let last = page.orders.last().unwrap();
        let after = OrderCursor::Created { created_at: last.created_at(), id: last.id() };
        let rest = store.orders(&t, &OrderQuery { after: Some(after), ..query.clone() }).await.unwrap();
        let numbers: Vec<_> = rest.orders.iter().map(|o| o.number().to_owned()).collect();
        assert_eq!((numbers, rest.has_next_page), (vec!["ORD-1".to_owned()], false));
        let by_id = OrderQuery { after: Some(OrderCursor::Id(last.id())), ..query };
        assert!(store.orders(&t, &by_id).await.is_err(), "a cursor of the other sort");
    });
}

#[test]
fn the_trial_balance_sums_the_tenants_postings() {
    block_on(async {
        let (store, ids, t) = (InMemoryOrderStore::new(), SequentialIds::new(), tenant("t1"));
        let mut booked = order(&ids, &t, 1, None);
        booked.confirm(now()).unwrap();
        booked.sync_receivable(ids.new_id(), now()).unwrap();
        let mut tx = store.begin(&t).await.unwrap();
        tx.insert_order(&booked).await.unwrap();
        tx.commit().await.unwrap();

        let totals = store.trial_balance(&t).await.unwrap();
        assert_eq!(totals.len(), 1);
        assert_eq!((totals[0].currency.code(), totals[0].debits, totals[0].credits), ("EUR", 1000, 1000));
        let journal = LedgerQuery { filter: Default::default(), first: 10, after: None };
        assert_eq!(store.ledger_entries(&t, &journal).await.unwrap().entries.len(), 1);
    });
}
