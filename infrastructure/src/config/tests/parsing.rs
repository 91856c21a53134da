use super::SPEC_EXAMPLE;
use crate::config::{ConfigError, SaasConfig};

const TENANT_B_PUB: &str = include_str!("../../../../tests/fixtures/tenant_b_ec.pub.pem");

#[test]
fn spec_example_parses_with_every_key() {
    let config = SaasConfig::from_json_str(SPEC_EXAMPLE).expect("parses");

    let provider = config.provider.as_ref().expect("provider");
    assert_eq!(provider.admin_role, "saas_admin");
    assert_eq!(provider.idp.as_ref().unwrap().roles_claim(), "roles");
    let plan = &config.plans["standard"];
    assert_eq!(plan.limits.requests_per_minute, Some(1200));
    let tenant = &config.tenants["tenant_123"];
    assert_eq!(tenant.idp.tenant_claim(), "organization");
    assert_eq!(tenant.idp.algorithms, vec!["RS256"]);
    assert_eq!(tenant.webhooks["shipment_tracker"].status_map["delivered"], "DELIVERED");
    assert_eq!(
        tenant.create_shipment_api.as_ref().unwrap().endpoint.as_deref(),
        Some("https://api.easypost.example/v2")
    );
    let tenant_config = tenant.tenant_config.as_ref().unwrap();
    assert_eq!(tenant_config.max_refund_amount.as_ref().unwrap().as_str(), "500.00");
    assert_eq!(tenant_config.restocking_fee_percent.as_ref().unwrap().as_str(), "10");
    assert!(!tenant_config.auto_confirm_orders);
    assert_eq!(tenant_config.roles.as_ref().unwrap()["tenant_admin"], vec!["*"]);
    assert_eq!(tenant_config.outbound_webhook.as_ref().unwrap().events, vec!["order.*", "shipment.*"]);
    assert_eq!(config.check(), vec![]);
}

#[test]
fn seed_aliases_algorithm_and_public_key_are_accepted() {
    let json = r#"{"plans": {"p": {}}, "tenants": {"t": {"plan": "p", "idp": {
        "issuer": "https://i", "audience": "a", "algorithm": "RS256", "public_key": "https://i/certs"}}}}"#;

    let config = SaasConfig::from_json_str(json).expect("parses");

    let idp = &config.tenants["t"].idp;
    assert_eq!(idp.algorithms, vec!["RS256"]);
    assert_eq!(idp.jwks_uri.as_deref(), Some("https://i/certs"));
    assert_eq!(idp.public_key_pem, None);
    let written = serde_json::to_value(&config).unwrap();
    assert_eq!(written["tenants"]["t"]["idp"]["jwks_uri"], "https://i/certs", "written back in canonical keys");
    assert_eq!(written["tenants"]["t"]["idp"]["algorithms"][0], "RS256");
}

#[test]
fn a_pem_given_as_public_key_becomes_public_key_pem() {
    let json = serde_json::json!({"plans": {"p": {}}, "tenants": {"t": {"plan": "p", "idp": {
        "issuer": "https://i", "audience": "a", "algorithm": "ES256", "public_key": TENANT_B_PUB}}}});

    let config = SaasConfig::from_json_str(&json.to_string()).expect("parses");

    let idp = &config.tenants["t"].idp;
    assert_eq!(idp.jwks_uri, None);
    assert_eq!(idp.public_key_pem.as_deref(), Some(TENANT_B_PUB));
    assert_eq!(config.check(), vec![]);
}

#[test]
fn defaults_apply_to_optional_keys() {
    let json = r#"{"plans": {"p": {}}, "tenants": {"t": {"plan": "p", "idp": {}, "tenant_config": {}}}}"#;

    let config = SaasConfig::from_json_str(json).expect("parses");

    let tenant = &config.tenants["t"];
    assert_eq!(tenant.status, "active");
    assert_eq!(tenant.idp.tenant_claim(), "tenant");
    assert_eq!(tenant.idp.roles_claim(), "roles");
    assert!(tenant.tenant_config.as_ref().unwrap().auto_confirm_orders);
    assert!(tenant.auto_confirm_orders());
}

