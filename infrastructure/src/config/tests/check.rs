use serde_json::{Value, json};

use super::SPEC_EXAMPLE;
use crate::config::SaasConfig;

const RSA_PUB: &str = include_str!("../../../../tests/fixtures/tenant_a_rsa.pub.pem");
const RSA_PRIVATE: &str = include_str!("../../../../tests/fixtures/tenant_a_rsa.key.pem");
const EC_PUB: &str = include_str!("../../../../tests/fixtures/tenant_b_ec.pub.pem");
const LONG_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// A clean one-tenant document; each test breaks one thing in it.
fn base() -> Value {
    json!({
        "plans": {"standard": {"permissions": ["order:read"]}},
        "tenants": {"t1": {"plan": "standard", "status": "active", "idp": {
            "issuer": "https://idp.example", "audience": "oms", "algorithms": ["RS256"],
            "jwks_uri": "https://idp.example/certs"}}}
    })
}

fn problems_of(document: &Value) -> Vec<String> {
    let config = SaasConfig::from_json_str(&document.to_string()).expect("parses");
    config.check().iter().map(ToString::to_string).collect()
}

/// `edit` introduces exactly one problem, at `path`, whose message mentions `words`.
fn assert_one_problem(edit: impl FnOnce(&mut Value), path: &str, words: &str) {
    let mut document = base();
    edit(&mut document);
    let problems = problems_of(&document);
    assert_eq!(problems.len(), 1, "expected one problem at {path}, got {problems:#?}");
    assert!(problems[0].starts_with(&format!("{path}: ")), "{problems:?}");
    assert!(problems[0].contains(words), "{problems:?}");
}

fn idp(document: &mut Value) -> &mut Value {
    &mut document["tenants"]["t1"]["idp"]
}

#[test]
fn clean_documents_have_no_problems() {
    assert_eq!(problems_of(&base()), Vec::<String>::new());
    assert_eq!(SaasConfig::from_json_str(SPEC_EXAMPLE).unwrap().check(), vec![]);
}

#[test]
fn problem_displays_as_path_colon_message() {
    let problem = crate::config::ConfigProblem { path: "a.b".into(), message: "bad".into() };
    assert_eq!(problem.to_string(), "a.b: bad");
}

#[test]
fn unknown_plan() {
    assert_one_problem(|d| d["tenants"]["t1"]["plan"] = json!("gold"), "tenants.t1.plan", "unknown plan `gold`");
}

#[test]
fn unknown_permission_in_plan() {
    assert_one_problem(
        |d| d["plans"]["standard"]["permissions"] = json!(["order:read", "order:delete"]),
        "plans.standard.permissions[1]",
        "unknown permission `order:delete`",
    );
}

#[test]
fn provider_only_permission_in_plan() {
    assert_one_problem(
        |d| d["plans"]["standard"]["permissions"] = json!(["platform:admin"]),
        "plans.standard.permissions[0]",
        "provider-only",
    );
}

#[test]
fn unknown_permission_in_tenant_roles() {
    assert_one_problem(
        |d| {
            d["tenants"]["t1"]["tenant_config"] =
                json!({"roles": {"vendor": ["order:read", "orders:read"], "admin": ["*"]}})
        },
        "tenants.t1.tenant_config.roles.vendor[1]",
        "unknown permission `orders:read`",
    );
}

#[test]
fn idp_without_any_key() {
    assert_one_problem(
        |d| idp(d).as_object_mut().unwrap().remove("jwks_uri").map(drop).unwrap(),
        "tenants.t1.idp",
        "no key",
    );
}

#[test]
fn unsupported_algorithm() {
    assert_one_problem(
        |d| idp(d)["algorithms"] = json!(["RS256", "HS512"]),
        "tenants.t1.idp.algorithms[1]",
        "unsupported",
    );
}

#[test]
fn alg_none_is_always_refused() {
    assert_one_problem(
        |d| idp(d)["algorithms"] = json!(["RS256", "none"]),
        "tenants.t1.idp.algorithms[1]",
        "never accepted",
    );
}

#[test]
fn empty_algorithms() {
    assert_one_problem(|d| idp(d)["algorithms"] = json!([]), "tenants.t1.idp.algorithms", "empty");
}

#[test]
fn hs256_without_secret() {
    assert_one_problem(|d| idp(d)["algorithms"] = json!(["HS256"]), "tenants.t1.idp.algorithms[0]", "hs256_secret");
}

#[test]
fn hs256_mixed_with_public_key_algorithms() {
    assert_one_problem(
        |d| {
            idp(d)["algorithms"] = json!(["RS256", "HS256"]);
            idp(d)["hs256_secret"] = json!(LONG_SECRET);
        },
        "tenants.t1.idp.algorithms",
        "cannot be mixed",
    );
}

#[test]
fn short_hs256_secret() {
    assert_one_problem(
        |d| {
            idp(d)["algorithms"] = json!(["HS256"]);
            idp(d)["hs256_secret"] = json!("short");
        },
        "tenants.t1.idp.hs256_secret",
        "32 bytes",
    );
}

