//! Who is calling: bearer tokens verified against each tenant's own IdP (JWKS, PEM, or a
//! development HS256 secret), and development tokens for `tenant-oms demo`.

mod claims;
mod crypto;
mod dev_token;
mod jwks;
mod prepared;
mod refusal;
mod verified;
mod verifier;

#[cfg(test)]
mod tests;

pub use crypto::install_crypto_provider;
pub use dev_token::DevTokenIssuer;
pub use jwks::{JwksSettings, http_client};
pub use verifier::JwtVerifier;
