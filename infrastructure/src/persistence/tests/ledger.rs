//! Contracts of the order's journal and returns: stored in the order's transaction, loaded with
//! it, keys unique per tenant, pages of the journal and the trial balance.

use application::ports::{LedgerFilter, LedgerQuery, OrderQuery, StoreError, Taken};
use domain::{
    Money, ReturnId,
    ledger::{Account, EntryMeta, FeeRate, RefundPolicy},
    order::{LinePick, NewReturn, Order},
};
use uuid::Uuid;

use super::fixtures::{Spec, assert_same, at, dispatch, order, ship, tenant};
use crate::persistence::Database;

fn meta(key: &str) -> EntryMeta {
    EntryMeta::new(Uuid::now_v7(), key, at(5))
}

fn booked(tenant_id: &str, number: &str) -> Order {
    let mut o = order(tenant_id, number);
    o.sync_receivable(Uuid::now_v7(), at(0)).unwrap();
    o
}

async fn insert(db: &Database, order: &Order) {
    let mut tx = db.order_store().begin(order.tenant_id()).await.unwrap();
    tx.insert_order(order).await.unwrap();
    tx.commit().await.unwrap();
}

async fn save(db: &Database, order: &Order, before: i64) -> Result<(), StoreError> {
    let mut tx = db.order_store().begin(order.tenant_id()).await.unwrap();
    tx.update_order(order, before).await?;
    tx.commit().await
}

pub async fn journal_and_returns_round_trip(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let mut o = booked("acme", "ORD-000001"); // 10 × 12.500 KWD
    insert(db, &o).await;
    assert_same(&store.order(&t, o.id()).await.unwrap().unwrap(), &o);

    let before = o.version();
    let s = ship(&mut o, 10, Some("dhl"), at(1));
    dispatch(&mut o, s, "TRK-L1", at(1));
    o.deliver_shipment(s, at(2)).unwrap();
    let paid = Money::parse("125.000", o.currency()).unwrap();
    o.record_payment(meta("pay-1").with_details(Some("ch_1".into()), Some("card".into())), paid, at(3)).unwrap();
    let rid = ReturnId::from_uuid(Uuid::now_v7());
    o.request_return(NewReturn { id: rid, lines: vec![LinePick::new("SKU-1", "vendor-1", 3)], reason: None }, at(4))
        .unwrap();
    o.approve_return(rid, at(4)).unwrap();
    let policy = RefundPolicy { restocking_fee: FeeRate::from_percent(10).unwrap(), max_refund_amount: None };
    o.refund_return(rid, meta("refund-1"), &policy, Some("ok"), at(5)).unwrap();
    save(db, &o, before).await.unwrap();

    let loaded = store.order(&t, o.id()).await.unwrap().unwrap();
    assert_same(&loaded, &o);
    assert_eq!(loaded.journal().len(), 3);
    assert_eq!(loaded.journal()[1].reference(), Some("ch_1"));
    assert_eq!(loaded.balance().refunded().amount_string(), "33.750");
    let page = store.orders(&t, &OrderQuery { filter: Default::default(), first: 10, after: None }).await.unwrap();
    assert_same(&page.orders[0], &o);
    let mut tx = store.begin(&t).await.unwrap();
    assert_same(&tx.lock_order_of_return(rid).await.unwrap().unwrap(), &o);
    assert!(tx.lock_order_of_return(ReturnId::from_uuid(Uuid::now_v7())).await.unwrap().is_none());
}