#[test]
fn invalid_pem() {
    assert_one_problem(
        |d| idp(d)["public_key_pem"] = json!("-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----"),
        "tenants.t1.idp.public_key_pem",
        "not a PEM-encoded",
    );
}

#[test]
fn private_key_given_as_public_key_pem() {
    assert_one_problem(
        |d| idp(d)["public_key_pem"] = json!(RSA_PRIVATE),
        "tenants.t1.idp.public_key_pem",
        "private key",
    );
}

#[test]
fn valid_pems_of_each_family_pass() {
    let mut rsa = base();
    idp(&mut rsa)["public_key_pem"] = json!(RSA_PUB);
    assert_eq!(problems_of(&rsa), Vec::<String>::new());
    let mut ec = base();
    idp(&mut ec)["public_key_pem"] = json!(EC_PUB);
    idp(&mut ec)["algorithms"] = json!(["ES256"]);
    idp(&mut ec).as_object_mut().unwrap().remove("jwks_uri");
    assert_eq!(problems_of(&ec), Vec::<String>::new());
}

#[test]
fn pem_of_the_wrong_family_for_the_algorithms() {
    assert_one_problem(
        |d| {
            idp(d).as_object_mut().unwrap().remove("jwks_uri");
            idp(d)["public_key_pem"] = json!(EC_PUB);
        },
        "tenants.t1.idp.algorithms[0]",
        "needs an RSA key but public_key_pem holds an EC key",
    );
}

#[test]
fn invalid_tenant_id() {
    let mut document = base();
    let tenant = document["tenants"]["t1"].clone();
    document["tenants"] = json!({"bad tenant/id": tenant});
    let problems = problems_of(&document);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("tenants.bad tenant/id: tenant id must be"), "{problems:?}");

    let mut long = base();
    long["tenants"] = json!({ "x".repeat(65): tenant });
    assert_eq!(problems_of(&long).len(), 1);
}

#[test]
fn missing_issuer() {
    assert_one_problem(|d| idp(d)["issuer"] = Value::Null, "tenants.t1.idp.issuer", "missing");
}

#[test]
fn missing_audience() {
    assert_one_problem(
        |d| idp(d).as_object_mut().unwrap().remove("audience").map(drop).unwrap(),
        "tenants.t1.idp.audience",
        "missing",
    );
}

#[test]
fn blank_audience() {
    assert_one_problem(|d| idp(d)["audience"] = json!("  "), "tenants.t1.idp.audience", "missing");
}

#[test]
fn status_neither_active_nor_suspended() {
    assert_one_problem(|d| d["tenants"]["t1"]["status"] = json!("paused"), "tenants.t1.status", "`paused`");
}

#[test]
fn plain_http_jwks_uri() {
    assert_one_problem(|d| idp(d)["jwks_uri"] = json!("http://idp.example/certs"), "tenants.t1.idp.jwks_uri", "https");
}

#[test]
fn jwks_uri_that_is_no_url() {
    assert_one_problem(|d| idp(d)["jwks_uri"] = json!("idp.example/certs"), "tenants.t1.idp.jwks_uri", "not a URL");
}

#[test]
fn plain_http_jwks_uri_on_loopback_is_fine() {
    for uri in ["http://localhost:8081/certs", "http://127.0.0.1:9000/jwks.json"] {
        let mut document = base();
        idp(&mut document)["jwks_uri"] = json!(uri);
        assert_eq!(problems_of(&document), Vec::<String>::new(), "{uri}");
    }
}

#[test]
fn unknown_keys_are_reported_where_they_are() {
    assert_one_problem(|d| idp(d)["jwks_url"] = json!("https://x"), "tenants.t1.idp.jwks_url", "unknown key");
    assert_one_problem(|d| d["tenant"] = json!({}), "tenant", "unknown key");
}

#[test]
fn webhook_without_shared_secret() {
    assert_one_problem(
        |d| d["tenants"]["t1"]["webhooks"] = json!({"add_order": {"provider": "standard"}}),
        "tenants.t1.webhooks.add_order.shared_secret",
        "missing",
    );
}

#[test]
fn tenant_config_values_out_of_range() {
    assert_one_problem(
        |d| d["tenants"]["t1"]["tenant_config"] = json!({"restocking_fee_percent": 150}),
        "tenants.t1.tenant_config.restocking_fee_percent",
        "0 to 100",
    );
    assert_one_problem(
        |d| d["tenants"]["t1"]["tenant_config"] = json!({"max_refund_amount": "-5"}),
        "tenants.t1.tenant_config.max_refund_amount",
        "non-negative",
    );
}

#[test]
fn outbound_webhook_must_be_https_and_signed() {
    let mut document = base();
    document["tenants"]["t1"]["tenant_config"] = json!({"outbound_webhook": {"url": "http://tenant.example/x"}});
    let problems = problems_of(&document);
    assert_eq!(
        problems.iter().map(|p| p.split(':').next().unwrap()).collect::<Vec<_>>(),
        vec!["tenants.t1.tenant_config.outbound_webhook.url", "tenants.t1.tenant_config.outbound_webhook.secret"]
    );
}

