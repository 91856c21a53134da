use application::ports::AuthError;
use jsonwebtoken::Algorithm;
use serde_json::json;

use super::jwks_server::JwksServer;
use super::support::*;

async fn server_and_verifier() -> (JwksServer, crate::identity::JwtVerifier) {
    let server = JwksServer::start(jwks(&[jwk(TENANT_A_JWK, TENANT_A_KID)])).await;
    let verifier = verifier(&server.url);
    (server, verifier)
}

fn signed_shared(organization: serde_json::Value) -> String {
    sign(Algorithm::RS256, &rsa(PROVIDER_KEY), None, &claims_shared(organization))
}

#[tokio::test]
async fn tenant_claim_may_be_a_map_a_list_or_a_string() {
    let (_server, verifier) = server_and_verifier().await;
    for organization in [json!({"tenant_a": {"id": "x"}}), json!(["other", "tenant_a"]), json!("tenant_a")] {
        let mut claims = claims_a();
        claims["organization"] = organization.clone();

        let principal = verify(&verifier, &signed_a(&claims), None).await.expect("valid token");

        assert_eq!(principal.tenant_id.as_str(), "tenant_a", "claim {organization}");
    }
}

#[tokio::test]
async fn token_of_tenant_as_idp_naming_tenant_b_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let mut claims = claims_a();
    claims["organization"] = json!(["tenant_b"]);
    let token = signed_a(&claims);

    assert_invalid(verify(&verifier, &token, None).await, &token, "names no tenant");
    assert_invalid(verify(&verifier, &token, Some("tenant_b")).await, &token, "X-Tenant-Id");
}

#[tokio::test]
async fn token_without_tenant_claim_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let mut claims = claims_a();
    claims.as_object_mut().unwrap().remove("organization");
    let token = signed_a(&claims);

    assert_invalid(verify(&verifier, &token, None).await, &token, "names no tenant");
}

#[tokio::test]
async fn shared_issuer_with_two_tenants_in_the_claim_needs_a_hint() {
    let (_server, verifier) = server_and_verifier().await;
    let token = signed_shared(json!({"shared_1": {}, "shared_2": {}}));

    assert_eq!(verify(&verifier, &token, None).await, Err(AuthError::AmbiguousTenant));

    let principal = verify(&verifier, &token, Some("shared_2")).await.expect("hint resolves it");
    assert_eq!(principal.tenant_id.as_str(), "shared_2");
    let principal = verify(&verifier, &token, Some("shared_1")).await.expect("hint resolves it");
    assert_eq!(principal.tenant_id.as_str(), "shared_1");
    assert!(principal.roles.is_empty(), "no roles claim, no roles");
}

#[tokio::test]
async fn shared_issuer_with_one_tenant_in_the_claim_needs_no_hint() {
    let (_server, verifier) = server_and_verifier().await;
    let token = signed_shared(json!(["shared_1"]));

    let principal = verify(&verifier, &token, None).await.expect("one candidate");

    assert_eq!(principal.tenant_id.as_str(), "shared_1");
}

#[tokio::test]
async fn hint_naming_a_tenant_outside_the_claim_is_refused() {
    let (_server, verifier) = server_and_verifier().await;
    let token = signed_shared(json!(["shared_1"]));

    assert_invalid(verify(&verifier, &token, Some("shared_2")).await, &token, "X-Tenant-Id");
    assert_invalid(verify(&verifier, &token, Some("tenant_a")).await, &token, "X-Tenant-Id");
}
