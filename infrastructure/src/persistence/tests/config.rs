use std::sync::Arc;

use application::ports::{ConfigKind, ConfigSnapshot, ConfigStore, ConfigVersion, ConfigWrite, StoreError};
use chrono::{SubsecRound, Utc};
use sea_orm::{EntityTrait, IntoActiveModel};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};

use super::fixtures::tenant;
use crate::persistence::{Database, entities::config_versions, migrations::Migrator};

const TASKS: usize = 20;

fn change(kind: ConfigKind, key: &str, document: Value, expected_version: Option<i64>) -> ConfigWrite {
    ConfigWrite {
        kind,
        key: key.to_owned(),
        document,
        changed_by: "admin-1".to_owned(),
        summary: format!("set {} {key}", kind.as_str()),
        expected_version,
    }
}

/// One write on its own, which must succeed.
async fn put(store: &dyn ConfigStore, kind: ConfigKind, key: &str, document: Value) -> ConfigVersion {
    let mut stored = store.write(&[change(kind, key, document, None)], None).await.unwrap();
    assert_eq!(stored.len(), 1);
    stored.remove(0)
}

async fn everything(store: &dyn ConfigStore, kind: ConfigKind, key: &str) -> Vec<ConfigVersion> {
    store.history(kind, key, u64::MAX, None).await.unwrap()
}

fn versions(history: &[ConfigVersion]) -> Vec<i64> {
    history.iter().map(|v| v.version).collect()
}

fn conflict(message: &str) -> Result<Vec<ConfigVersion>, StoreError> {
    Err(StoreError::Conflict(message.to_owned()))
}

pub async fn config_first_write_is_version_1_at_revision_1(db: &Database) {
    let store = db.config_store();
    assert_eq!(store.revision().await.unwrap(), 0);
    assert_eq!(store.current().await.unwrap(), ConfigSnapshot::default());
    assert!(everything(&*store, ConfigKind::Tenant, "acme").await.is_empty());

    let before = Utc::now().trunc_subsecs(6);
    let written = store
        .write(
            &[ConfigWrite {
                changed_by: "config-file".to_owned(),
                summary: "created tenant acme".to_owned(),
                ..change(ConfigKind::Tenant, "acme", json!({ "plan": "standard", "status": "active" }), None)
            }],
            None,
        )
        .await
        .unwrap();
    let after = Utc::now();

    let v = &written[0];
    assert_eq!((v.kind, v.key.as_str(), v.version, v.revision), (ConfigKind::Tenant, "acme", 1, 1));
    assert_eq!(v.document, json!({ "plan": "standard", "status": "active" }));
    assert_eq!((v.changed_by.as_str(), v.summary.as_str()), ("config-file", "created tenant acme"));
    assert!(before <= v.changed_at && v.changed_at <= after, "{} not in [{before}, {after}]", v.changed_at);

    assert_eq!(store.revision().await.unwrap(), 1);
    assert_eq!(store.current().await.unwrap(), ConfigSnapshot { documents: written.clone(), revision: 1 });
    assert_eq!(everything(&*store, ConfigKind::Tenant, "acme").await, written);
    // Nothing to write is no change: no revision is used up.
    assert_eq!(store.write(&[], None).await.unwrap(), Vec::new());
    assert_eq!(store.revision().await.unwrap(), 1);
}

