//! A real identity provider stand-in: an HTTP server on 127.0.0.1 serving a JWKS document.

use std::sync::{Arc, Mutex};

use axum::{Json, Router, extract::State, routing::get};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::tokens::Claims;

type Shared = (Arc<Value>, Arc<Mutex<usize>>);

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
