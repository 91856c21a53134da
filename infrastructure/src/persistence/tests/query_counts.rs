//! Issue 9: an order with its lines, shipments, returns and journal costs at most two queries,
//! however it is found, for a read or under a write's lock, and so does a page of orders.
//! Counted by SeaORM's metric callback, which sees every statement a connection runs, on a store
//! built over connections that carry it.

use std::sync::{Arc, Mutex};

use application::ports::{OrderCursor, OrderFilter, OrderQuery, OrderStore};
use domain::{
    Money, OrderId, ReturnId, ShipmentId,
    ledger::{EntryMeta, FeeRate, RefundPolicy},
    order::{LinePick, NewReturn, Order},
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::fixtures::{Spec, assert_same, at, dispatch, ship, tenant};
use crate::persistence::{Database, group_commit::GroupCommit, order_store::SeaOrderStore};

/// The statements run on the instrumented connections since the last `take`.
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>);

impl Statements {
    fn instrument(&self, conn: &DatabaseConnection) -> DatabaseConnection {
        let mut conn = conn.clone();
        let log = self.0.clone();
        // The scope a transaction begins in (row-level security) is no query of the data.
        conn.set_metric_callback(move |info| {
            if !info.statement.sql.starts_with("SELECT set_config(") {
                log.lock().unwrap().push(info.statement.sql.clone())
            }
        });
        conn
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// The order store over instrumented pools. Without group commit, so that on SQLite too a
/// transaction runs on the instrumented writer (the group's own connection is not).
fn counted(db: &Database) -> (Arc<dyn OrderStore>, Statements) {
    let statements = Statements::default();
    let store = SeaOrderStore {
        reader: statements.instrument(&db.reader),
        writer: statements.instrument(&db.writer),
        group: None,
        counting: db.counting.clone(),
        signals: db.signals.clone(),
        _alive: db.alive.clone(),
    };
    (Arc::new(store), statements)
}

/// Every kind of child: three lines, two shipments, a refunded return, and four journal entries
/// (receivable, payment, the return's two), each with its postings.
fn full_order(number: &str, external_ref: &'static str) -> (Order, ShipmentId, ReturnId) {
    let mut spec = Spec::new("acme", number);
    spec.external_ref = Some(external_ref);
    spec.lines = vec![("SKU-1", 10, 12_500), ("SKU-2", 3, 990), ("SKU-3", 1, 0)];
    let mut o = spec.build();
    o.sync_receivable(Uuid::now_v7(), at(0)).unwrap();
    let shipped = ship(&mut o, 10, Some("dhl"), at(1));
    dispatch(&mut o, shipped, &format!("TRK-{number}"), at(1));
    o.deliver_shipment(shipped, at(2)).unwrap();
    let meta = |key: &str| EntryMeta::new(Uuid::now_v7(), format!("{number}-{key}"), at(5));
    let paid = Money::from_minor(127_970, o.currency());
    o.record_payment(meta("pay").with_details(Some("ch_1".into()), Some("card".into())), paid, at(3)).unwrap();
    let returned = ReturnId::from_uuid(Uuid::now_v7());
    let lines = vec![LinePick::new("SKU-1", "vendor-1", 3)];
    o.request_return(NewReturn { id: returned, lines, reason: Some("too big".into()) }, at(4)).unwrap();
    o.approve_return(returned, at(4)).unwrap();
    let policy = RefundPolicy { restocking_fee: FeeRate::from_percent(10).unwrap(), max_refund_amount: None };
    o.refund_return(returned, meta("refund"), &policy, Some("ok"), at(5)).unwrap();
    (o, shipped, returned)
}

pub async fn an_order_costs_two_queries_however_it_is_read(db: &Database) {
    let t = tenant("acme");
    let (o, shipped, returned) = full_order("ORD-000001", "ext-1");
    let (other, ..) = full_order("ORD-000002", "ext-2");
    assert!(o.lines().len() > 1 && !o.shipments().is_empty() && !o.returns().is_empty());
    assert!(o.journal().len() >= 3, "{} entries", o.journal().len());
    let plain = db.order_store();
    let mut tx = plain.begin(&t).await.unwrap();
    tx.insert_order(&o).await.unwrap();
    tx.insert_order(&other).await.unwrap();
    tx.commit().await.unwrap();

    let (store, statements) = counted(db);
    let at_most_two = |what: &str| {
        let run = statements.take();
        assert!(!run.is_empty() && run.len() <= 2, "{what} ran {} statements: {run:#?}", run.len());
        run
    };
    // SQLite reads an order by id as one compound statement through sqlx itself (one hand-off:
    // `sqlite_reads`), which SeaORM's callback does not see.
    let sqlite = db.backend_name() == "sqlite";
    let by_id = |what: &str| {
        if sqlite {
            let run = statements.take();
            assert!(run.is_empty(), "{what} went through SeaORM: {run:#?}");
        } else {
            at_most_two(what);
        }
    };
    assert_same(&store.order(&t, o.id()).await.unwrap().unwrap(), &o);
    by_id("order(id)");
    assert_same(&store.order_by_external_ref(&t, "ext-1").await.unwrap().unwrap(), &o);
    at_most_two("orderByExternalRef");
    assert_same(&store.order_of_shipment(&t, shipped).await.unwrap().unwrap(), &o);
    at_most_two("the order of a shipment");
    assert!(store.order(&t, OrderId::from_uuid(Uuid::now_v7())).await.unwrap().is_none());
    if !sqlite {
        assert_eq!(statements.take().len(), 1, "a missing order has no children to load");
    }

    let everything = OrderQuery { filter: OrderFilter::default(), first: 10, after: None };
    let page = store.orders(&t, &everything).await.unwrap();
    at_most_two("a page of two orders");
    assert_same(&page.orders[0], &other);
    assert_same(&page.orders[1], &o);
    let window = OrderFilter { created_after: Some(at(-1)), ..Default::default() };
    let after = Some(OrderCursor::after(&page.orders[0], window.sort()));
    let rest = store.orders(&t, &OrderQuery { filter: window, first: 10, after }).await.unwrap();
    at_most_two("a page after a cursor, in a time window");
    assert_eq!(rest.orders.len(), 1);
    assert_same(&rest.orders[0], &o);

    let mut tx = store.begin(&t).await.unwrap();
    statements.take();
    assert_same(&tx.lock_order(o.id()).await.unwrap().unwrap(), &o);
    let locked = at_most_two("lock_order");
    if db.backend_name() == "postgres" {
        assert!(locked[0].contains("FOR UPDATE"), "the order row is read under its lock: {}", locked[0]);
    }
    assert_same(&tx.lock_order_of_shipment(shipped).await.unwrap().unwrap(), &o);
    at_most_two("lock_order_of_shipment");
    assert_same(&tx.lock_order_of_return(returned).await.unwrap().unwrap(), &o);
    at_most_two("lock_order_of_return");
    assert_same(&tx.order_by_external_ref("ext-2").await.unwrap().unwrap(), &other);
    at_most_two("orderByExternalRef in a transaction");
}

/// A store whose SQLite writer reports every statement it runs.
fn counted_sqlite_store(db: &Database, statements: &Statements) -> SeaOrderStore {
    SeaOrderStore {
        reader: db.reader.clone(),
        writer: db.writer.clone(),
        group: Some(Arc::new(GroupCommit::new(statements.instrument(&db.writer)))),
        counting: None,
        signals: db.signals.clone(),
        _alive: db.alive.clone(),
    }
}

/// A create, in the order the runner makes its first attempt's calls; answers the order as
/// stored, or the first error.
async fn create(
    store: &SeaOrderStore,
    t: &domain::TenantId,
    external_ref: &'static str,
) -> Result<Order, application::ports::StoreError> {
    use application::ports::{AuditRecord, IdempotencyRecord, OutboxEvent};

    let mut spec = Spec::new("acme", "pending-1");
    spec.external_ref = Some(external_ref);
    let mut o = spec.build();
    o.sync_receivable(Uuid::now_v7(), at(0)).unwrap();
    assert!(!o.journal().is_empty(), "the order's receivable is written with it");

    let mut tx = store.begin(t).await?;
    tx.insert_order(&o).await?;
    let key = IdempotencyRecord {
        key: format!("key-{external_ref}"),
        operation: "createOrder".into(),
        fingerprint: "sha256:1".into(),
        resource_id: o.id().to_string(),
        created_at: at(0),
    };
    tx.save_idempotency_record(&key).await?;
    let (number, _) = tx.count_new_order("orders:2026-12", None).await?;
    let number = format!("ORD-{number:06}");
    tx.renumber_order(o.id(), &number).await?;
    let event = OutboxEvent {
        id: Uuid::now_v7(),
        tenant_id: t.clone(),
        event_type: "order.created".into(),
        aggregate_id: o.id().to_string(),
        aggregate_version: 1,
        occurred_at: at(0),
        payload: serde_json::json!({ "number": number }),
    };
    tx.append_outbox(&[event]).await?;
    let record = AuditRecord {
        id: Uuid::now_v7(),
        tenant_id: Some(t.clone()),
        actor: "user-1".into(),
        action: "createOrder".into(),
        order_id: Some(o.id().to_string()),
        target_ids: vec![o.id().to_string()],
        input: serde_json::json!({}),
        outcome: "OK".into(),
        request_id: None,
        occurred_at: at(0),
    };
    tx.append_audit(&record).await?;
    tx.commit().await?;
    let stored = store.order(t, o.id()).await.unwrap().unwrap();
    assert_eq!(stored.number(), number);
    assert_eq!(stored.journal().len(), o.journal().len());
    Ok(stored)
}

/// SQLite: a create reaches the writer's worker thread once (the savepoint, its rows, the
/// counters guarded by the values the writer knows, the outbox and audit record, the release),
/// not once per statement. The tenant's first create costs one more, to read its counters; a
/// read inside the command costs one more too (shown with the externalRef look-up of a later
/// attempt).
pub async fn a_created_order_reaches_the_sqlite_writer_once(db: &Database) {
    let statements = Statements::default();
    let store = counted_sqlite_store(db, &statements);
    let t = tenant("acme");

    let first = create(&store, &t, "ext-1").await.unwrap();
    assert_eq!(first.number(), "ORD-000001");
    let sent = statements.take();
    assert_eq!(sent.len(), 2, "the counters are read once: {sent:#?}");
    assert!(sent[0].starts_with("SAVEPOINT") && sent[1].ends_with("RELEASE command"), "{sent:#?}");

    let second = create(&store, &t, "ext-2").await.unwrap();
    assert_eq!(second.number(), "ORD-000002");
    let sent = statements.take();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert!(sent[0].starts_with("SAVEPOINT") && sent[0].ends_with("RELEASE command"), "{sent:#?}");

    let mut tx = store.begin(&t).await.unwrap();
    assert_same(&tx.order_by_external_ref("ext-1").await.unwrap().unwrap(), &first);
    drop(tx);
    let sent = statements.take();
    assert_eq!(sent.len(), 2, "the savepoint with the order's row, then its children: {sent:#?}");
}

/// SQLite: counters changed behind the writer's back (another process on the same file) make
/// the next create a conflict, which changes nothing; the one after reads what is stored and
/// numbers on from there, with no number given twice.
pub async fn a_counter_changed_outside_the_writer_is_a_conflict_then_read_again(db: &Database) {
    use sea_orm::ConnectionTrait;

    let statements = Statements::default();
    let store = counted_sqlite_store(db, &statements);
    let t = tenant("acme");
    assert_eq!(create(&store, &t, "ext-1").await.unwrap().number(), "ORD-000001");

    db.writer
        .execute_unprepared("UPDATE tenant_counters SET value = 41 WHERE tenant_id = 'acme' AND name = 'order_number'")
        .await
        .unwrap();
    let refused = create(&store, &t, "ext-2").await.unwrap_err();
    assert!(matches!(refused, application::ports::StoreError::Conflict(_)), "{refused:?}");
    let mut tx = store.begin(&t).await.unwrap();
    assert!(tx.order_by_external_ref("ext-2").await.unwrap().is_none(), "the conflict wrote nothing");
    drop(tx);

    assert_eq!(create(&store, &t, "ext-2").await.unwrap().number(), "ORD-000042");
    assert_eq!(create(&store, &t, "ext-3").await.unwrap().number(), "ORD-000043");
}