pub async fn config_revisions_increase_across_documents(db: &Database) {
    let store = db.config_store();
    let a = put(&*store, ConfigKind::Plan, "standard", json!({ "limits": {} })).await;
    let b = put(&*store, ConfigKind::Tenant, "acme", json!({ "plan": "standard" })).await;
    // Same key, other kind: another document.
    let c = put(&*store, ConfigKind::TenantConfig, "acme", json!({ "auto_confirm_orders": true })).await;
    let d = put(&*store, ConfigKind::Tenant, "standard", json!({ "plan": "standard" })).await;
    assert_eq!([a.revision, b.revision, c.revision, d.revision], [1, 2, 3, 4]);
    assert_eq!([a.version, b.version, c.version, d.version], [1, 1, 1, 1]);

    // A batch comes back in input order, one revision each; a document named twice gets two
    // consecutive versions.
    let batch = store
        .write(
            &[
                change(ConfigKind::TenantConfig, "globex", json!({ "n": 1 }), Some(0)),
                change(ConfigKind::Tenant, "acme", json!({ "plan": "gold" }), Some(1)),
                change(ConfigKind::Plan, "standard", json!({ "limits": { "orders_per_month": 1 } }), None),
                change(ConfigKind::Tenant, "acme", json!({ "plan": "gold", "status": "suspended" }), Some(2)),
            ],
            None,
        )
        .await
        .unwrap();
    let shape: Vec<_> = batch.iter().map(|v| (v.kind, v.key.as_str(), v.version, v.revision)).collect();
    assert_eq!(
        shape,
        vec![
            (ConfigKind::TenantConfig, "globex", 1, 5),
            (ConfigKind::Tenant, "acme", 2, 6),
            (ConfigKind::Plan, "standard", 2, 7),
            (ConfigKind::Tenant, "acme", 3, 8),
        ]
    );
    assert_eq!(batch[3].document, json!({ "plan": "gold", "status": "suspended" }));
    let e = put(&*store, ConfigKind::Plan, "gold", json!({})).await;
    assert_eq!((e.version, e.revision), (1, 9));
    assert_eq!(store.revision().await.unwrap(), 9);

    // The revision counter sits beside the tenants' counters without touching them.
    let mut tx = db.order_store().begin(&tenant("acme")).await.unwrap();
    assert_eq!(tx.next_order_number().await.unwrap(), 1);
    tx.commit().await.unwrap();
    assert_eq!(put(&*store, ConfigKind::Plan, "gold", json!({})).await.revision, 10);
}

pub async fn config_expected_version_guards_each_document(db: &Database) {
    let store = db.config_store();
    let acme = |document: Value, expected: Option<i64>| [change(ConfigKind::Tenant, "acme", document, expected)];

    // Some(0): only a new document.
    assert_eq!(store.write(&acme(json!({ "v": 1 }), Some(0)), None).await.unwrap()[0].version, 1);
    assert_eq!(
        store.write(&acme(json!({ "x": 1 }), Some(0)), None).await,
        conflict("tenant acme is at version 1, not 0")
    );
    // Some(latest) appends; a stale or future version is refused.
    assert_eq!(store.write(&acme(json!({ "v": 2 }), Some(1)), None).await.unwrap()[0].version, 2);
    assert_eq!(
        store.write(&acme(json!({ "x": 2 }), Some(1)), None).await,
        conflict("tenant acme is at version 2, not 1")
    );
    assert_eq!(
        store.write(&acme(json!({ "x": 3 }), Some(3)), None).await,
        conflict("tenant acme is at version 2, not 3")
    );
    // An absent document is at version 0.
    let gold = [change(ConfigKind::Plan, "gold", json!({}), Some(1))];
    assert_eq!(store.write(&gold, None).await, conflict("plan gold is at version 0, not 1"));
    let other_kind = [change(ConfigKind::TenantConfig, "acme", json!({}), Some(2))];
    assert_eq!(store.write(&other_kind, None).await, conflict("tenant_config acme is at version 0, not 2"));
    // None appends whatever the latest is.
    let v3 = store.write(&acme(json!({ "v": 3 }), None), None).await.unwrap();
    assert_eq!((v3[0].version, v3[0].revision), (3, 3));

    // Refused writes left no trace, not even a used-up revision.
    assert_eq!(store.revision().await.unwrap(), 3);
    let history = everything(&*store, ConfigKind::Tenant, "acme").await;
    assert_eq!(versions(&history), vec![3, 2, 1]);
    let documents: Vec<_> = history.iter().map(|v| v.document.clone()).collect();
    assert_eq!(documents, vec![json!({ "v": 3 }), json!({ "v": 2 }), json!({ "v": 1 })]);
    assert!(everything(&*store, ConfigKind::Plan, "gold").await.is_empty());
    assert!(everything(&*store, ConfigKind::TenantConfig, "acme").await.is_empty());
}

