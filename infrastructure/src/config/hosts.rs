//! Which tenant a request's host names (SPEC.md section 3, "Tenant from the request"): a
//! verified custom domain of the tenant first, else `{tenantId}.{platform_domain}`. Built once
//! per config version, so resolving a request's host costs one or two hash probes.

use std::collections::{HashMap, HashSet};

use domain::TenantId;

use super::model::SaasConfig;

/// The longest host name DNS allows.
const MAX_HOST_CHARS: usize = 253;
const MAX_LABEL_CHARS: usize = 63;

#[derive(Debug, Default)]
pub struct TenantHosts {
    /// Verified custom domains, lower-cased. A domain two tenants claim is left out: `check`
    /// reports it, and until it is fixed the domain names neither.
    custom: HashMap<String, TenantId>,
    /// `.{platform_domain}`, lower-cased: the suffix a tenant's subdomain ends in.
    platform_suffix: Option<String>,
    /// Tenants by lower-cased id (host names are case-insensitive); ids equal but for case name
    /// neither.
    by_label: HashMap<String, TenantId>,
}

impl TenantHosts {
    pub fn new(config: &SaasConfig) -> Self {
        let mut custom = HashMap::new();
        let mut contested = HashSet::new();
        let mut by_label = HashMap::new();
        let mut ambiguous = HashSet::new();
        for (id, entry) in &config.tenants {
            let Ok(tenant) = TenantId::new(id) else { continue };
            for domain in entry.domains.iter().filter(|d| d.verified) {
                let Some(host) = normalize_host(&domain.domain) else { continue };
                match custom.get(&host) {
                    Some(owner) if owner != &tenant => {
                        contested.insert(host);
                    }
                    _ => {
                        custom.insert(host, tenant.clone());
                    }
                }
            }
            let label = id.to_ascii_lowercase();
            if by_label.insert(label.clone(), tenant).is_some() {
                ambiguous.insert(label);
            }
        }
        custom.retain(|host, _| !contested.contains(host));
        by_label.retain(|label, _| !ambiguous.contains(label));
        let platform_suffix = config
            .provider
            .as_ref()
            .and_then(|p| p.platform_domain.as_deref())
            .filter(|d| domain_problem(d).is_none())
            .and_then(normalize_host)
            .map(|d| format!(".{d}"));
        Self { custom, platform_suffix, by_label }
    }

    /// The tenant `host` (a `Host` header value, port included or not) names, if any.
    pub fn resolve(&self, host: &str) -> Option<TenantId> {
        let host = normalize_host(host)?;
        if let Some(tenant) = self.custom.get(&host) {
            return Some(tenant.clone());
        }
        let label = host.strip_suffix(self.platform_suffix.as_deref()?)?;
        self.by_label.get(label).cloned()
    }
}

/// A host as compared: without its port or a trailing dot, lower-cased. `None` for something no
/// configured name can equal (empty, an IPv6 literal).
pub fn normalize_host(host: &str) -> Option<String> {
    let host = host.trim();
    if host.starts_with('[') {
        return None;
    }
    let host = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// What is wrong with `name` as a DNS host name for a tenant (`orders.acme.example`), if
/// anything: at least two labels of letters, digits and inner hyphens, 1-63 characters each,
/// at most 253 in all, and a top-level label that is not all digits (no IP addresses).
pub fn domain_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("must not be empty");
    }
    if name.len() > MAX_HOST_CHARS {
        return Some("longer than 253 characters");
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Some("needs at least two labels, e.g. orders.acme.example");
    }
    for label in &labels {
        if label.is_empty() || label.len() > MAX_LABEL_CHARS {
            return Some("every label between dots must be 1-63 characters");
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Some("only letters, digits, '-' and '.' (no scheme, port, path or wildcard)");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Some("a label may not start or end with '-'");
        }
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return Some("an IP address is not a domain");
    }
    None
}