pub async fn journal_keys_are_unique_per_tenant(db: &Database) {
    let (mut first, mut second) = (booked("acme", "ORD-000001"), booked("acme", "ORD-000002"));
    let mut other = booked("globex", "ORD-000001");
    for o in [&first, &second, &other] {
        insert(db, o).await;
    }
    let amount = |o: &Order| Money::from_minor(1_000, o.currency());
    first.record_payment(meta("shared-key"), amount(&first), at(1)).unwrap();
    save(db, &first, 1).await.unwrap();
    second.record_payment(meta("shared-key"), amount(&second), at(1)).unwrap();
    assert_eq!(save(db, &second, 1).await, Err(StoreError::Duplicate(Taken::JournalEntryKey)));
    other.record_payment(meta("shared-key"), amount(&other), at(1)).unwrap();
    save(db, &other, 1).await.unwrap();

    let store = db.order_store();
    let reloaded = store.order(&tenant("acme"), second.id()).await.unwrap().unwrap();
    assert_eq!(reloaded.journal().len(), 1, "the refused write left nothing behind");
    assert_eq!(reloaded.version(), 1);
}

pub async fn journal_pages_filter_and_balance_per_tenant(db: &Database) {
    let store = db.order_store();
    let t = tenant("acme");
    let mut a = booked("acme", "ORD-000001");
    let b = booked("acme", "ORD-000002");
    a.record_payment(meta("p-a"), Money::from_minor(5_000, a.currency()), at(1)).unwrap();
    insert(db, &a).await;
    insert(db, &b).await;
    insert(db, &booked("globex", "ORD-000001")).await;

    let query = |filter: LedgerFilter, first: u64, after| LedgerQuery { filter, first, after };
    let all = store.ledger_entries(&t, &query(LedgerFilter::default(), 10, None)).await.unwrap();
    assert_eq!(all.entries.len(), 3);
    assert!(!all.has_next_page);
    assert!(all.entries.windows(2).all(|w| w[0].id() < w[1].id()), "oldest first");
    let first = store.ledger_entries(&t, &query(LedgerFilter::default(), 2, None)).await.unwrap();
    assert!(first.has_next_page);
    let rest = store.ledger_entries(&t, &query(LedgerFilter::default(), 2, Some(first.entries[1].id()))).await.unwrap();
    assert_eq!(rest.entries, all.entries[2..].to_vec());

    let cash = LedgerFilter { account: Some(Account::Cash), ..Default::default() };
    let cash = store.ledger_entries(&t, &query(cash, 10, None)).await.unwrap();
    assert_eq!(cash.entries.len(), 1);
    assert_eq!(cash.entries[0].postings().len(), 2, "postings come with the entry");
    let of_b = LedgerFilter { order_id: Some(b.id()), ..Default::default() };
    assert_eq!(store.ledger_entries(&t, &query(of_b, 10, None)).await.unwrap().entries, b.journal().to_vec());

    let totals = store.trial_balance(&t).await.unwrap();
    assert_eq!(totals.len(), 1);
    assert_eq!(totals[0].currency.code(), "KWD");
    assert_eq!(totals[0].debits, totals[0].credits);
    assert_eq!(totals[0].debits, 125_000 * 2 + 5_000);
    assert!(store.trial_balance(&tenant("nobody")).await.unwrap().is_empty());
    let foreign = LedgerFilter { order_id: Some(a.id()), ..Default::default() };
    assert!(store.ledger_entries(&tenant("globex"), &query(foreign, 10, None)).await.unwrap().entries.is_empty());
}

/// Each order's books fit in 64 bits (the domain checks that); the tenant's sum of them need not.
pub async fn trial_balance_sums_beyond_64_bits(db: &Database) {
    for number in ["ORD-000001", "ORD-000002", "ORD-000003"] {
        let mut spec = Spec::new("acme", number);
        spec.lines = vec![("SKU-1", 1, i64::MAX)];
        let mut o = spec.build();
        o.sync_receivable(Uuid::now_v7(), at(0)).unwrap();
        insert(db, &o).await;
    }
    insert(db, &booked("acme", "ORD-000004")).await; // 10 × 12.500 KWD
    let totals = db.order_store().trial_balance(&tenant("acme")).await.unwrap();
    assert_eq!(totals.len(), 1);
    let expected = 3 * i128::from(i64::MAX) + 125_000;
    assert_eq!((totals[0].debits, totals[0].credits), (expected, expected));
}