pub async fn config_batch_with_one_stale_write_writes_nothing(db: &Database) {
    let store = db.config_store();
    put(&*store, ConfigKind::Plan, "standard", json!({ "v": 1 })).await;
    put(&*store, ConfigKind::Tenant, "acme", json!({ "v": 1 })).await;
    put(&*store, ConfigKind::Tenant, "acme", json!({ "v": 2 })).await;
    let before = store.current().await.unwrap();

    for stale_at in 0..3 {
        let mut batch = vec![
            change(ConfigKind::Tenant, "globex", json!({ "new": true }), Some(0)),
            change(ConfigKind::Plan, "standard", json!({ "v": 2 }), Some(1)),
            change(ConfigKind::TenantConfig, "acme", json!({ "v": 1 }), None),
        ];
        batch.insert(stale_at, change(ConfigKind::Tenant, "acme", json!({ "stale": true }), Some(1)));
        assert_eq!(
            store.write(&batch, None).await,
            conflict("tenant acme is at version 2, not 1"),
            "stale at {stale_at}"
        );
    }
    // Two writes of one document that both expect the version before the batch: the second is stale.
    let twice = [
        change(ConfigKind::Plan, "standard", json!({ "v": 2 }), Some(1)),
        change(ConfigKind::Plan, "standard", json!({ "v": 2 }), Some(1)),
    ];
    assert_eq!(store.write(&twice, None).await, conflict("plan standard is at version 2, not 1"));

    assert_eq!(store.current().await.unwrap(), before);
    assert_eq!(store.revision().await.unwrap(), 3);
    assert!(everything(&*store, ConfigKind::Tenant, "globex").await.is_empty());
    assert_eq!(versions(&everything(&*store, ConfigKind::Plan, "standard").await), vec![1]);
    // The refused batches used up no revisions.
    let next = store.write(&[change(ConfigKind::Tenant, "acme", json!({ "v": 3 }), Some(2))], None).await.unwrap();
    assert_eq!((next[0].version, next[0].revision), (3, 4));
}

pub async fn config_current_holds_only_latest_versions(db: &Database) {
    let store = db.config_store();
    let mut latest = Vec::new();
    for (kind, key, changes) in [
        (ConfigKind::Tenant, "globex", 2),
        (ConfigKind::Plan, "standard", 3),
        (ConfigKind::TenantConfig, "acme", 1),
        (ConfigKind::Tenant, "acme", 4),
        (ConfigKind::Plan, "gold", 1),
    ] {
        let mut last = None;
        for n in 1..=changes {
            last = Some(put(&*store, kind, key, json!({ "key": key, "n": n })).await);
        }
        latest.push(last.unwrap());
    }
    // Interleaved: an older document changes again after the others.
    latest[0] = put(&*store, ConfigKind::Tenant, "globex", json!({ "key": "globex", "n": 3 })).await;

    let snapshot = store.current().await.unwrap();
    assert_eq!(snapshot.revision, 12);
    assert_eq!(store.revision().await.unwrap(), 12);
    let shape: Vec<_> = snapshot.documents.iter().map(|v| (v.kind, v.key.as_str(), v.version, v.revision)).collect();
    assert_eq!(
        shape,
        vec![
            (ConfigKind::Plan, "gold", 1, 11),
            (ConfigKind::Plan, "standard", 3, 5),
            (ConfigKind::Tenant, "acme", 4, 10),
            (ConfigKind::Tenant, "globex", 3, 12),
            (ConfigKind::TenantConfig, "acme", 1, 6),
        ]
    );
    latest.sort_by(|a, b| (a.kind.as_str(), &a.key).cmp(&(b.kind.as_str(), &b.key)));
    assert_eq!(snapshot.documents, latest);
}

