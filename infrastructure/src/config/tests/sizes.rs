//! `check` bounds the sizes of values a tenant admin or the provider can write.

use serde_json::{Value, json};

use crate::config::SaasConfig;

/// A clean tenant with a TenantConfig; each test makes one value too big.
fn base() -> Value {
    json!({
        "plans": {"standard": {"permissions": ["order:read"]}},
        "tenants": {"t1": {"plan": "standard", "idp": {
            "issuer": "https://idp.example", "audience": "oms", "algorithms": ["RS256"],
            "jwks_uri": "https://idp.example/certs"},
            "create_shipment_api": {"endpoint": "https://carrier.example/v2", "api_key": "sizes-test-carrier-key"},
            "tenant_config": {
                "roles": {"clerk": ["order:read"]},
                "outbound_webhook": {"url": "https://t1.example/hooks", "secret": "whsec_c2l6ZXMtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OQ==", "events": ["order.*"]}}}}
    })
}

fn problems(edit: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut document = base();
    edit(&mut document);
    let config = SaasConfig::from_json_str(&document.to_string()).expect("parses");
    config.check().iter().map(ToString::to_string).collect()
}

/// Exactly one problem, at `path`, mentioning `words`.
fn assert_one(edit: impl FnOnce(&mut Value), path: &str, words: &str) {
    let found = problems(edit);
    assert_eq!(found.len(), 1, "expected one problem at {path}, got {found:#?}");
    assert!(found[0].starts_with(&format!("{path}: ")) && found[0].contains(words), "{found:?}");
}

fn settings(document: &mut Value) -> &mut Value {
    &mut document["tenants"]["t1"]["tenant_config"]
}

fn roles(n: usize) -> Value {
    (0..n).map(|i| (format!("role{i}"), json!(["order:read"]))).collect::<serde_json::Map<_, _>>().into()
}

#[test]
fn the_base_document_is_clean_and_bounds_are_inclusive() {
    assert_eq!(problems(|_| {}), Vec::<String>::new());
    let at_every_bound = problems(|d| {
        d["tenants"]["t1"]["idp"]["issuer"] = json!(format!("https://{}", "i".repeat(504)));
        d["tenants"]["t1"]["idp"]["audience"] = json!("a".repeat(512));
        d["tenants"]["t1"]["idp"]["jwks_uri"] = json!(format!("https://idp.example/{}", "k".repeat(2028)));
        let s = settings(d);
        s["roles"] = roles(50);
        s["roles"]["r".repeat(64)] = json!(crate::config::tenant_permissions().chain(["*"]).collect::<Vec<_>>());
        s["roles"].as_object_mut().unwrap().remove("role0");
        s["outbound_webhook"]["events"] = json!(vec!["e".repeat(100); 50]);
    });
    assert_eq!(at_every_bound, Vec::<String>::new());
}

#[test]
fn more_than_50_roles() {
    assert_one(|d| settings(d)["roles"] = roles(51), "tenants.t1.tenant_config.roles", "51 roles; at most 50");
}

#[test]
fn a_role_name_longer_than_64_characters() {
    let name = "r".repeat(65);
    let found = problems(|d| settings(d)["roles"][&name] = json!(["order:read"]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("tenants.t1.tenant_config.roles: "), "{found:?}");
    assert!(found[0].contains("longer than 64") && !found[0].contains(&name), "the name is not echoed whole");
}

#[test]
fn a_role_with_more_permissions_than_there_are() {
    let too_many = crate::config::tenant_permissions().count() + 2;
    assert_one(
        |d| settings(d)["roles"]["clerk"] = json!(vec!["order:read"; too_many]),
        "tenants.t1.tenant_config.roles.clerk",
        &format!("{too_many} permissions; at most"),
    );
}

#[test]
fn more_than_50_event_patterns() {
    assert_one(
        |d| settings(d)["outbound_webhook"]["events"] = json!(vec!["order.*"; 51]),
        "tenants.t1.tenant_config.outbound_webhook.events",
        "51 patterns; at most 50",
    );
}

#[test]
fn an_event_pattern_longer_than_100_characters() {
    assert_one(
        |d| settings(d)["outbound_webhook"]["events"] = json!(["order.*", "e".repeat(101)]),
        "tenants.t1.tenant_config.outbound_webhook.events[1]",
        "longer than 100 characters",
    );
}

#[test]
fn urls_longer_than_2048_characters() {
    let long = format!("https://example.com/{}", "u".repeat(2048));
    for (path, set) in [
        (
            "tenants.t1.idp.jwks_uri",
            &(|d: &mut Value, v: Value| d["tenants"]["t1"]["idp"]["jwks_uri"] = v) as &dyn Fn(&mut Value, Value),
        ),
        ("tenants.t1.tenant_config.outbound_webhook.url", &|d: &mut Value, v: Value| {
            settings(d)["outbound_webhook"]["url"] = v
        }),
        ("tenants.t1.create_shipment_api.endpoint", &|d: &mut Value, v: Value| {
            d["tenants"]["t1"]["create_shipment_api"]["endpoint"] = v
        }),
    ] {
        assert_one(|d| set(d, json!(long)), path, "longer than 2048 characters");
    }
}

#[test]
fn issuer_and_audience_longer_than_512_characters() {
    assert_one(
        |d| d["tenants"]["t1"]["idp"]["issuer"] = json!(format!("https://{}", "i".repeat(505))),
        "tenants.t1.idp.issuer",
        "longer than 512",
    );
    assert_one(
        |d| d["tenants"]["t1"]["idp"]["audience"] = json!("a".repeat(513)),
        "tenants.t1.idp.audience",
        "longer than 512",
    );
}

#[test]
fn the_provider_idp_has_the_same_bounds() {
    let found = problems(|d| {
        d["provider"] = json!({"idp": {"issuer": "i".repeat(513), "audience": "oms", "algorithms": ["RS256"],
                                       "jwks_uri": "https://idp.example/certs"}});
    });
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("provider.idp.issuer: "), "{found:?}");
}
