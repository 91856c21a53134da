//! Versioned configuration documents (plans, tenants, tenant configs). Every change appends an
//! immutable version; nothing is updated in place.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{AuditRecord, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConfigKind {
    /// The provider's own section (IdP, admin role, webhooks); one document, keyed `provider`.
    Provider,
    /// Keyed by plan name.
    Plan,
    /// Keyed by tenant id: plan, status, IdP, webhooks, carrier API.
    Tenant,
    /// Keyed by tenant id: the tenant's own settings.
    TenantConfig,
}

impl ConfigKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ConfigKind::Provider => "provider",
            ConfigKind::Plan => "plan",
            ConfigKind::Tenant => "tenant",
            ConfigKind::TenantConfig => "tenant_config",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [ConfigKind::Provider, ConfigKind::Plan, ConfigKind::Tenant, ConfigKind::TenantConfig]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One stored version of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigVersion {
    pub kind: ConfigKind,
    pub key: String,
    /// 1 for the first version of (kind, key), then +1 per change.
    pub version: i64,
    /// The whole document as of this version (it may hold secrets: never hand it out unredacted).
    pub document: serde_json::Value,
    /// Who made the change: a token `sub`, `system`, or `config-file`.
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
    /// What changed, in words, secrets redacted.
    pub summary: String,
    /// The store-wide revision this write produced (strictly increasing across all documents).
    pub revision: i64,
}

/// A change to append. `expected_version`: `Some(n)` requires the latest stored version to be
/// `n` (`Some(0)`: the document must not exist yet); `None` appends whatever the latest is.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigWrite {
    pub kind: ConfigKind,
    pub key: String,
    pub document: serde_json::Value,
    pub changed_by: String,
    pub summary: String,
    pub expected_version: Option<i64>,
}

/// Every document at its latest version, and the revision they were read at.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfigSnapshot {
    pub documents: Vec<ConfigVersion>,
    pub revision: i64,
}

#[async_trait]
pub trait ConfigStore: Send + Sync {
    /// Latest version of every (kind, key), plus the store revision, read consistently.
    async fn current(&self) -> Result<ConfigSnapshot, StoreError>;
    /// The store revision only (0 when empty): instances poll it to notice other instances' changes.
    async fn revision(&self) -> Result<i64, StoreError>;
    /// Appends all writes in one transaction, or none: `Conflict` when any `expected_version`
    /// does not match (concurrent writers of one document never both succeed). `audit`, when
    /// given, is the call's audit record: it commits with the change or not at all.
    async fn write(
        &self,
        writes: &[ConfigWrite],
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<ConfigVersion>, StoreError>;
    /// Versions of one document, newest first; `before` pages by version number.
    async fn history(
        &self,
        kind: ConfigKind,
        key: &str,
        first: u64,
        before: Option<i64>,
    ) -> Result<Vec<ConfigVersion>, StoreError>;
}

/// Key names whose values are secrets, wherever they appear in a config document: sealed at
/// rest, and never shown in an answer, an audit record or a log line.
pub const CONFIG_SECRET_KEYS: &[&str] = &["shared_secret", "api_key", "hs256_secret", "secret"];

/// Replaces the value of every secret key of `document`, at any depth, with `marker` (a `null`
/// stays `null`: there is nothing to hide).
pub fn redact_config_secrets(document: &mut serde_json::Value, marker: &str) {
    match document {
        serde_json::Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if CONFIG_SECRET_KEYS.contains(&key.as_str()) && !child.is_null() {
                    *child = serde_json::Value::String(marker.to_owned());
                } else {
                    redact_config_secrets(child, marker);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(|item| redact_config_secrets(item, marker)),
        _ => {}
    }
}
