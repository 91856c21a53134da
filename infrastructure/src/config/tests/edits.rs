//! Edits through `ConfigService` on a real (in-memory SQLite) store: an edit that changes
//! nothing stores no version, and a size bound answers with the input field it concerns.

use application::ports::{
    AuditFilter, AuditQuery, AuditRecord, ConfigEdit, ConfigEditError, ConfigEditor, ConfigKind, ConfigStore,
    IdpChange, OutboundWebhookChange, Patch, PlanChange, TenantChange, TenantConfigChange, TenantStatus,
};
use chrono::Utc;
use domain::TenantId;

use super::SPEC_EXAMPLE;
use crate::config::{ConfigService, SaasConfig, import, tenant_permissions};
use crate::persistence::Database;

const TENANT: &str = "tenant_123";

struct Fixture {
    db: Database,
    service: ConfigService,
}

/// SPEC_EXAMPLE imported into a fresh store, every document at version 1.
async fn fixture(with_audit_log: bool) -> Fixture {
    let db = Database::connect("sqlite::memory:").await.expect("in-memory SQLite");
    db.migrate().await.expect("migrate");
    let store = db.config_store();
    import(&*store, &SaasConfig::from_json_str(SPEC_EXAMPLE).unwrap(), "spec.json").await.expect("import");
    let service = ConfigService::load(store).await.expect("load");
    let service = if with_audit_log { service.with_audit_log(db.audit_log()) } else { service };
    Fixture { db, service }
}

fn edit(action: &str) -> ConfigEdit {
    ConfigEdit {
        changed_by: "alice".to_owned(),
        audit: AuditRecord {
            id: uuid::Uuid::now_v7(),
            tenant_id: Some(tenant()),
            actor: "alice".to_owned(),
            action: action.to_owned(),
            order_id: None,
            target_ids: vec![TENANT.to_owned()],
            input: serde_json::Value::Null,
            outcome: "ok".to_owned(),
            request_id: None,
            occurred_at: Utc::now(),
        },
    }
}

fn tenant() -> TenantId {
    TenantId::new(TENANT).unwrap()
}

impl Fixture {
    fn store(&self) -> std::sync::Arc<dyn ConfigStore> {
        self.db.config_store()
    }

    async fn versions(&self, kind: ConfigKind, key: &str) -> usize {
        self.store().history(kind, key, u64::MAX, None).await.unwrap().len()
    }

    /// Actions on the tenant's trail, oldest first.
    async fn trail(&self) -> Vec<String> {
        let query = AuditQuery { filter: AuditFilter::default(), first: 100, after: None };
        let page = self.db.audit_log().query(Some(&tenant()), &query).await.unwrap();
        page.records.iter().rev().map(|r| r.action.clone()).collect()
    }

    async fn update(&self, change: TenantConfigChange) -> Result<i64, ConfigEditError> {
        let view = self.service.update_tenant_config(&tenant(), change, edit("updateTenantConfig")).await?;
        Ok(view.version)
    }
}

fn fee(percent: &str) -> TenantConfigChange {
    TenantConfigChange { restocking_fee_percent: Patch::Set(percent.to_owned()), ..Default::default() }
}

