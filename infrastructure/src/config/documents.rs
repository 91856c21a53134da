//! The SaaS config as stored: one versioned document per provider section, plan, tenant and
//! tenant config, so that each owner edits its own document without touching the others'.

use std::collections::BTreeSet;

use application::ports::{ConfigKind, ConfigSnapshot};
use serde_json::Value;

use super::model::{PlanConfig, ProviderConfig, SaasConfig, TenantConfig, TenantEntry};

/// The provider section is one document under this key.
pub const PROVIDER_KEY: &str = "provider";

#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDocument {
    pub kind: ConfigKind,
    pub key: String,
    pub document: Value,
}

fn document(kind: ConfigKind, key: &str, value: &impl serde::Serialize) -> ConfigDocument {
    // A tree of maps, strings and numbers always serializes.
    ConfigDocument { kind, key: key.to_owned(), document: serde_json::to_value(value).unwrap_or(Value::Null) }
}

/// The documents a whole config file consists of. A tenant's `tenant_config` becomes its own
/// document: the tenant edits it, the provider edits the rest of the tenant.
pub fn split(config: &SaasConfig) -> Vec<ConfigDocument> {
    let mut documents = Vec::new();
    if let Some(provider) = &config.provider {
        documents.push(document(ConfigKind::Provider, PROVIDER_KEY, provider));
    }
    for (name, plan) in &config.plans {
        documents.push(document(ConfigKind::Plan, name, plan));
    }
    for (id, entry) in &config.tenants {
        let mut tenant = entry.clone();
        if let Some(settings) = tenant.tenant_config.take() {
            documents.push(document(ConfigKind::TenantConfig, id, &settings));
        }
        documents.push(document(ConfigKind::Tenant, id, &tenant));
    }
    documents
}

/// A document the stored config could not be read from (written by a newer release, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub kind: ConfigKind,
    pub key: String,
    pub error: String,
}

/// The config the stored documents make up. A document that does not parse is left out (its
/// tenant then cannot sign in: closed, not open) and reported.
pub fn assemble(snapshot: &ConfigSnapshot) -> (SaasConfig, Vec<Unreadable>) {
    let mut config = SaasConfig::default();
    let mut unreadable = Vec::new();
    let mut settings = Vec::new();
    for stored in &snapshot.documents {
        let mut fail = |error: serde_json::Error| {
            unreadable.push(Unreadable { kind: stored.kind, key: stored.key.clone(), error: error.to_string() });
        };
        let value = stored.document.clone();
        match stored.kind {
            ConfigKind::Provider => match serde_json::from_value::<ProviderConfig>(value) {
                Ok(provider) => config.provider = Some(provider),
                Err(e) => fail(e),
            },
            ConfigKind::Plan => match serde_json::from_value::<PlanConfig>(value) {
                Ok(plan) => {
                    config.plans.insert(stored.key.clone(), plan);
                }
                Err(e) => fail(e),
            },
            ConfigKind::Tenant => match serde_json::from_value::<TenantEntry>(value) {
                Ok(tenant) => {
                    config.tenants.insert(stored.key.clone(), tenant);
                }
                Err(e) => fail(e),
            },
            ConfigKind::TenantConfig => match serde_json::from_value::<TenantConfig>(value) {
                Ok(tenant_config) => settings.push((stored.key.clone(), tenant_config)),
                Err(e) => fail(e),
            },
        }
    }
    for (id, tenant_config) in settings {
        if let Some(tenant) = config.tenants.get_mut(&id) {
            tenant.tenant_config = Some(tenant_config);
        }
    }
    config.normalize_aliases();
    (config, unreadable)
}

/// What changed between two versions of a document, as key paths only: values (secrets among
/// them) never reach the history.
pub fn describe_change(kind: ConfigKind, key: &str, before: Option<&Value>, after: &Value) -> String {
    let Some(before) = before else {
        return format!("created {} {key}", kind.as_str());
    };
    let mut paths = BTreeSet::new();
    diff("", before, after, &mut paths);
    if paths.is_empty() {
        return format!("no change to {} {key}", kind.as_str());
    }
    let list: Vec<String> = paths.into_iter().collect();
    format!("changed {} of {} {key}", list.join(", "), kind.as_str())
}

fn diff(path: &str, before: &Value, after: &Value, out: &mut BTreeSet<String>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for k in b.keys().chain(a.keys()) {
                let child = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match (b.get(k), a.get(k)) {
                    (Some(x), Some(y)) => diff(&child, x, y, out),
                    (None, None) => {}
                    _ => {
                        out.insert(child);
                    }
                }
            }
        }
        (b, a) if b != a => {
            out.insert(if path.is_empty() { "document".to_owned() } else { path.to_owned() });
        }
        _ => {}
    }
}
