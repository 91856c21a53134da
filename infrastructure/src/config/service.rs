//! The configuration as the running process serves it: the catalog, filled from the config
//! store, refreshed after every local change and by polling the store's revision, so that a
//! change made on any instance takes effect on every instance.

use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use application::ports::{
    AuditLog, ConfigEdit, ConfigEditError, ConfigKind, ConfigSnapshot, ConfigStore, ConfigVersion, ConfigWrite,
    StoreError,
};
use serde_json::Value;

use super::{ConfigCatalog, documents::describe_change, model::SaasConfig};

pub struct ConfigService {
    pub(super) store: Arc<dyn ConfigStore>,
    pub(super) catalog: Arc<ConfigCatalog>,
    /// Edits through this instance run one at a time: config changes are rare, and queueing
    /// them here spares an edit that named no `expectedVersion` a needless conflict with its
    /// neighbour. Other instances' edits are met by the store's version check and a retry.
    edit_lock: tokio::sync::Mutex<()>,
    /// Where the record of an edit that changes nothing goes: with no version to commit with, it
    /// is written on its own. Without it such an edit is stored as a version after all, as that
    /// is what carries its record: every call stays on the trail.
    audit: Option<Arc<dyn AuditLog>>,
    /// When the latest store check that completed began (µs since the epoch): every change
    /// committed before then is served.
    checked_at: AtomicI64,
}

/// How many times an edit that named no `expectedVersion` is retried when another instance got
/// to the document first (each retry merges onto the newer version).
const RETRIES: usize = 5;

impl ConfigService {
    /// Reads the stored config into a fresh catalog.
    pub async fn load(store: Arc<dyn ConfigStore>) -> Result<Self, StoreError> {
        let snapshot = store.current().await?;
        Ok(Self::serving(store, &snapshot))
    }

    /// Serves `snapshot`, the store's config as the caller just read it.
    pub fn serving(store: Arc<dyn ConfigStore>, snapshot: &ConfigSnapshot) -> Self {
        let catalog = Arc::new(ConfigCatalog::from_store(snapshot));
        // The snapshot was read at some unknown moment before: the first catch-up checks.
        let checked_at = AtomicI64::new(i64::MIN);
        Self { store, catalog, edit_lock: tokio::sync::Mutex::new(()), audit: None, checked_at }
    }

    /// Edits that change nothing then store no version; their audit records go to `log`.
    pub fn with_audit_log(mut self, log: Arc<dyn AuditLog>) -> Self {
        self.audit = Some(log);
        self
    }

    pub fn catalog(&self) -> Arc<ConfigCatalog> {
        self.catalog.clone()
    }

