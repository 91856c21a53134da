//! Every forged, expired or misdirected token is refused with UNAUTHENTICATED and changes nothing.

use serde_json::{Value, json};

use crate::support::{
    Claims, SUSPENDED, TENANT_A, TENANT_B, TENANT_P, TestApp, error_code, hs256_with_public_key, line, ops_doc,
    order_input, sign_rs256, unsigned,
};

fn create_body(ext: &str) -> Value {
    json!({"query": ops_doc("createOrder"), "variables": {"input": order_input(ext, vec![line("A", 1, "1.00")])}})
}

async fn assert_refused(app: &TestApp, headers: &[(&str, &str)], case: &str) {
    let (status, body) = app.post(headers, &create_body(case)).await;
    assert_eq!(status, 401, "{case}: {body}");
    assert_eq!(error_code(&body), Some("UNAUTHENTICATED"), "{case}: {body}");
    assert!(body["data"].is_null(), "{case}: {body}");
}

async fn order_count(app: &TestApp, token: &str) -> usize {
    let body = app.gql(token, "{ orders(first: 100) { nodes { id } } }", json!({})).await;
    body["data"]["orders"]["nodes"].as_array().unwrap().len()
}

#[tokio::test]
async fn bad_tokens_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let iss = app.jwks.issuer();
    let now = chrono::Utc::now().timestamp();
    let good = Claims::for_tenants(&iss, "oms", "mallory", &[TENANT_A]);

    let expired = Claims { exp: Some(now - 3600), iat: now - 7200, ..good.clone() };
    let no_exp = Claims { exp: None, ..good.clone() };
    let wrong_aud = Claims { aud: "someone-else".into(), ..good.clone() };
    let wrong_iss = Claims { iss: "https://evil.example".into(), ..good.clone() };
    let no_tenant = Claims::for_claim(&iss, "oms", "mallory", "organization", json!([]));
    let unknown_tenant = Claims::for_tenants(&iss, "oms", "mallory", &["tenant_zzz"]);
    // Tenant B's IdP may not speak for tenant A.
    let b_idp_for_a = Claims::for_claim("https://idp.tenant-b.example", "oms-b", "mallory", "tenant", json!(TENANT_A));

    let cases: Vec<(&str, String)> = vec![
        ("expired", app.jwks.sign(&expired)),
        ("missing exp", app.jwks.sign(&no_exp)),
        ("wrong audience", app.jwks.sign(&wrong_aud)),
        ("wrong issuer", app.jwks.sign(&wrong_iss)),
        ("no tenant in claim", app.jwks.sign(&no_tenant)),
        ("unknown tenant", app.jwks.sign(&unknown_tenant)),
        ("other tenant's idp", crate::support::tokens_es256(&b_idp_for_a)),
        ("alg none", unsigned(&good)),
        (
            "rogue key with the tenant's kid",
            sign_rs256(&good, include_str!("../fixtures/rogue_rsa.key.pem"), "tenant_a_rsa-1"),
        ),
        ("unknown kid", sign_rs256(&good, include_str!("../fixtures/rogue_rsa.key.pem"), "rogue_rsa-1")),
        ("hs256 with the public key (algorithm confusion)", hs256_with_public_key(&good)),
        ("garbage", "not.a.jwt".into()),
    ];
    for (case, token) in &cases {
        let auth = format!("Bearer {token}");
        assert_refused(&app, &[("authorization", &auth)], case).await;
    }
    assert_refused(&app, &[], "missing token").await;
    assert_refused(&app, &[("authorization", "Basic YWxpY2U6c2VjcmV0")], "basic auth").await;

    // Nothing was created by any of them.
    assert_eq!(order_count(&app, &app.token_a("alice")).await, 0);
    assert_eq!(order_count(&app, &app.token_b("bob")).await, 0);
}

#[tokio::test]
async fn a_subject_of_several_tenants_picks_one_with_x_tenant_id() {
    let app = TestApp::spawn().await;
    let both = app.jwks.sign(&Claims::for_tenants(&app.jwks.issuer(), "oms", "multi", &[TENANT_A, TENANT_P]));
    let auth = format!("Bearer {both}");
    assert_refused(&app, &[("authorization", &auth)], "ambiguous").await;
    // A tenant the token does not prove membership of is refused even if its IdP matches.
    assert_refused(&app, &[("authorization", &auth), ("x-tenant-id", TENANT_B)], "hint outside claim").await;
    assert_refused(&app, &[("authorization", &auth), ("x-tenant-id", SUSPENDED)], "hint outside claim 2").await;

    let (status, body) =
        app.post(&[("authorization", &auth), ("x-tenant-id", TENANT_P)], &create_body("multi-1")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["createOrder"]["order"]["status"], "PENDING", "created in tenant P: {body}");
    assert_eq!(order_count(&app, &app.token_p("pat")).await, 1);
    assert_eq!(order_count(&app, &app.token_a("alice")).await, 0);
}

#[tokio::test]
async fn suspended_tenant_is_refused_on_every_call() {
    let app = TestApp::spawn().await;
    let t = app.jwks.sign(&Claims::for_tenants(&app.jwks.issuer(), "oms", "sam", &[SUSPENDED]));
    // Refused at the HTTP edge, before the body is read: no schema, no introspection.
    for doc in ["{ me { subject } }", "{ orders { nodes { id } } }", "{ __schema { queryType { name } } }"] {
        let (status, body) = app.gql_status(&t, doc, json!({})).await;
        assert_eq!((status, error_code(&body)), (403, Some("TENANT_SUSPENDED")), "{body}");
    }
    let (status, body) = app
        .gql_status(&t, &ops_doc("createOrder"), json!({"input": order_input("s-1", vec![line("A", 1, "1.00")])}))
        .await;
    assert_eq!((status, error_code(&body)), (403, Some("TENANT_SUSPENDED")), "{body}");
}

#[tokio::test]
async fn es256_pem_tenant_and_rs256_jwks_tenant_both_work() {
    let app = TestApp::spawn().await;
    let a = app.gql(&app.token_a("alice"), "{ me { tenantId } }", json!({})).await;
    assert_eq!(a["data"]["me"]["tenantId"], TENANT_A);
    let b = app.gql(&app.token_b("bob"), "{ me { tenantId } }", json!({})).await;
    assert_eq!(b["data"]["me"]["tenantId"], TENANT_B);
    // The JWKS was fetched once and then served from cache.
    for _ in 0..5 {
        app.gql(&app.token_a("alice"), "{ me { subject } }", json!({})).await;
    }
    assert_eq!(*app.jwks.fetches.lock().unwrap(), 1);
}