fn invalid_field(result: Result<impl std::fmt::Debug, ConfigEditError>) -> Vec<String> {
    match result {
        Err(ConfigEditError::Invalid { field, .. }) => field,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[tokio::test]
async fn a_tenant_config_edit_that_changes_nothing_keeps_the_version_and_is_audited() {
    let f = fixture(true).await;
    assert_eq!(f.update(fee("12.5")).await.unwrap(), 2);

    assert_eq!(f.update(fee("12.5")).await.unwrap(), 2, "the same value again");
    assert_eq!(f.update(TenantConfigChange::default()).await.unwrap(), 2, "an empty edit");

    assert_eq!(f.versions(ConfigKind::TenantConfig, TENANT).await, 2);
    assert_eq!(f.trail().await, vec!["updateTenantConfig"; 3], "every call leaves its record");
    let view = f.service.tenant_config(&tenant()).await.unwrap();
    assert_eq!((view.version, view.restocking_fee_percent.as_deref()), (2, Some("12.5")));
}

#[tokio::test]
async fn a_stale_expected_version_still_conflicts_when_the_edit_changes_nothing() {
    let f = fixture(true).await;
    f.update(fee("12.5")).await.unwrap();

    let stale = f.update(TenantConfigChange { expected_version: Some(1), ..fee("12.5") }).await;

    assert!(matches!(stale, Err(ConfigEditError::Conflict(_))), "{stale:?}");
}

#[tokio::test]
async fn plan_and_tenant_upserts_that_change_nothing_keep_their_versions() {
    let f = fixture(true).await;
    let plan = PlanChange { name: "standard".to_owned(), ..Default::default() };
    let same_permissions = PlanChange {
        permissions: Some(vec!["order:read".into(), "order:create".into(), "shipment:create".into()]),
        ..plan.clone()
    };
    let tenant_change = TenantChange {
        id: TENANT.to_owned(),
        plan: Some("standard".to_owned()),
        status: Some(TenantStatus::Active),
        ..Default::default()
    };

    assert_eq!(f.service.upsert_plan(plan, edit("upsertPlan")).await.unwrap().version, 1);
    assert_eq!(f.service.upsert_plan(same_permissions, edit("upsertPlan")).await.unwrap().version, 1);
    assert_eq!(f.service.upsert_tenant(tenant_change, edit("upsertTenant")).await.unwrap().version, 1);

    assert_eq!(f.versions(ConfigKind::Plan, "standard").await, 1);
    assert_eq!(f.versions(ConfigKind::Tenant, TENANT).await, 1);
}

#[tokio::test]
async fn without_an_audit_log_an_unchanged_edit_is_stored_so_its_record_is_kept() {
    let f = fixture(false).await;

    assert_eq!(f.update(TenantConfigChange::default()).await.unwrap(), 2);

    assert_eq!(f.trail().await, vec!["updateTenantConfig"]);
}

#[tokio::test]
async fn oversized_tenant_config_values_name_their_input_field() {
    let f = fixture(true).await;
    let roles = |n: usize, permissions: Vec<String>| TenantConfigChange {
        roles: Patch::Set((0..n).map(|i| (format!("role{i}"), permissions.clone())).collect()),
        ..Default::default()
    };
    let webhook = |url: String, events: Vec<String>| TenantConfigChange {
        outbound_webhook: Patch::Set(OutboundWebhookChange { url, secret: Patch::Keep, events }),
        ..Default::default()
    };
    let url = "https://tenant.example/oms-events".to_owned();
    let long_url = format!("https://tenant.example/{}", "a".repeat(2048));

    let cases: Vec<(TenantConfigChange, Vec<&str>)> = vec![
        (roles(51, vec!["order:read".into()]), vec!["roles"]),
        (roles(1, vec!["order:read".to_owned(); tenant_permissions().count() + 2]), vec!["roles", "role0"]),
        (TenantConfigChange { roles: Patch::Set(vec![("r".repeat(65), vec![])]), ..Default::default() }, vec!["roles"]),
        (webhook(url.clone(), vec!["order.*".to_owned(); 51]), vec!["outboundWebhook", "events"]),
        (webhook(url.clone(), vec!["o".repeat(101)]), vec!["outboundWebhook", "events[0]"]),
        (webhook(long_url, vec![]), vec!["outboundWebhook", "url"]),
    ];
    for (change, field) in cases {
        assert_eq!(invalid_field(f.update(change).await), field);
    }
    assert_eq!(f.versions(ConfigKind::TenantConfig, TENANT).await, 1, "nothing refused was stored");
}

#[tokio::test]
async fn oversized_idp_values_name_their_input_field() {
    let f = fixture(true).await;
    let idp = |change: IdpChange| TenantChange { id: TENANT.to_owned(), idp: Some(change), ..Default::default() };
    let cases = [
        (IdpChange { issuer: Patch::Set(format!("https://{}", "i".repeat(512))), ..Default::default() }, "issuer"),
        (IdpChange { audience: Patch::Set("a".repeat(513)), ..Default::default() }, "audience"),
        (
            IdpChange {
                jwks_uri: Patch::Set(format!("https://idp.example/{}", "k".repeat(2048))),
                ..Default::default()
            },
            "jwksUri",
        ),
    ];
    for (change, field) in cases {
        let result = f.service.upsert_tenant(idp(change), edit("upsertTenant")).await;
        assert_eq!(invalid_field(result), vec!["idp", field]);
    }
}