pub async fn config_history_pages_newest_first(db: &Database) {
    let store = db.config_store();
    let mut written = Vec::new();
    for n in 1..=7 {
        written.push(put(&*store, ConfigKind::Tenant, "acme", json!({ "n": n })).await);
        // Look-alikes that must stay out of acme's history.
        put(&*store, ConfigKind::TenantConfig, "acme", json!({ "n": n })).await;
        put(&*store, ConfigKind::Tenant, "acme2", json!({ "n": n })).await;
    }
    let newest_first: Vec<_> = written.iter().rev().cloned().collect();
    let page =
        async |first: u64, before: Option<i64>| store.history(ConfigKind::Tenant, "acme", first, before).await.unwrap();

    assert_eq!(page(3, None).await, newest_first[0..3]);
    assert_eq!(versions(&page(3, Some(5)).await), vec![4, 3, 2]);
    assert_eq!(page(3, Some(2)).await, newest_first[6..]);
    assert!(page(3, Some(1)).await.is_empty());
    assert!(page(3, Some(0)).await.is_empty());
    assert!(page(0, None).await.is_empty());
    assert_eq!(page(7, None).await, newest_first);
    assert_eq!(page(u64::MAX, None).await, newest_first);
    assert_eq!(page(100, Some(100)).await, newest_first);
    assert_eq!(versions(&page(1, Some(7)).await), vec![6]);

    // Paging by the last version seen visits every version once.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let p = page(2, before).await;
        let Some(last) = p.last() else { break };
        before = Some(last.version);
        seen.extend(p);
    }
    assert_eq!(seen, newest_first);
    assert!(store.history(ConfigKind::Plan, "acme", 10, None).await.unwrap().is_empty());
    assert!(store.history(ConfigKind::Tenant, "ACME", 10, None).await.unwrap().is_empty());
}

pub async fn config_documents_round_trip_exactly(db: &Database) {
    let store = db.config_store();
    let tenant_document = json!({
        "plan": "standard",
        "status": "active",
        "idp": {
            "issuer": "https://idp.tenant123.example/realms/t1",
            "algorithms": ["RS256", "ES256"],
            "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----\n",
        },
        "webhooks": {
            "shipment_tracker": {
                "tracking_reference_jmespath": "result.tracking_code || data.tracking_code",
                "status_map": { "in_transit": "IN_TRANSIT", "delivered": "DELIVERED" },
                "max_age_seconds": 300,
            },
        },
        "name": "Ünïcødé — شركة 速い ✓ 🚚",
        "quoted": "\"q\" \\ \t \u{0}",
        "empty": {},
        "none": [],
        "nested": [[[{ "deep": [null, true, false, 0, -1] }]]],
        "missing": null,
        "big": u64::MAX,
        "small": i64::MIN,
        "float": 0.1,
        "exponent": 1.5e300,
        "tiny": -2.5e-7,
        "percent": 10,
        "amount": "500.00",
    });
    let documents = [
        (ConfigKind::Tenant, "tenant_123", tenant_document),
        (
            ConfigKind::TenantConfig,
            "tenant_123",
            json!({ "roles": { "vendor": ["order:read"], "tenant_admin": ["*"] } }),
        ),
        (ConfigKind::Plan, "scalar", json!("just a string")),
        (ConfigKind::Plan, "null", Value::Null),
        (ConfigKind::Plan, "number", json!(42)),
        (ConfigKind::Plan, "array", json!([1, "two", { "three": 3 }])),
        (ConfigKind::Plan, "ключ ✓", json!({})),
    ];
    let writes: Vec<_> = documents
        .iter()
        .map(|(kind, key, document)| ConfigWrite {
            changed_by: "sub|with|pipes ü".to_owned(),
            summary: "changed idp.issuer; secret [REDACTED] — ✓".to_owned(),
            ..change(*kind, key, document.clone(), None)
        })
        .collect();
    let written = store.write(&writes, None).await.unwrap();
    for ((kind, key, document), v) in documents.iter().zip(&written) {
        assert_eq!((&v.kind, v.key.as_str(), &v.document), (kind, *key, document));
        assert_eq!(everything(&*store, *kind, key).await, vec![v.clone()]);
    }
    let mut current = store.current().await.unwrap().documents;
    current.sort_by_key(|v| v.revision);
    assert_eq!(current, written);
    let stored = &everything(&*store, ConfigKind::Tenant, "tenant_123").await[0].document;
    assert_eq!(stored["big"].as_u64(), Some(u64::MAX));
    assert_eq!(stored["small"].as_i64(), Some(i64::MIN));
    assert_eq!(stored["float"].as_f64(), Some(0.1));
    assert_eq!(stored["quoted"].as_str(), Some("\"q\" \\ \t \u{0}"));
}

