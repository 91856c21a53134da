//! Tokens for local development: `tenant-oms demo` prints one so a newcomer can call the API
//! without an IdP. Only an IdP configured with the same `hs256_secret` accepts them.

use std::fmt;
use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::json;

pub struct DevTokenIssuer {
    key: EncodingKey,
    issuer: String,
    audience: String,
}

impl DevTokenIssuer {
    pub fn new(hs256_secret: &str, issuer: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            key: EncodingKey::from_secret(hs256_secret.as_bytes()),
            issuer: issuer.into(),
            audience: audience.into(),
        }
    }

    /// An HS256 token with claims iss, aud, sub, iat, exp, `tenant: [tenant]` and `roles`.
    pub fn mint(&self, tenant: &str, subject: &str, roles: &[&str], ttl: Duration) -> String {
        let now = get_current_timestamp();
        let claims = json!({
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now.saturating_add(ttl.as_secs()),
            "tenant": [tenant],
            "roles": roles,
        });
        encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .expect("HMAC signing of a JSON object with an in-memory key has no failure mode")
    }
}

impl fmt::Debug for DevTokenIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevTokenIssuer")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("key", &"[REDACTED]")
            .finish()
    }
}