#[test]
fn provider_without_idp() {
    assert_one_problem(|d| d["provider"] = json!({"admin_role": "saas_admin"}), "provider.idp", "missing");
}

#[test]
fn provider_idp_is_checked_like_a_tenants() {
    assert_one_problem(
        |d| d["provider"] = json!({"idp": {"issuer": "https://p", "audience": "oms", "algorithms": ["none"], "jwks_uri": "https://p/certs"}}),
        "provider.idp.algorithms[0]",
        "never accepted",
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let document = json!({
        "plans": {"standard": {"permissions": ["nope"]}},
        "tenants": {"t 1": {"plan": "gold", "status": "x", "idp": {"algorithms": ["none"]}}}
    });
    let problems = problems_of(&document);
    for path in [
        "plans.standard.permissions[0]",
        "tenants.t 1:",
        "tenants.t 1.plan",
        "tenants.t 1.status",
        "tenants.t 1.idp.issuer",
        "tenants.t 1.idp.audience",
        "tenants.t 1.idp:",
        "tenants.t 1.idp.algorithms[0]",
    ] {
        assert!(problems.iter().any(|p| p.starts_with(path)), "no problem at {path}: {problems:#?}");
    }
}

fn tracker(document: &mut Value) -> &mut Value {
    document["tenants"]["t1"]["webhooks"] = json!({"shipment_tracker": {
        "provider": "easypost", "shared_secret": LONG_SECRET,
        "tracking_reference_jmespath": "result.tracking_code || data.tracking_code",
        "status_jmespath": "result.status",
        "status_map": {"in_transit": "IN_TRANSIT"}}});
    &mut document["tenants"]["t1"]["webhooks"]["shipment_tracker"]
}

#[test]
fn a_clean_tracker_has_no_problem() {
    let mut document = base();
    tracker(&mut document);
    assert_eq!(problems_of(&document), Vec::<String>::new());
}

#[test]
fn a_jmespath_expression_that_does_not_compile() {
    let path = "tenants.t1.webhooks.shipment_tracker";
    assert_one_problem(
        |d| tracker(d)["tracking_reference_jmespath"] = json!("result.[tracking_code"),
        &format!("{path}.tracking_reference_jmespath"),
        "not a JMESPath expression",
    );
    assert_one_problem(
        |d| tracker(d)["status_jmespath"] = json!("result.status ||"),
        &format!("{path}.status_jmespath"),
        "not a JMESPath expression",
    );
}

#[test]
fn a_status_map_value_a_carrier_may_not_set() {
    assert_one_problem(
        |d| tracker(d)["status_map"] = json!({"in_transit": "CONFIRMED"}),
        "tenants.t1.webhooks.shipment_tracker.status_map.in_transit",
        "not a status a carrier may set",
    );
}

#[test]
fn an_unknown_signature_scheme_or_a_whsec_secret_that_is_not_base64() {
    assert_one_problem(
        |d| tracker(d)["provider"] = json!("svix"),
        "tenants.t1.webhooks.shipment_tracker.provider",
        "unknown signature scheme",
    );
    let mut document = base();
    let hook = tracker(&mut document);
    hook["provider"] = json!("standard");
    hook["shared_secret"] = json!("whsec_not base64!");
    let problems = problems_of(&document);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("base64") && !problems[0].contains("not base64!"), "{problems:?}");
}

fn carrier_api(document: &mut Value, api: Value) {
    document["tenants"]["t1"]["create_shipment_api"] = api;
}

#[test]
fn a_carrier_api_books_with_a_supported_provider_and_a_key() {
    let good = json!({"provider": "easypost", "api_key": "k", "endpoint": "https://api.easypost.com/v2",
                      "service": "Priority",
                      "from_address": {"line1": "7 Warehouse St", "city": "Shuwaikh", "country": "KW"}});
    let mut document = base();
    carrier_api(&mut document, good.clone());
    assert_eq!(problems_of(&document), Vec::<String>::new());

    let mut bosta = good.clone();
    bosta["provider"] = json!("bosta");
    assert_one_problem(|d| carrier_api(d, bosta), "tenants.t1.create_shipment_api.provider", "not a carrier");
    let mut keyless = good.clone();
    keyless.as_object_mut().unwrap().remove("api_key");
    assert_one_problem(|d| carrier_api(d, keyless), "tenants.t1.create_shipment_api.api_key", "missing");
    let mut nowhere = good.clone();
    nowhere["from_address"]["country"] = json!("XX");
    assert_one_problem(|d| carrier_api(d, nowhere), "tenants.t1.create_shipment_api.from_address", "XX");
    let mut blank = good;
    blank["service"] = json!(" ");
    assert_one_problem(|d| carrier_api(d, blank), "tenants.t1.create_shipment_api.service", "1 to 64");
}
