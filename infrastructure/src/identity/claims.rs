//! Reading the IdP-specific claims: which tenants a token names, and its roles.

use serde_json::{Map, Value};

pub(super) type Claims = Map<String, Value>;

/// A claim by its exact name first (Auth0's namespaced claims are URLs full of dots), then as a
/// dotted path into nested objects (Keycloak's `realm_access.roles`).
pub(super) fn claim<'a>(claims: &'a Claims, name: &str) -> Option<&'a Value> {
    if let Some(value) = claims.get(name) {
        return Some(value);
    }
    if !name.contains('.') {
        return None;
    }
    let mut parts = name.split('.');
    let mut current = claims.get(parts.next()?)?;
    for part in parts {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

/// Whether the tenant claim names `tenant`. Keycloak's organization claim is a string, a list of
/// names, or an object keyed by name (`{"tenant_123": {"id": "..."}}`) depending on its mapper.
pub(super) fn names_tenant(value: &Value, tenant: &str) -> bool {
    match value {
        Value::String(name) => name == tenant,
        Value::Array(names) => names.iter().any(|name| name.as_str() == Some(tenant)),
        Value::Object(by_name) => by_name.contains_key(tenant),
        _ => false,
    }
}

/// Roles as a list of strings, or one space-separated string (as some IdPs emit scopes).
pub(super) fn roles(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        Some(Value::String(joined)) => joined.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}
