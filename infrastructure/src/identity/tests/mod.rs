//! Verification against real keys (tests/fixtures) and a real JWKS server on 127.0.0.1.

mod clock;
mod jwks_server;
mod support;

mod claims_and_tenants;
mod jwks_keys;
mod jwks_redirects;
mod jwks_refresh;
mod refusals;
mod valid_tokens;
mod verified_tokens;
