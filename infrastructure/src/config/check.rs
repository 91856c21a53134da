//! `tenant-oms config check FILE`: every problem in the document at once, each with its key path.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use domain::TenantId;
use jsonwebtoken::AlgorithmFamily;

use super::hosts::{domain_problem, normalize_host};
use super::keys::{
    SUPPORTED_ALGORITHMS, decode_public_key_pem, family_name, is_https_or_loopback, supported_algorithm,
};
use super::limits::{
    MAX_DOMAINS, MAX_EVENT_PATTERN_CHARS, MAX_IDP_NAME_CHARS, MAX_ROLE_NAME_CHARS, MAX_ROLES, MAX_URL_CHARS,
    MAX_WEBHOOK_EVENTS, max_permissions_per_role, too_long,
};
use super::model::{
    CreateShipmentApiConfig, DecimalValue, DomainConfig, IdpConfig, OutboundWebhookConfig, PlanConfig, ProviderConfig,
    SaasConfig, TenantConfig, TenantEntry, WebhookConfig,
};
use super::permissions::{ALL_PLAN_PERMISSIONS, is_provider_permission, is_tenant_permission};
use super::unknown_keys::UnknownKeys;
use crate::webhooks_in::{Scheme, compile_jmespath, mapped_status};

/// One thing wrong with the document, at `path` (e.g. `tenants.tenant_123.idp.audience`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl SaasConfig {
    /// Every problem found, in document order; empty when the config is usable.
    pub fn check(&self) -> Vec<ConfigProblem> {
        let mut found = Problems::default();
        found.unknown_keys("", &self.unknown);
        if let Some(provider) = &self.provider {
            found.provider(provider);
        }
        for (name, plan) in &self.plans {
            found.plan(&join("plans", name), plan);
        }
        for (id, tenant) in &self.tenants {
            found.tenant(self, id, tenant);
        }
        found.domains_claimed_twice(self);
        found.0
    }
}

fn join(base: &str, key: &str) -> String {
    if base.is_empty() { key.to_owned() } else { format!("{base}.{key}") }
}

#[derive(Default)]
struct Problems(Vec<ConfigProblem>);

