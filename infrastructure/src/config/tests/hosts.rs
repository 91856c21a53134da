//! Tenant domains: `config check` on the new keys, and the host map requests are resolved with.

use serde_json::{Value, json};

use crate::config::{SaasConfig, TenantHosts, domain_problem, normalize_host};

/// Two tenants on one IdP, a platform domain, and custom domains verified and not.
fn routed() -> Value {
    let idp = json!({"issuer": "https://idp.example", "audience": "oms", "algorithms": ["RS256"],
                     "jwks_uri": "https://idp.example/certs", "vendor_claim": "vendor_id"});
    let provider_idp = json!({"issuer": "https://idp.provider.example", "audience": "oms-admin", "algorithms": ["RS256"],
                              "jwks_uri": "https://idp.provider.example/certs"});
    json!({
        "provider": {"idp": provider_idp, "platform_domain": "oms.example.com"},
        "plans": {"standard": {"permissions": ["order:read"]}},
        "tenants": {
            "acme": {"plan": "standard", "idp": idp, "domains": [
                {"domain": "orders.acme.example", "verified": true},
                {"name": "shop.oms.example.com", "verified": true},
                {"domain": "new.acme.example", "verified": false}]},
            "beta": {"plan": "standard", "idp": idp}
        }
    })
}

fn config(document: &Value) -> SaasConfig {
    SaasConfig::from_json_str(&document.to_string()).expect("parses")
}

fn problems(document: &Value) -> Vec<String> {
    config(document).check().iter().map(ToString::to_string).collect()
}

fn resolve(hosts: &TenantHosts, host: &str) -> Option<String> {
    hosts.resolve(host).map(|t| t.as_str().to_owned())
}

#[test]
fn a_clean_routed_config_has_no_problem() {
    assert_eq!(problems(&routed()), Vec::<String>::new());
}

#[test]
fn verified_domains_then_subdomains_name_tenants() {
    let hosts = TenantHosts::new(&config(&routed()));
    assert_eq!(resolve(&hosts, "orders.acme.example"), Some("acme".into()));
    assert_eq!(resolve(&hosts, "ORDERS.Acme.example:443"), Some("acme".into()));
    assert_eq!(resolve(&hosts, "orders.acme.example."), Some("acme".into()));
    // A custom domain under the platform domain is the tenant's, not a tenant called `shop`.
    assert_eq!(resolve(&hosts, "shop.oms.example.com"), Some("acme".into()));
    assert_eq!(resolve(&hosts, "beta.oms.example.com"), Some("beta".into()));
    assert_eq!(resolve(&hosts, "Beta.OMS.example.com:8080"), Some("beta".into()));
    for nothing in
        ["new.acme.example", "gamma.oms.example.com", "oms.example.com", "x.beta.oms.example.com", "[::1]:80", ""]
    {
        assert_eq!(resolve(&hosts, nothing), None, "{nothing}");
    }
}

#[test]
fn a_domain_two_tenants_claim_names_neither() {
    let mut document = routed();
    document["tenants"]["beta"]["domains"] = json!([{"domain": "orders.acme.example", "verified": true}]);
    let hosts = TenantHosts::new(&config(&document));
    assert_eq!(resolve(&hosts, "orders.acme.example"), None);
    let found = problems(&document);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("tenants.beta.domains[0].domain: "), "{found:?}");
    assert!(found[0].contains("already claimed by tenant `acme`"), "{found:?}");
}

#[test]
fn without_a_platform_domain_no_subdomain_names_a_tenant() {
    let mut document = routed();
    document["provider"].as_object_mut().unwrap().remove("platform_domain");
    let hosts = TenantHosts::new(&config(&document));
    assert_eq!(resolve(&hosts, "beta.oms.example.com"), None);
    assert_eq!(resolve(&hosts, "orders.acme.example"), Some("acme".into()));
}

#[test]
fn check_reports_bad_domains_where_they_are() {
    for (edit, path, words) in [
        (
            json!({"provider": {"platform_domain": "https://oms.example.com"}}),
            "provider.platform_domain",
            "only letters",
        ),
        (json!({"provider": {"platform_domain": "localhost"}}), "provider.platform_domain", "two labels"),
        (json!({"acme": [{"domain": "orders..acme.example"}]}), "tenants.acme.domains[0].domain", "1-63"),
        (json!({"acme": [{"domain": "*.acme.example"}]}), "tenants.acme.domains[0].domain", "wildcard"),
        (json!({"acme": [{"domain": "10.0.0.1"}]}), "tenants.acme.domains[0].domain", "IP address"),
        (json!({"acme": [{"domain": "-x.acme.example"}]}), "tenants.acme.domains[0].domain", "start or end"),
        (json!({"acme": [{"domain": "beta.oms.example.com"}]}), "tenants.acme.domains[0].domain", "tenant `beta`"),
        (json!({"acme": [{"domain": "oms.example.com"}]}), "tenants.acme.domains[0].domain", "platform_domain itself"),
        (json!({"acme": [{"domain": "a.example", "verifed": true}]}), "tenants.acme.domains[0].verifed", "unknown key"),
        (
            json!({"acme": [{"domain": "a.example"}, {"domain": "A.example"}]}),
            "tenants.acme.domains[1].domain",
            "twice",
        ),
    ] {
        let mut document = routed();
        if let Some(provider) = edit.get("provider") {
            document["provider"]["platform_domain"] = provider["platform_domain"].clone();
        }
        if let Some(domains) = edit.get("acme") {
            document["tenants"]["acme"]["domains"] = domains.clone();
        }
        let found = problems(&document);
        assert_eq!(found.len(), 1, "{edit}: {found:#?}");
        assert!(found[0].starts_with(&format!("{path}: ")), "{edit}: {found:?}");
        assert!(found[0].contains(words), "{edit}: {found:?}");
    }
}

#[test]
fn an_empty_vendor_claim_is_reported() {
    let mut document = routed();
    document["tenants"]["beta"]["idp"]["vendor_claim"] = json!(" ");
    assert_eq!(problems(&document), vec!["tenants.beta.idp.vendor_claim: must not be empty".to_owned()]);
}

#[test]
fn host_syntax() {
    assert_eq!(normalize_host(" Orders.Acme.Example:8443 "), Some("orders.acme.example".into()));
    assert_eq!(normalize_host("[::1]:8080"), None);
    assert!(domain_problem("orders.acme.example").is_none());
    assert!(domain_problem(&format!("{}.example", "a".repeat(64))).is_some());
    assert!(domain_problem(&format!("{}example", "a.".repeat(127))).is_some());
}
