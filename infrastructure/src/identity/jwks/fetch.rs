//! One GET of a JWK set: https only (plain http for loopback), bounded in time and size, and
//! never redirected. A redirect is a fetch failure: the `jwks_uri` an operator configured is the
//! only place keys may come from, and following a redirect would also let whoever controls that
//! URL steer our requests to any host our network reaches.

use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use reqwest::redirect;

use crate::config::is_https_or_loopback;

/// The HTTP client the JWKS cache should be given: it follows no redirects (see the module doc).
/// A whole-request timeout backs up the cache's own per-fetch timeout.
pub fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder().redirect(redirect::Policy::none()).timeout(Duration::from_secs(5)).build()
}

#[derive(Clone)]
pub(super) struct Fetcher {
    pub(super) http: reqwest::Client,
    pub(super) timeout: Duration,
    pub(super) max_document_bytes: usize,
}

impl Fetcher {
    /// The set published at `uri`, or a reason fit for logs and for `AuthError::Unavailable`.
    pub(super) async fn fetch(&self, uri: &str) -> Result<JwkSet, String> {
        let fetched = self.fetch_once(uri).await;
        // Operators watch the IdPs through these; the URI stays out of the labels (one series
        // per IdP would grow with the tenants).
        let outcome = if fetched.is_ok() { "ok" } else { "error" };
        metrics::counter!("oms_jwks_fetches_total", "outcome" => outcome).increment(1);
        fetched
    }

    async fn fetch_once(&self, uri: &str) -> Result<JwkSet, String> {
        let url = reqwest::Url::parse(uri).map_err(|_| "jwks_uri is not a URL".to_owned())?;
        if !is_https_or_loopback(&url) {
            return Err("jwks_uri must be https".to_owned());
        }
        let mut response = self
            .http
            .get(url.clone())
            .timeout(self.timeout)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| format!("JWKS request failed: {}", e.without_url()))?;
        if response.status().is_redirection() {
            return Err(format!(
                "JWKS request answered HTTP {} (a redirect, which is not followed)",
                response.status().as_u16()
            ));
        }
        // A client that does follow redirects (one not built by `http_client`) got here from
        // elsewhere: its keys are not the configured IdP's.
        if response.url() != &url {
            return Err("JWKS request was redirected; redirects are not followed".to_owned());
        }
        if !response.status().is_success() {
            return Err(format!("JWKS request answered HTTP {}", response.status().as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| format!("JWKS read failed: {}", e.without_url()))? {
            if body.len() + chunk.len() > self.max_document_bytes {
                return Err("JWKS document too large".to_owned());
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|_| "JWKS document is not a JWK set".to_owned())
    }
}
