//! Token claims and signing helpers for the tests.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Map, Value, json};

#[derive(Serialize, Clone, Debug)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    pub iat: i64,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Claims {
    pub fn for_claim(iss: &str, aud: &str, sub: &str, claim: &str, value: Value) -> Claims {
        let now = chrono::Utc::now().timestamp();
        let mut extra = Map::new();
        extra.insert(claim.to_owned(), value);
        extra.insert("roles".to_owned(), json!(["tenant_admin", "vendor"]));
        Claims { iss: iss.to_owned(), aud: aud.to_owned(), sub: sub.to_owned(), exp: Some(now + 600), iat: now, extra }
    }

    /// Keycloak style: the `organization` claim lists the tenants the subject belongs to.
    pub fn for_tenants(iss: &str, aud: &str, sub: &str, tenants: &[&str]) -> Claims {
        Claims::for_claim(iss, aud, sub, "organization", json!(tenants))
    }
}

pub fn sign_es256(claims: &Claims) -> String {
    let key = EncodingKey::from_ec_pem(include_bytes!("../../fixtures/tenant_b_ec.key.pem")).expect("ec key");
    jsonwebtoken::encode(&Header::new(Algorithm::ES256), claims, &key).expect("sign")
}

/// An unsigned token (`alg: none`), as an attacker would hand-craft it.
pub fn unsigned(claims: &Claims) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let body = b64.encode(serde_json::to_vec(claims).expect("claims"));
    format!("{header}.{body}.")
}

/// HS256 signed with the RSA public key as the HMAC secret: the classic algorithm-confusion attack.
pub fn hs256_with_public_key(claims: &Claims) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("tenant_a_rsa-1".to_owned());
    let key = EncodingKey::from_secret(include_bytes!("../../fixtures/tenant_a_rsa.pub.pem"));
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}
