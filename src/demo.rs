//! `tenant-oms demo`: a demo tenant on the embedded database with a fresh development key, and a
//! ready bearer token printed for the newcomer.

use std::time::Duration;

use base64::Engine;
use infrastructure::{config::SaasConfig, identity::DevTokenIssuer};
use rand::RngCore;

pub struct Demo {
    pub config: SaasConfig,
    pub token: String,
}

/// A new random HS256 key each start: a leaked demo token dies with the process.
pub fn prepare(token_ttl: Duration) -> Demo {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key);
    let config = SaasConfig::demo(&secret);
    let token = DevTokenIssuer::new(&secret, SaasConfig::DEMO_ISSUER, SaasConfig::DEMO_AUDIENCE).mint(
        SaasConfig::DEMO_TENANT,
        "demo-user",
        &["tenant_admin"],
        token_ttl,
    );
    Demo { config, token }
}

pub fn banner(listen: &str, token: &str) -> String {
    format!(
        "\n\
tenant-oms demo is running.\n\
\n\
\x20 GraphiQL:  http://{listen}/graphql   (add the header  Authorization: Bearer <token>)\n\
\x20 Tenant:    {tenant}   Subject: demo-user   Role: tenant_admin   Valid: 24 h\n\
\n\
Paste this into another terminal, then follow the README tour:\n\
\n\
export OMS=http://{listen}/graphql\n\
export TOKEN={token}\n\
\n\
Stop with Ctrl-C.\n",
        tenant = SaasConfig::DEMO_TENANT
    )
}