/// 20 admins edit the same version at once: exactly one may win, the rest are told they were
/// too late, and nobody sees a storage error.
pub async fn config_concurrent_writers_expecting_one_version_one_wins(db: &Database) {
    let store = db.config_store();
    put(&*store, ConfigKind::Tenant, "acme", json!({ "n": 0 })).await;
    let results = race(&store, |i| change(ConfigKind::Tenant, "acme", json!({ "n": i }), Some(1))).await;

    let mut winners = Vec::new();
    for result in results {
        match result {
            Ok(mut stored) => winners.push(stored.remove(0)),
            Err(StoreError::Conflict(_)) => {}
            Err(other) => panic!("a lost race must be a conflict, not {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!((winners[0].version, winners[0].revision), (2, 2));
    let history = everything(&*store, ConfigKind::Tenant, "acme").await;
    assert_eq!(versions(&history), vec![2, 1]);
    assert_eq!(history[0], winners[0]);
    assert_eq!(store.revision().await.unwrap(), 2);
}

/// Unconditional writers all succeed, each with its own version and revision, in the same order.
pub async fn config_concurrent_unconditional_writers_all_append(db: &Database) {
    let store = db.config_store();
    put(&*store, ConfigKind::Tenant, "acme", json!({ "n": 0 })).await;
    let results = race(&store, |i| change(ConfigKind::Tenant, "acme", json!({ "n": i }), None)).await;

    let mut stored: Vec<ConfigVersion> =
        results.into_iter().map(|r| r.expect("no error for unconditional writers").remove(0)).collect();
    stored.sort_by_key(|v| v.version);
    let expected_versions: Vec<i64> = (2..=21).collect();
    assert_eq!(versions(&stored), expected_versions);
    // One document, so the revisions run in step with its versions.
    let revisions: Vec<i64> = stored.iter().map(|v| v.revision).collect();
    assert_eq!(revisions, expected_versions);

    let history = everything(&*store, ConfigKind::Tenant, "acme").await;
    assert_eq!(history.len(), TASKS + 1);
    stored.reverse();
    assert_eq!(history[..TASKS], stored[..]);
    assert_eq!(store.revision().await.unwrap(), 21);
}

async fn race(
    store: &Arc<dyn ConfigStore>,
    write: impl Fn(usize) -> ConfigWrite,
) -> Vec<Result<Vec<ConfigVersion>, StoreError>> {
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let mut tasks = Vec::new();
    for i in 0..TASKS {
        let (store, barrier, write) = (store.clone(), barrier.clone(), write(i));
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            store.write(&[write], None).await
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// Versions are taken under the revision counter, so this can only happen to a writer that
/// bypassed it; it must still read as a lost race, and a reused revision as a bug.
pub async fn config_taken_version_is_a_conflict(db: &Database) {
    let store = db.config_store();
    let v1 = put(&*store, ConfigKind::Tenant, "acme", json!({ "n": 1 })).await;
    let raw = |version: i64, revision: i64| {
        let row = config_versions::Model {
            kind: "tenant".to_owned(),
            key: "acme".to_owned(),
            version,
            document: "{}".to_owned(),
            changed_by: "system".to_owned(),
            changed_at: v1.changed_at,
            summary: String::new(),
            revision,
        };
        config_versions::Entity::insert(row.into_active_model()).exec_without_returning(&db.writer)
    };
    let taken = raw(1, 99).await.map_err(crate::persistence::errors::store_error);
    // Fixed text: the client sees it as it is, so it names no constraint and quotes no driver.
    let fixed = crate::persistence::errors::CONCURRENT_CHANGE.to_owned();
    assert_eq!(taken, Err(StoreError::Conflict(fixed)));
    let reused = raw(2, 1).await.map_err(crate::persistence::errors::store_error);
    assert!(matches!(reused, Err(StoreError::Internal(_))), "{reused:?}");
    assert_eq!(everything(&*store, ConfigKind::Tenant, "acme").await, vec![v1]);
}

/// Rolling the migration back forgets the documents and the revision alike, and leaves the
/// tenants' counters alone; applying it again starts over at revision 1.
pub async fn config_migration_rolls_back_cleanly(db: &Database) {
    let store = db.config_store();
    put(&*store, ConfigKind::Plan, "standard", json!({ "v": 1 })).await;
    put(&*store, ConfigKind::Plan, "standard", json!({ "v": 2 })).await;
    let mut tx = db.order_store().begin(&tenant("acme")).await.unwrap();
    assert_eq!(tx.next_order_number().await.unwrap(), 1);
    tx.commit().await.unwrap();

    // The migrations that came after it are rolled back first.
    let since_config = Migrator::migrations()
        .iter()
        .rev()
        .position(|m| m.name() == "m20261123_000003_config_versions")
        .expect("the config migration is registered");
    Migrator::down(&db.owner_connection().await, Some(u32::try_from(since_config + 1).unwrap())).await.unwrap();
    db.migrate().await.unwrap();

    assert_eq!(store.current().await.unwrap(), ConfigSnapshot::default());
    let first = put(&*store, ConfigKind::Plan, "standard", json!({ "v": 1 })).await;
    assert_eq!((first.version, first.revision), (1, 1));
    let mut tx = db.order_store().begin(&tenant("acme")).await.unwrap();
    assert_eq!(tx.next_order_number().await.unwrap(), 2);
    tx.commit().await.unwrap();
}

/// Importing writes what differs, once: the same file again changes nothing, a tenant's own
/// settings are only seeded, and documents the file leaves out stay.
pub async fn config_import_writes_only_what_changed(db: &Database) {
    use crate::config::{SaasConfig, import};
    let store = db.config_store();
    let file = |plan_limit: u64, auto_confirm: bool| {
        SaasConfig::from_json_str(
            &json!({
                "plans": { "gold": { "permissions": ["order:read"], "limits": { "orders_per_month": plan_limit } } },
                "tenants": { "acme": { "plan": "gold", "idp": { "issuer": "https://idp.acme.example", "audience": "oms",
                    "algorithms": ["HS256"], "hs256_secret": "acme-dev-secret-0123456789abcdef0123" },
                    "tenant_config": { "auto_confirm_orders": auto_confirm } } }
            })
            .to_string(),
        )
        .unwrap()
    };
    let first = import(&*store, &file(10, true), "oms.json").await.unwrap();
    assert_eq!(first.written.len(), 3, "{first}");
    let again = import(&*store, &file(10, true), "oms.json").await.unwrap();
    assert!(again.written.is_empty(), "{again}");
    assert_eq!(again.unchanged, 3);

    let changed = import(&*store, &file(20, false), "oms.json").await.unwrap();
    assert_eq!(changed.written, vec![(ConfigKind::Plan, "gold".to_owned(), 2)], "{changed}");
    assert_eq!(changed.kept_tenant_configs, vec!["acme".to_owned()]);
    let plan = store.history(ConfigKind::Plan, "gold", 1, None).await.unwrap().remove(0);
    assert_eq!(plan.changed_by, "config-file");
    assert_eq!(plan.summary, "changed limits.orders_per_month of plan gold");

    let without_plan = SaasConfig::from_json_str(r#"{"plans": {}}"#).unwrap();
    let report = import(&*store, &without_plan, "empty.json").await.unwrap();
    assert_eq!(report.not_in_file.len(), 3, "{report}");
    assert_eq!(store.current().await.unwrap().documents.len(), 3, "an import deletes nothing");
}
