//! Importing a SaaS config file into the config store: each document that differs from its
//! stored version becomes a new version by `config-file`; identical documents are left alone, so
//! importing the same file twice changes nothing.

use application::ports::{AuditRecord, ConfigKind, ConfigSnapshot, ConfigStore, ConfigWrite, StoreError};
use chrono::Utc;
use serde_json::json;

use super::{
    documents::{describe_change, split},
    model::SaasConfig,
};

/// Who the history names for imported versions.
pub const IMPORTED_BY: &str = "config-file";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// (kind, key, new version) of every document written.
    pub written: Vec<(ConfigKind, String, i64)>,
    pub unchanged: usize,
    /// Tenants whose stored TenantConfig was kept: the file's `tenant_config` only seeds a
    /// tenant's settings, which are the tenant's to edit from then on.
    pub kept_tenant_configs: Vec<String>,
    /// Stored documents the file does not mention: nothing is deleted by an import.
    pub not_in_file: Vec<(ConfigKind, String)>,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} document(s) written, {} unchanged", self.written.len(), self.unchanged)?;
        for (kind, key, version) in &self.written {
            write!(f, "\n  {} {key}: version {version}", kind.as_str())?;
        }
        for id in &self.kept_tenant_configs {
            write!(f, "\n  tenant_config {id}: kept (edited by the tenant; the file only seeds it)")?;
        }
        for (kind, key) in &self.not_in_file {
            write!(f, "\n  {} {key}: not in the file, kept", kind.as_str())?;
        }
        Ok(())
    }
}

/// Writes the file's documents that differ from the store's, all in one transaction with one
/// platform audit record, or nothing. `origin` names the file in that record.
pub async fn import(store: &dyn ConfigStore, config: &SaasConfig, origin: &str) -> Result<ImportReport, StoreError> {
    import_onto(store, &store.current().await?, config, origin).await
}

/// [`import`] onto `current`, the store's config as the caller just read it (a document changed
/// since is caught by the write's version check, which then refuses the whole import).
pub async fn import_onto(
    store: &dyn ConfigStore,
    current: &ConfigSnapshot,
    config: &SaasConfig,
    origin: &str,
) -> Result<ImportReport, StoreError> {
    let documents = split(config);
    let mut report = ImportReport::default();
    let mut writes = Vec::new();
    for doc in &documents {
        let stored = current.documents.iter().find(|d| d.kind == doc.kind && d.key == doc.key);
        if doc.kind == ConfigKind::TenantConfig && stored.is_some() {
            if stored.is_some_and(|s| s.document != doc.document) {
                report.kept_tenant_configs.push(doc.key.clone());
            } else {
                report.unchanged += 1;
            }
            continue;
        }
        if stored.is_some_and(|s| s.document == doc.document) {
            report.unchanged += 1;
            continue;
        }
        writes.push(ConfigWrite {
            kind: doc.kind,
            key: doc.key.clone(),
            summary: describe_change(doc.kind, &doc.key, stored.map(|s| &s.document), &doc.document),
            document: doc.document.clone(),
            changed_by: IMPORTED_BY.to_owned(),
            expected_version: Some(stored.map_or(0, |s| s.version)),
        });
    }
    report.not_in_file = current
        .documents
        .iter()
        .filter(|s| !documents.iter().any(|d| d.kind == s.kind && d.key == s.key))
        .map(|s| (s.kind, s.key.clone()))
        .collect();
    if writes.is_empty() {
        return Ok(report);
    }
    let targets: Vec<String> = writes.iter().map(|w| format!("{}:{}", w.kind.as_str(), w.key)).collect();
    let audit = AuditRecord {
        id: uuid::Uuid::now_v7(),
        tenant_id: None,
        actor: IMPORTED_BY.to_owned(),
        action: "importConfig".to_owned(),
        order_id: None,
        target_ids: targets,
        input: json!({ "file": origin, "documents": writes.len() }),
        outcome: application::ports::OUTCOME_OK.to_owned(),
        request_id: None,
        occurred_at: Utc::now(),
    };
    let stored = store.write(&writes, Some(&audit)).await?;
    report.written = stored.into_iter().map(|v| (v.kind, v.key, v.version)).collect();
    Ok(report)
}
