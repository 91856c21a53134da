//! Issue 12: row-level security on PostgreSQL, the wall behind every query's tenant filter.
//! PostgreSQL only (SQLite has none), run against `TEST_DATABASE_URL`, which CI points at the
//! `postgres` superuser: exactly the case the policies must survive.

use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

use super::{
    fixtures::{order, tenant},
    harness::TestDb,
};
use crate::persistence::{
    Database,
    row_security::APP_ROLE,
    scope::{Scope, begin_read, begin_write},
};

async fn one_row(conn: &impl ConnectionTrait, sql: &str) -> sea_orm::QueryResult {
    conn.query_one_raw(Statement::from_string(DbBackend::Postgres, sql)).await.unwrap().expect("one row")
}

async fn count(conn: &impl ConnectionTrait, sql: &str) -> i64 {
    one_row(conn, sql).await.try_get_by_index::<i64>(0).unwrap()
}

/// One order of each of two tenants, through the store (which scopes its transactions).
async fn two_tenants(db: &Database) {
    let store = db.order_store();
    for name in ["acme", "globex"] {
        let mut tx = store.begin(&tenant(name)).await.unwrap();
        tx.insert_order(&order(name, "ORD-000001")).await.unwrap();
        tx.commit().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tenant_table_has_rls_enabled_forced_and_a_policy() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set; PostgreSQL test skipped");
        return;
    };
    let owner = db.db.owner_connection().await;
    let rows = owner
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT c.relname::text AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
                    (SELECT count(*) FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname) AS policies
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY 1",
        ))
        .await
        .unwrap();
    let tables: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "name").unwrap()).collect();
    // Not a list to keep up to date: a sanity floor, so the check cannot pass on no tables.
    for expected in ["orders", "shipments", "audit_log", "outbox_events", "webhook_deliveries", "tenant_counters"] {
        assert!(tables.iter().any(|t| t == expected), "{expected} has a tenant_id: {tables:?}");
    }
    for row in &rows {
        let name: String = row.try_get("", "name").unwrap();
        assert!(row.try_get::<bool>("", "enabled").unwrap(), "{name}: RLS not enabled");
        assert!(row.try_get::<bool>("", "forced").unwrap(), "{name}: RLS not forced");
        assert!(row.try_get::<i64>("", "policies").unwrap() >= 1, "{name}: no policy");
    }
    owner.close().await.unwrap();
    db.finish().await;
}

/// The URL names a superuser, yet every pooled connection queries as the app role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_connections_are_neither_superuser_nor_bypassrls() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set; PostgreSQL test skipped");
        return;
    };
    let sql = "SELECT current_user::text AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypass,
                      (SELECT s.rolsuper OR s.rolbypassrls FROM pg_roles s WHERE s.rolname = session_user) AS url_privileged
               FROM pg_roles r WHERE r.rolname = current_user";
    // Several connections at once, so more than the pool's first one is looked at.
    let mut held = Vec::new();
    for _ in 0..3 {
        let tx = db.db.reader.begin().await.unwrap();
        let row = one_row(&tx, sql).await;
        assert!(!row.try_get::<bool>("", "superuser").unwrap());
        assert!(!row.try_get::<bool>("", "bypass").unwrap());
        if row.try_get::<bool>("", "url_privileged").unwrap() {
            assert_eq!(row.try_get::<String>("", "role").unwrap(), APP_ROLE);
        }
        held.push(tx);
    }
    drop(held);
    db.finish().await;
}

/// A query with no tenant filter at all, in a tenant's transaction, sees that tenant's rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unscoped_query_sees_only_the_current_tenants_rows() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set; PostgreSQL test skipped");
        return;
    };
    two_tenants(&db.db).await;
    let tx = begin_read(&db.db.reader, Scope::Tenant("acme")).await.unwrap();
    let rows = tx
        .query_all_raw(Statement::from_string(DbBackend::Postgres, "SELECT DISTINCT tenant_id FROM orders"))
        .await
        .unwrap();
    let seen: Vec<String> = rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
    assert_eq!(seen, ["acme"]);
    assert_eq!(count(&tx, "SELECT count(*) FROM order_lines WHERE tenant_id <> 'acme'").await, 0);
    tx.commit().await.unwrap();

    let platform = begin_read(&db.db.reader, Scope::Platform).await.unwrap();
    assert_eq!(count(&platform, "SELECT count(DISTINCT tenant_id) FROM orders").await, 2, "the platform sees all");
    platform.commit().await.unwrap();
    db.finish().await;
}

/// No tenant set: no rows, also on a connection whose previous transaction had one (a custom
/// setting reads back as '' afterwards, and some platform rows have the tenant id '').
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_tenant_no_rows_are_visible_or_writable() {
    let Some(db) = TestDb::postgres().await else {
        eprintln!("TEST_DATABASE_URL is not set; PostgreSQL test skipped");
        return;
    };
    two_tenants(&db.db).await;
    // A config write takes the revision counter, a row of tenant ''.
    let store = db.db.config_store();
    let write = application::ports::ConfigWrite {
        kind: application::ports::ConfigKind::Plan,
        key: "basic".to_owned(),
        document: serde_json::json!({"permissions": []}),
        expected_version: None,
        changed_by: "test".to_owned(),
        summary: String::new(),
    };
    store.write(&[write], None).await.unwrap();

    // One connection throughout (a transaction pins it): first scoped, then not.
    let tx = db.db.reader.begin().await.unwrap();
    tx.execute_unprepared("SELECT set_config('app.current_tenant', 'acme', true)").await.unwrap();
    assert_eq!(count(&tx, "SELECT count(*) FROM orders").await, 1);
    tx.commit().await.unwrap();
    for sql in [
        "SELECT count(*) FROM orders",
        "SELECT count(*) FROM order_lines",
        "SELECT count(*) FROM tenant_counters",
        "SELECT count(*) FROM audit_log",
    ] {
        assert_eq!(count(&db.db.reader, sql).await, 0, "{sql} without a tenant");
    }
    let unscoped = db.db.writer.begin().await.unwrap();
    let refused = unscoped
        .execute_unprepared("INSERT INTO tenant_counters (tenant_id, name, value) VALUES ('acme', 'sneaky', 1)")
        .await;
    assert!(refused.is_err(), "a write without a tenant is refused: {refused:?}");
    drop(unscoped);

    // In acme's scope, a row of globex can be neither written nor changed.
    let acme = begin_write(&db.db.writer, Scope::Tenant("acme")).await.unwrap();
    let refused =
        acme.execute_unprepared("INSERT INTO tenant_counters (tenant_id, name, value) VALUES ('globex', 'x', 1)").await;
    assert!(refused.is_err(), "another tenant's row is refused: {refused:?}");
    drop(acme);
    let acme = begin_write(&db.db.writer, Scope::Tenant("acme")).await.unwrap();
    let changed = acme.execute_unprepared("UPDATE orders SET number = 'ORD-999999'").await.unwrap();
    assert_eq!(changed.rows_affected(), 1, "only acme's order");
    drop(acme);
    db.finish().await;
}
