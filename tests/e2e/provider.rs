//! Provider administrators: their own IdP, their own operations, no tenant data, no secrets.

use serde_json::json;

use crate::support::{SECRETS, TENANT_A, TestApp, error_code, line, ops_doc, order_input};

const PROVIDER_VIEW: &str = "{ plans { name permissions limits { ordersPerMonth } } \
  tenants(first: 100) { nodes { id plan status webhooks idp { issuer audience algorithms jwksUri hasPublicKeyPem hasHs256Secret tenantClaim rolesClaim } } } \
  tenant(id: \"tenant_a\") { id plan } }";

#[tokio::test]
async fn provider_admin_sees_plans_and_tenants_but_no_secret() {
    let app = TestApp::spawn().await;
    let admin = app.jwks.sign_provider("sara", &["saas_admin"]);
    let body = app.gql(&admin, PROVIDER_VIEW, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    let plans = body["data"]["plans"].as_array().unwrap();
    assert!(plans.iter().any(|p| p["name"] == "quota5" && p["limits"]["ordersPerMonth"] == 5), "{body}");
    let tenants = body["data"]["tenants"]["nodes"].as_array().unwrap();
    let a = tenants.iter().find(|t| t["id"] == TENANT_A).expect("tenant a listed");
    assert_eq!(a["webhooks"], json!(["add_order"]));
    let dev = tenants.iter().find(|t| t["id"] == "tenant_dev").expect("tenant dev listed");
    assert_eq!(dev["idp"]["hasHs256Secret"], true);
    assert_eq!(body["data"]["tenant"]["plan"], "standard");
    let text = body.to_string();
    for secret in SECRETS {
        assert!(!text.contains(secret), "a configured secret leaked into a response");
    }
}

#[tokio::test]
async fn provider_and_tenant_operations_do_not_mix() {
    let app = TestApp::spawn().await;
    // A provider user without the admin role.
    let staff = app.jwks.sign_provider("sam", &["support"]);
    let body = app.gql(&staff, "{ plans { name } }", json!({})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    // Provider administrators do not act inside tenants (they may read any tenant's audit trail).
    let admin = app.jwks.sign_provider("sara", &["saas_admin"]);
    for doc in ["{ orders { nodes { id } } }", "{ tenantConfig { version } }"] {
        let body = app.gql(&admin, doc, json!({})).await;
        assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    }
    let body = app.gql(&staff, "{ auditLog { nodes { id } } }", json!({})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let body = app
        .gql(&admin, &ops_doc("createOrder"), json!({"input": order_input("p-1", vec![line("A", 1, "1.00")])}))
        .await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    // Tenant users may not call provider operations, and do not see them.
    let tenant_admin = app.token_a("alice");
    let body = app.gql(&tenant_admin, "{ tenants { nodes { id } } }", json!({})).await;
    assert_eq!(error_code(&body), Some("FORBIDDEN"), "{body}");
    let intro = app.gql(&tenant_admin, "{ __schema { queryType { fields { name } } } }", json!({})).await;
    let names = intro.to_string();
    assert!(!names.contains("\"tenants\"") && !names.contains("\"plans\""), "{names}");
    // The provider sees its operations.
    let intro = app.gql(&admin, "{ __schema { queryType { fields { name } } } }", json!({})).await;
    assert!(intro.to_string().contains("\"tenants\""));
}

#[tokio::test]
async fn provider_tokens_are_verified_like_any_other() {
    let app = TestApp::spawn().await;
    // Signed by tenant A's key but claiming the provider's issuer.
    let mut claims = crate::support::Claims::for_tenants(&app.jwks.provider_issuer(), "oms-admin", "eve", &[]);
    claims.extra.insert("roles".into(), json!(["saas_admin"]));
    let forged = app.jwks.sign(&claims);
    let (status, body) =
        app.post(&[("authorization", &format!("Bearer {forged}"))], &json!({"query": "{ plans { name } }"})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"));
}