#[test]
fn max_refund_amount_may_be_a_string_or_a_number() {
    for (written, kept) in [(r#""500.00""#, "500.00"), ("500", "500"), ("499.5", "499.5")] {
        let json = format!(
            r#"{{"tenants": {{"t": {{"plan": "p", "idp": {{}}, "tenant_config": {{"max_refund_amount": {written}}}}}}}}}"#
        );
        let config = SaasConfig::from_json_str(&json).expect("parses");
        let amount = config.tenants["t"].tenant_config.as_ref().unwrap().max_refund_amount.clone().unwrap();
        assert_eq!(amount.as_str(), kept);
    }
}

#[test]
fn syntax_error_names_line_and_column() {
    let json = "{\n  \"plans\": {\n    \"standard\": ,\n  }\n}";

    let error = SaasConfig::from_json_str(json).expect_err("invalid JSON");

    match &error {
        ConfigError::Syntax { line, column, .. } => assert_eq!((*line, *column), (3, 17)),
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("line 3, column 17"), "{message}");
    assert!(!message.contains("at line 3 column 17"), "position printed once: {message}");
}

#[test]
fn truncated_document_is_a_syntax_error() {
    let error = SaasConfig::from_json_str("{\"plans\": {").expect_err("truncated");
    assert!(matches!(error, ConfigError::Syntax { line: 1, .. }), "{error:?}");
}

#[test]
fn trailing_garbage_is_a_syntax_error() {
    let error = SaasConfig::from_json_str("{} {}").expect_err("trailing characters");
    assert!(matches!(error, ConfigError::Syntax { .. }), "{error:?}");
}

#[test]
fn wrong_type_names_the_key_path_and_position() {
    let json = "{\"tenants\": {\"tenant_123\": {\"plan\": \"p\",\n \"idp\": {\"audience\": 42}}}}";

    let error = SaasConfig::from_json_str(json).expect_err("audience must be a string");

    let message = error.to_string();
    assert!(message.contains("tenants.tenant_123.idp.audience"), "{message}");
    assert!(message.contains("line 2"), "{message}");
    assert!(message.contains("expected a string"), "{message}");
}

#[test]
fn missing_required_key_names_its_parent() {
    let json = r#"{"tenants": {"tenant_123": {"idp": {}}}}"#;

    let error = SaasConfig::from_json_str(json).expect_err("plan is required");

    assert!(error.to_string().contains("tenants.tenant_123: missing field `plan`"), "{error}");
}

#[test]
fn load_names_the_file() {
    let missing = std::env::temp_dir().join(format!("no-such-saas-config-{}.json", uuid::Uuid::new_v4()));
    let error = SaasConfig::load(&missing).expect_err("no such file");
    assert!(matches!(error, ConfigError::Read { .. }));
    assert!(error.to_string().contains(&missing.display().to_string()), "{error}");

    let broken = TempFile::with("{\n\"plans\": [}");
    let error = SaasConfig::load(&broken.0).expect_err("broken JSON");
    let message = error.to_string();
    assert!(message.starts_with(&broken.0.display().to_string()), "{message}");
    assert!(message.contains("line 2"), "{message}");
}

#[test]
fn load_checked_refuses_a_config_with_problems_and_lists_them() {
    let file = TempFile::with(r#"{"tenants": {"t": {"plan": "gold", "status": "paused", "idp": {}}}}"#);

    assert!(SaasConfig::load(&file.0).is_ok(), "load alone does not judge");
    let error = SaasConfig::load_checked(&file.0).expect_err("problems");

    let message = error.to_string();
    assert!(message.contains(&file.0.display().to_string()), "{message}");
    assert!(message.contains("tenants.t.plan: unknown plan `gold`"), "{message}");
    assert!(message.contains("tenants.t.status"), "{message}");
}

#[test]
fn load_reads_a_valid_file() {
    let file = TempFile::with(SPEC_EXAMPLE);
    let config = SaasConfig::load_checked(&file.0).expect("valid");
    assert!(config.tenants.contains_key("tenant_123"));
}

struct TempFile(std::path::PathBuf);

impl TempFile {
    fn with(content: &str) -> Self {
        let path = std::env::temp_dir().join(format!("saas-config-test-{}.json", uuid::Uuid::new_v4()));
        std::fs::write(&path, content).expect("write temp file");
        Self(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