    /// Serves the store's latest config if it is newer than what is served.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let started = chrono::Utc::now().timestamp_micros();
        let changed = if self.store.revision().await? <= self.catalog.revision() {
            false
        } else {
            let snapshot = self.store.current().await?;
            self.catalog.install(&snapshot)
        };
        // Only now, once it is installed, is the checked config served.
        self.checked_at.fetch_max(started, Ordering::AcqRel);
        Ok(changed)
    }

    /// Whether every change committed before `at` (µs since the epoch) is served.
    pub(super) fn checked_since(&self, at: i64) -> bool {
        self.checked_at.load(Ordering::Acquire) >= at
    }

    /// Polls the store's revision every `interval` until the service is dropped. The poll is one
    /// indexed MAX; the whole config is only read when it changed.
    pub fn spawn_poller(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let service: Weak<Self> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(service) = service.upgrade() else { return };
                match service.refresh().await {
                    Ok(true) => tracing::info!(revision = service.catalog.revision(), "config changed; now serving it"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "could not poll the config store"),
                }
            }
        })
    }

    /// The latest stored version of one document, straight from the store (the catalog may be
    /// a poll behind another instance's change).
    pub(super) async fn latest(&self, kind: ConfigKind, key: &str) -> Result<Option<ConfigVersion>, StoreError> {
        Ok(self.store.history(kind, key, 1, None).await?.into_iter().next())
    }

    /// Merges an edit onto the latest version of (kind, key) and appends the result with the
    /// call's audit record. `merge` gets the latest document (None when there is none) and
    /// returns the new one, or a refusal. `expected`: the version the caller based the edit on.
    /// A merge that equals the latest document is answered with that version, unchanged (see
    /// `audit`): a repeated or empty edit must not bury the real changes in the history.
    pub(super) async fn edit<F>(
        &self,
        kind: ConfigKind,
        key: &str,
        expected: Option<i64>,
        edit: &ConfigEdit,
        mut merge: F,
    ) -> Result<ConfigVersion, ConfigEditError>
    where
        F: FnMut(Option<&Value>) -> Result<Value, ConfigEditError>,
    {
        let _one_at_a_time = self.edit_lock.lock().await;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let latest = self.latest(kind, key).await?;
            let latest_version = latest.as_ref().map_or(0, |v| v.version);
            if let Some(expected) = expected
                && expected != latest_version
            {
                return Err(stale(kind, key, latest_version, expected));
            }
            let before = latest.as_ref().map(|v| &v.document);
            let document = merge(before)?;
            if let (Some(latest), Some(audit)) = (&latest, &self.audit)
                && latest.document == document
            {
                // Logged, not returned, like every standalone record: the answer does not
                // depend on the trail.
                if let Err(e) = audit.record(&edit.audit).await {
                    tracing::error!(error = %e, action = %edit.audit.action, "could not write the audit record");
                }
                return Ok(latest.clone());
            }
            let write = ConfigWrite {
                kind,
                key: key.to_owned(),
                summary: describe_change(kind, key, before, &document),
                document,
                changed_by: edit.changed_by.clone(),
                expected_version: Some(latest_version),
            };
            match self.store.write(&[write], Some(&edit.audit)).await {
                Ok(mut stored) => {
                    if let Err(e) = self.refresh().await {
                        // Stored and audited; the poller serves it within one interval.
                        tracing::warn!(error = %e, "config stored but not yet served");
                    }
                    return stored
                        .pop()
                        .ok_or_else(|| StoreError::Internal("config write stored nothing".into()).into());
                }
                Err(StoreError::Conflict(_)) if expected.is_none() && attempt < RETRIES => continue,
                Err(StoreError::Conflict(_)) => {
                    let now = self.latest(kind, key).await?.map_or(0, |v| v.version);
                    return Err(stale(kind, key, now, expected.unwrap_or(latest_version)));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The whole config as it would be with one document replaced, checked: a change may not
    /// introduce a problem (it may leave alone ones that were there before).
    pub(super) fn check_with(
        &self,
        field_prefix: &str,
        change: impl FnOnce(&mut SaasConfig),
    ) -> Result<(), ConfigEditError> {
        let current = self.catalog.current();
        let before = current.check();
        let mut candidate = (*current).clone();
        change(&mut candidate);
        candidate.normalize_aliases();
        let fresh = candidate.check().into_iter().find(|p| !before.contains(p));
        match fresh {
            None => Ok(()),
            Some(problem) => Err(ConfigEditError::Invalid {
                field: input_field(&problem.path, field_prefix),
                message: problem.message,
            }),
        }
    }
}

fn stale(kind: ConfigKind, key: &str, latest: i64, expected: i64) -> ConfigEditError {
    ConfigEditError::Conflict(format!(
        "{} {key} is at version {latest}, not {expected}; read it again and retry",
        kind.as_str().replace('_', " ")
    ))
}

/// `tenants.acme.idp.jwks_uri` under prefix `tenants.acme` → `["idp", "jwksUri"]`: the problem's
/// place in the mutation input.
fn input_field(path: &str, prefix: &str) -> Vec<String> {
    let rest = path.strip_prefix(prefix).map(|r| r.trim_start_matches('.')).unwrap_or(path);
    rest.split('.').filter(|s| !s.is_empty()).map(camel_case).collect()
}

fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_paths_become_input_fields() {
        assert_eq!(input_field("tenants.acme.idp.jwks_uri", "tenants.acme"), vec!["idp", "jwksUri"]);
        assert_eq!(input_field("plans.gold.limits.orders_per_month", "plans.gold"), vec!["limits", "ordersPerMonth"]);
        assert_eq!(input_field("tenants.acme", "tenants.acme"), Vec::<String>::new());
    }
}
