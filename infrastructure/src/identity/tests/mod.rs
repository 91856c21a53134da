//! Verification against real keys (tests/fixtures) and a real JWKS server on 127.0.0.1.

mod jwks_server;
mod support;

mod claims_and_tenants;
mod jwks_keys;
mod refusals;
mod valid_tokens;
