use super::{SPEC_EXAMPLE, SPEC_EXAMPLE_SECRETS};
use crate::config::{SaasConfig, Secret};

fn with_hs256(secret: &str) -> String {
    format!(
        r#"{{"plans": {{"p": {{}}}}, "tenants": {{"t": {{"plan": "p", "idp": {{"issuer": "i", "audience": "a",
            "algorithms": ["HS256"], "hs256_secret": "{secret}"}}}}}}}}"#
    )
}

#[test]
fn debug_never_shows_a_secret() {
    let config = SaasConfig::from_json_str(SPEC_EXAMPLE).unwrap();
    let hs = SaasConfig::from_json_str(&with_hs256("hs256-secret-6-hs256-secret-6-hs256")).unwrap();

    let printed = format!("{config:?} {config:#?} {hs:?}");

    for secret in SPEC_EXAMPLE_SECRETS.iter().chain(&["hs256-secret-6-hs256-secret-6-hs256"]) {
        assert!(!printed.contains(secret), "Debug shows {secret}");
    }
    assert!(printed.contains("[REDACTED]"));
}

#[test]
fn misspelt_secret_keys_are_not_printed_either() {
    let json = r#"{"plans": {"p": {}}, "tenants": {"t": {"plan": "p", "idp": {"hs256_secert": "typo-secret-7"}}}}"#;
    let config = SaasConfig::from_json_str(json).unwrap();

    assert!(!format!("{config:?}").contains("typo-secret-7"));
    assert!(config.check().iter().any(|p| p.path == "tenants.t.idp.hs256_secert"));
}

#[test]
fn redacted_json_hides_secrets_but_storage_json_keeps_them() {
    let config = SaasConfig::from_json_str(SPEC_EXAMPLE).unwrap();

    let shown = config.redacted_json().to_string();
    let stored = serde_json::to_string(&config).unwrap();

    for secret in SPEC_EXAMPLE_SECRETS {
        assert!(!shown.contains(secret), "redacted JSON shows {secret}");
        assert!(stored.contains(secret), "stored JSON lost {secret}");
    }
    let reloaded = SaasConfig::from_json_str(&stored).unwrap();
    assert_eq!(
        reloaded.tenants["tenant_123"].create_shipment_api.as_ref().unwrap().api_key.as_ref().unwrap().expose(),
        "carrier-api-key-4"
    );
}

#[test]
fn a_secret_of_the_wrong_type_is_not_quoted_in_the_error() {
    let json = r#"{"tenants": {"t": {"plan": "p", "idp": {"hs256_secret": 98765432123}}}}"#;

    let error = SaasConfig::from_json_str(json).expect_err("secret must be a string");

    let message = error.to_string();
    assert!(message.contains("tenants.t.idp.hs256_secret"), "{message}");
    assert!(!message.contains("98765432123"), "{message}");
}

#[test]
fn secret_debug_and_display_are_redacted() {
    let secret = Secret::new("plain-text-8");
    assert_eq!(format!("{secret:?}"), "[REDACTED]");
    assert_eq!(secret.to_string(), "[REDACTED]");
    assert_eq!(secret.expose(), "plain-text-8");
}