impl Problems {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigProblem { path: path.into(), message: message.into() });
    }

    fn unknown_keys(&mut self, path: &str, unknown: &UnknownKeys) {
        for key in unknown.names() {
            self.push(join(path, key), "unknown key (ignored); is it misspelt?");
        }
    }

    fn provider(&mut self, provider: &ProviderConfig) {
        self.unknown_keys("provider", &provider.unknown);
        match &provider.idp {
            Some(idp) => self.idp("provider.idp", idp, false),
            None => self.push("provider.idp", "missing: provider admins could not sign in"),
        }
        if provider.admin_role.trim().is_empty() {
            self.push("provider.admin_role", "must not be empty");
        }
        for (name, webhook) in &provider.webhooks {
            self.webhook(&join("provider.webhooks", name), name, webhook);
        }
        if let Some(problem) = provider.platform_domain.as_deref().and_then(domain_problem) {
            self.push("provider.platform_domain", problem);
        }
    }

    fn domains(&mut self, config: &SaasConfig, tenant: &str, domains: &[DomainConfig]) {
        let path = &format!("tenants.{tenant}.domains");
        if domains.len() > MAX_DOMAINS {
            self.push(path, format!("{} domains; at most {MAX_DOMAINS}", domains.len()));
            return;
        }
        let platform = config.provider.as_ref().and_then(|p| p.platform_domain.as_deref()).and_then(normalize_host);
        for (i, domain) in domains.iter().enumerate() {
            let at = format!("{path}[{i}]");
            self.unknown_keys(&at, &domain.unknown);
            let at = join(&at, "domain");
            if let Some(problem) = domain_problem(&domain.domain) {
                self.push(at, problem);
                continue;
            }
            // A custom domain under the platform domain is fine (`acme.oms.example.com`), and
            // wins over the subdomain form, so it must not take another tenant's subdomain.
            let host = domain.domain.to_ascii_lowercase();
            let label = platform.as_deref().and_then(|p| host.strip_suffix(&format!(".{p}")));
            if let Some(other) = label.and_then(|l| config.tenants.keys().find(|id| id.eq_ignore_ascii_case(l)))
                && other.as_str() != tenant
            {
                self.push(at, format!("would take tenant `{other}`'s own subdomain"));
            } else if platform.as_deref() == Some(host.as_str()) {
                self.push(at, "is provider.platform_domain itself");
            }
        }
    }

    /// A host must name one tenant: a second claim (by another tenant, or the same one twice)
    /// is reported where it is made, verified or not, so it is caught before it is verified.
    fn domains_claimed_twice(&mut self, config: &SaasConfig) {
        let mut owners: HashMap<String, &str> = HashMap::new();
        for (id, tenant) in &config.tenants {
            for (i, domain) in tenant.domains.iter().enumerate().take(MAX_DOMAINS) {
                let Some(host) = normalize_host(&domain.domain) else { continue };
                match owners.get(&host) {
                    Some(owner) if *owner == id.as_str() => {
                        self.push(format!("tenants.{id}.domains[{i}].domain"), "listed twice");
                    }
                    Some(owner) => self.push(
                        format!("tenants.{id}.domains[{i}].domain"),
                        format!("`{}` is already claimed by tenant `{owner}`", domain.domain),
                    ),
                    None => {
                        owners.insert(host, id);
                    }
                }
            }
        }
    }

    fn plan(&mut self, path: &str, plan: &PlanConfig) {
        self.unknown_keys(path, &plan.unknown);
        for (i, permission) in plan.permissions.iter().enumerate() {
            let at = format!("{path}.permissions[{i}]");
            if is_provider_permission(permission) {
                self.push(at, format!("`{permission}` is provider-only and cannot be part of a tenant plan"));
            } else if permission == ALL_PLAN_PERMISSIONS {
                self.push(at, "`*` is only for TenantConfig roles; list the plan's permissions");
            } else if !is_tenant_permission(permission) {
                self.push(at, format!("unknown permission `{permission}`"));
            }
        }
        let limits = &plan.limits;
        let limits_path = format!("{path}.limits");
        self.unknown_keys(&limits_path, &limits.unknown);
        for (key, value) in [
            ("orders_per_month", limits.orders_per_month),
            ("requests_per_minute", limits.requests_per_minute),
            ("max_query_complexity", limits.max_query_complexity),
        ] {
            if value == Some(0) {
                self.push(join(&limits_path, key), "0 refuses everything; leave the key out for no limit");
            }
        }
    }

    fn tenant(&mut self, config: &SaasConfig, id: &str, tenant: &TenantEntry) {
        let path = join("tenants", id);
        if TenantId::new(id).is_err() {
            self.push(&path, "tenant id must be 1-64 ASCII letters, digits, '_', '-' or '.'");
        }
        self.unknown_keys(&path, &tenant.unknown);
        if !config.plans.contains_key(&tenant.plan) {
            let known: Vec<&str> = config.plans.keys().map(String::as_str).collect();
            self.push(
                format!("{path}.plan"),
                format!("unknown plan `{}` (plans: {})", tenant.plan, list_or_none(&known)),
            );
        }
        if tenant.status().is_none() {
            self.push(format!("{path}.status"), format!("`{}` is neither \"active\" nor \"suspended\"", tenant.status));
        }
        self.idp(&format!("{path}.idp"), &tenant.idp, true);
        for (name, webhook) in &tenant.webhooks {
            self.webhook(&format!("{path}.webhooks.{name}"), name, webhook);
        }
        self.domains(config, id, &tenant.domains);
        if let Some(api) = &tenant.create_shipment_api {
            self.create_shipment_api(&format!("{path}.create_shipment_api"), api);
        }
        if let Some(tenant_config) = &tenant.tenant_config {
            self.tenant_config(&format!("{path}.tenant_config"), tenant_config);
        }
    }

    fn idp(&mut self, path: &str, idp: &IdpConfig, for_tenant: bool) {
        self.unknown_keys(path, &idp.unknown);
        if idp.issuer.as_deref().is_none_or(|s| s.trim().is_empty()) {
            self.push(join(path, "issuer"), "missing: tokens are matched to their IdP by `iss`");
        }
        if idp.audience.as_deref().is_none_or(|s| s.trim().is_empty()) {
            self.push(join(path, "audience"), "missing: without it a token minted for another app would be accepted");
        }
        for (key, value) in [("issuer", &idp.issuer), ("audience", &idp.audience)] {
            if value.as_deref().is_some_and(|v| too_long(v, MAX_IDP_NAME_CHARS)) {
                self.push(join(path, key), format!("longer than {MAX_IDP_NAME_CHARS} characters"));
            }
        }
        let no_key = idp.jwks_uri.is_none() && idp.public_key_pem.is_none() && idp.hs256_secret.is_none();
        if no_key {
            self.push(path, "no key: give `jwks_uri`, `public_key_pem` or (local development only) `hs256_secret`");
        }
        self.idp_algorithms(path, idp);
        if let Some(uri) = &idp.jwks_uri {
            self.remote_url(&join(path, "jwks_uri"), uri);
        }
        if let Some(secret) = &idp.hs256_secret
            && secret.expose().len() < 32
        {
            self.push(join(path, "hs256_secret"), "shorter than 32 bytes: too easy to guess");
        }
        let claims: &[(&str, &Option<String>)] = if for_tenant {
            &[
                ("tenant_claim", &idp.tenant_claim),
                ("roles_claim", &idp.roles_claim),
                ("vendor_claim", &idp.vendor_claim),
            ]
        } else {
            &[("roles_claim", &idp.roles_claim)]
        };
        for (key, value) in claims {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                self.push(join(path, key), "must not be empty");
            }
        }
    }

    fn idp_algorithms(&mut self, path: &str, idp: &IdpConfig) {
        let at = join(path, "algorithms");
        if idp.algorithms.is_empty() {
            self.push(&at, format!("empty: name at least one of {}", SUPPORTED_ALGORITHMS.join(", ")));
        }
        let pem_key = idp.public_key_pem.as_deref().map(decode_public_key_pem);
        if let Some(Err(error)) = &pem_key {
            self.push(join(path, "public_key_pem"), error.to_string());
        }
        let pem_family = pem_key.and_then(Result::ok).map(|key| key.family());
        let (mut symmetric, mut asymmetric) = (false, false);
        for (i, name) in idp.algorithms.iter().enumerate() {
            let at = format!("{at}[{i}]");
            let Some(algorithm) = supported_algorithm(name) else {
                if name.trim().eq_ignore_ascii_case("none") {
                    self.push(at, "`none` (unsigned tokens) is never accepted");
                } else {
                    self.push(
                        at,
                        format!("unsupported algorithm `{name}`; supported: {}", SUPPORTED_ALGORITHMS.join(", ")),
                    );
                }
                continue;
            };
            let family = algorithm.family();
            if family == AlgorithmFamily::Hmac {
                symmetric = true;
                if idp.hs256_secret.is_none() {
                    self.push(at, "HS256 needs `hs256_secret` (local development only)");
                }
                continue;
            }
            asymmetric = true;
            // With a JWKS the IdP may serve a key of this family; with only a PEM it cannot.
            if let Some(key_family) = pem_family
                && key_family != family
                && idp.jwks_uri.is_none()
            {
                self.push(
                    at,
                    format!(
                        "`{name}` needs an {} key but public_key_pem holds an {} key",
                        family_name(family),
                        family_name(key_family)
                    ),
                );
            }
        }
        if symmetric && asymmetric {
            self.push(
                &at,
                "HS256 cannot be mixed with public-key algorithms: one IdP with both invites algorithm confusion",
            );
        }
    }

    fn webhook(&mut self, path: &str, name: &str, webhook: &WebhookConfig) {
        self.unknown_keys(path, &webhook.unknown);
        if !["add_order", "shipment_tracker"].contains(&name) {
            self.push(path, "unknown webhook; known: add_order, shipment_tracker");
        }
        let scheme = webhook.provider.as_deref().unwrap_or("standard");
        match Scheme::parse(scheme) {
            None => self.push(
                join(path, "provider"),
                format!("unknown signature scheme '{scheme}'; known: {}", Scheme::NAMES.join(", ")),
            ),
            Some(scheme) => {
                // The message of a key that cannot be made says nothing of the secret.
                if let Some(secret) = webhook.shared_secret.as_ref().filter(|s| !s.is_empty())
                    && let Err(why) = scheme.key(secret.expose())
                {
                    self.push(join(path, "shared_secret"), why);
                }
            }
        }
        if webhook.shared_secret.as_ref().is_none_or(|s| s.is_empty()) {
            self.push(join(path, "shared_secret"), "missing: the webhook's signatures could not be checked");
        }
        if webhook.max_age_seconds == 0 {
            self.push(join(path, "max_age_seconds"), "must be at least 1");
        }
        let expressions = [
            ("tracking_reference_jmespath", &webhook.tracking_reference_jmespath),
            ("status_jmespath", &webhook.status_jmespath),
            ("carrier_jmespath", &webhook.carrier_jmespath),
            ("carrier_shipment_id_jmespath", &webhook.carrier_shipment_id_jmespath),
        ];
        for (key, expression) in expressions {
            if let Some(expression) = expression
                && let Err(why) = compile_jmespath(key, expression)
            {
                self.push(join(path, key), why);
            }
        }
        for (carrier_status, ours) in &webhook.status_map {
            if mapped_status(ours).is_none() {
                self.push(
                    join(&join(path, "status_map"), carrier_status),
                    format!(
                        "'{ours}' is not a status a carrier may set; use IN_TRANSIT, DELIVERED, FAILED or RETURNED"
                    ),
                );
            }
        }
    }

    fn create_shipment_api(&mut self, path: &str, api: &CreateShipmentApiConfig) {
        self.unknown_keys(path, &api.unknown);
        if let Some(endpoint) = &api.endpoint {
            self.remote_url(&join(path, "endpoint"), endpoint);
        }
        let provider = api.provider.as_deref().unwrap_or(crate::carriers::EASYPOST);
        if !crate::carriers::is_supported(provider) {
            self.push(
                join(path, "provider"),
                format!(
                    "`{provider}` is not a carrier this server books with (supported: {})",
                    crate::carriers::EASYPOST
                ),
            );
        }
        if api.api_key.as_ref().is_none_or(|k| k.is_empty()) {
            self.push(join(path, "api_key"), "missing: the carrier would refuse every booking");
        }
        if let Some(service) = &api.service
            && (service.trim().is_empty() || too_long(service, 64))
        {
            self.push(join(path, "service"), "must be 1 to 64 characters");
        }
        if let Some(address) = &api.from_address {
            let at = join(path, "from_address");
            self.unknown_keys(&at, &address.unknown);
            if let Err(e) = address.to_address() {
                self.push(at, e.to_string());
            }
        }
    }

    fn tenant_config(&mut self, path: &str, config: &TenantConfig) {
        self.unknown_keys(path, &config.unknown);
        if let Some(percent) = &config.restocking_fee_percent
            && !is_percentage(percent)
        {
            self.push(join(path, "restocking_fee_percent"), "must be a number from 0 to 100");
        }
        if let Some(amount) = &config.max_refund_amount
            && !amount.is_plain_non_negative()
        {
            self.push(join(path, "max_refund_amount"), "must be a non-negative decimal amount such as \"500.00\"");
        }
        if let Some(roles) = &config.roles {
            self.roles(&join(path, "roles"), roles);
        }
        if let Some(webhook) = &config.outbound_webhook {
            self.outbound_webhook(&join(path, "outbound_webhook"), webhook);
        }
    }

    /// Past a size bound only the bound is reported: checking (and listing) every entry of an
    /// oversized list is the work the bound is there to spare.
    fn roles(&mut self, path: &str, roles: &BTreeMap<String, Vec<String>>) {
        if roles.len() > MAX_ROLES {
            self.push(path, format!("{} roles; at most {MAX_ROLES}", roles.len()));
            return;
        }
        let max_permissions = max_permissions_per_role();
        for (role, permissions) in roles {
            if too_long(role, MAX_ROLE_NAME_CHARS) {
                // The path would hold the whole name: name the role by its start only.
                let start: String = role.chars().take(16).collect();
                self.push(path, format!("role `{start}…` has a name longer than {MAX_ROLE_NAME_CHARS} characters"));
                continue;
            }
            let at = join(path, role);
            if permissions.len() > max_permissions {
                self.push(at, format!("{} permissions; at most {max_permissions}", permissions.len()));
                continue;
            }
            for (i, permission) in permissions.iter().enumerate() {
                let known = permission == ALL_PLAN_PERMISSIONS || is_tenant_permission(permission);
                if !known {
                    self.push(format!("{at}[{i}]"), format!("unknown permission `{permission}`"));
                }
            }
        }
    }

    fn outbound_webhook(&mut self, path: &str, webhook: &OutboundWebhookConfig) {
        self.unknown_keys(path, &webhook.unknown);
        self.remote_url(&join(path, "url"), &webhook.url);
        match webhook.secret.as_ref().filter(|s| !s.is_empty()) {
            None => self.push(join(path, "secret"), "missing: receivers could not verify the events are ours"),
            Some(secret) => {
                if let Some(problem) = super::edits::signing_key_problem(secret.expose()) {
                    self.push(join(path, "secret"), problem);
                }
            }
        }
        let events = join(path, "events");
        if webhook.events.len() > MAX_WEBHOOK_EVENTS {
            self.push(events, format!("{} patterns; at most {MAX_WEBHOOK_EVENTS}", webhook.events.len()));
            return;
        }
        for (i, pattern) in webhook.events.iter().enumerate() {
            if too_long(pattern, MAX_EVENT_PATTERN_CHARS) {
                self.push(format!("{events}[{i}]"), format!("longer than {MAX_EVENT_PATTERN_CHARS} characters"));
            }
        }
    }

    fn remote_url(&mut self, path: &str, value: &str) {
        if too_long(value, MAX_URL_CHARS) {
            self.push(path, format!("longer than {MAX_URL_CHARS} characters"));
            return;
        }
        match reqwest::Url::parse(value) {
            Err(_) => self.push(path, "not a URL"),
            Ok(url) if !is_https_or_loopback(&url) => {
                self.push(path, "must be https (plain http only for localhost or 127.0.0.1)")
            }
            Ok(_) => {}
        }
    }
}

fn is_percentage(value: &DecimalValue) -> bool {
    if !value.is_plain_non_negative() {
        return false;
    }
    let (whole, fraction) = value.as_str().split_once('.').unwrap_or((value.as_str(), ""));
    match whole.trim_start_matches('0').len() {
        0..=2 => true,
        3 => whole.trim_start_matches('0') == "100" && fraction.bytes().all(|b| b == b'0'),
        _ => false,
    }
}

fn list_or_none(names: &[&str]) -> String {
    if names.is_empty() { "none defined".to_owned() } else { names.join(", ") }
}
