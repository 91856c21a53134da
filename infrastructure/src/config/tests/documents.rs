use application::ports::{ConfigKind, ConfigSnapshot, ConfigVersion};
use chrono::Utc;
use serde_json::json;

use super::SPEC_EXAMPLE;
use crate::config::{SaasConfig, assemble, documents::describe_change, split};

fn stored(config: &SaasConfig) -> ConfigSnapshot {
    let documents: Vec<ConfigVersion> = split(config)
        .into_iter()
        .enumerate()
        .map(|(i, d)| ConfigVersion {
            kind: d.kind,
            key: d.key,
            version: 1,
            document: d.document,
            changed_by: "config-file".to_owned(),
            changed_at: Utc::now(),
            summary: String::new(),
            revision: i as i64 + 1,
        })
        .collect();
    let revision = documents.len() as i64;
    ConfigSnapshot { documents, revision }
}

#[test]
fn a_config_survives_being_split_into_documents_and_assembled() {
    let config = SaasConfig::from_json_str(SPEC_EXAMPLE).unwrap();
    let documents = split(&config);
    let kinds: Vec<(ConfigKind, &str)> = documents.iter().map(|d| (d.kind, d.key.as_str())).collect();
    assert_eq!(
        kinds,
        vec![
            (ConfigKind::Provider, "provider"),
            (ConfigKind::Plan, "standard"),
            (ConfigKind::TenantConfig, "tenant_123"),
            (ConfigKind::Tenant, "tenant_123"),
        ]
    );
    let tenant = documents.iter().find(|d| d.kind == ConfigKind::Tenant).unwrap();
    assert!(tenant.document.get("tenant_config").is_none(), "the tenant's own settings are their own document");

    let (assembled, unreadable) = assemble(&stored(&config));
    assert!(unreadable.is_empty());
    // Secrets included: the stored form is the whole config.
    assert_eq!(serde_json::to_value(&assembled).unwrap(), serde_json::to_value(&config).unwrap());
}

#[test]
fn an_unreadable_document_is_left_out_and_reported() {
    let config = SaasConfig::from_json_str(SPEC_EXAMPLE).unwrap();
    let mut snapshot = stored(&config);
    let tenant = snapshot.documents.iter_mut().find(|d| d.kind == ConfigKind::Tenant).unwrap();
    tenant.document = json!({ "plan": 42 });
    let (assembled, unreadable) = assemble(&snapshot);
    assert!(assembled.tenants.is_empty(), "a tenant that cannot be read cannot sign in");
    assert_eq!(unreadable.len(), 1);
    assert_eq!(unreadable[0].key, "tenant_123");
}

#[test]
fn change_summaries_name_paths_never_values() {
    let before = json!({ "webhooks": { "add_order": { "shared_secret": "old-secret-value" } }, "plan": "basic" });
    let after = json!({ "webhooks": { "add_order": { "shared_secret": "new-secret-value" } }, "plan": "standard" });
    let summary = describe_change(ConfigKind::Tenant, "acme", Some(&before), &after);
    assert_eq!(summary, "changed plan, webhooks.add_order.shared_secret of tenant acme");
    assert!(!summary.contains("secret-value"));
    assert_eq!(describe_change(ConfigKind::Plan, "gold", None, &after), "created plan gold");
}
