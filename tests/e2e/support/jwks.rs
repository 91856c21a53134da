//! A real identity provider stand-in: an HTTP server on 127.0.0.1 serving a JWKS document.

use std::sync::{Arc, Mutex};

use axum::{Json, Router, extract::State, routing::get};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::tokens::Claims;

type Shared = (Arc<Value>, Arc<Mutex<usize>>);

/// The provider's own IdP publishes its key at a second path of the same server.
const PROVIDER_JWKS: &str = include_str!("../../fixtures/provider_rsa.jwk.json");

#[derive(Clone)]
pub struct JwksServer {
    addr: std::net::SocketAddr,
    /// How many times the JWKS document was fetched.
    pub fetches: Arc<Mutex<usize>>,
}

impl JwksServer {
    pub async fn start() -> JwksServer {
        let jwk: Value = serde_json::from_str(include_str!("../../fixtures/tenant_a_rsa.jwk.json")).expect("jwk");
        let keys = Arc::new(json!({ "keys": [jwk] }));
        let fetches = Arc::new(Mutex::new(0usize));
        let state = (keys, fetches.clone());
        let router = Router::new()
            .route(
                "/jwks.json",
                get(|State((keys, fetches)): State<Shared>| async move {
                    *fetches.lock().expect("lock") += 1;
                    Json(keys.as_ref().clone())
                }),
            )
            .route(
                "/provider-jwks.json",
                get(|| async {
                    let jwk: Value = serde_json::from_str(PROVIDER_JWKS).expect("provider jwk");
                    Json(json!({ "keys": [jwk] }))
                }),
            )
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind jwks");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router).await });
        JwksServer { addr, fetches }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn issuer(&self) -> String {
        format!("{}/realms/shared", self.base_url())
    }

    pub fn provider_issuer(&self) -> String {
        format!("{}/realms/provider", self.base_url())
    }

    /// A token of the provider's IdP with `roles`.
    pub fn sign_provider(&self, sub: &str, roles: &[&str]) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut extra = serde_json::Map::new();
        extra.insert("roles".to_owned(), json!(roles));
        let claims = Claims {
            iss: self.provider_issuer(),
            aud: "oms-admin".into(),
            sub: sub.into(),
            exp: Some(now + 600),
            iat: now,
            extra,
        };
        sign_rs256(&claims, include_str!("../../fixtures/provider_rsa.key.pem"), "provider_rsa-1")
    }

    /// Signs with tenant A's IdP key (kid `tenant_a_rsa-1`), the key this JWKS publishes.
    pub fn sign(&self, claims: &Claims) -> String {
        sign_rs256(claims, include_str!("../../fixtures/tenant_a_rsa.key.pem"), "tenant_a_rsa-1")
    }
}

pub fn sign_rs256(claims: &Claims, private_pem: &str, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).expect("rsa key");
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}
