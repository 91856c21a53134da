//! What an IdP entry may name as algorithms and keys. Shared by `check` (to report) and the
//! token verifier (to enforce), so the two can never disagree.

use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};

/// Algorithms a token may be signed with. HS256 only for an IdP with an `hs256_secret`.
pub const SUPPORTED_ALGORITHMS: &[&str] = &["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA", "HS256"];

/// The algorithm for a configured name, if it is one we support. `none` never is.
pub fn supported_algorithm(name: &str) -> Option<Algorithm> {
    match name {
        "RS256" => Some(Algorithm::RS256),
        "RS384" => Some(Algorithm::RS384),
        "RS512" => Some(Algorithm::RS512),
        "PS256" => Some(Algorithm::PS256),
        "ES256" => Some(Algorithm::ES256),
        "ES384" => Some(Algorithm::ES384),
        "EdDSA" => Some(Algorithm::EdDSA),
        "HS256" => Some(Algorithm::HS256),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PemKeyError {
    #[error("is a private key; give the public key (-----BEGIN PUBLIC KEY-----)")]
    PrivateKey,
    #[error("is not a PEM-encoded RSA, EC (P-256/P-384) or Ed25519 public key")]
    NotAPublicKey,
}

/// Parses a public key PEM of any supported family.
pub fn decode_public_key_pem(pem: &str) -> Result<DecodingKey, PemKeyError> {
    // jsonwebtoken would accept a private key here and fail every verification later; an
    // operator who pasted the wrong half deserves to hear it at `config check`.
    if pem.contains("PRIVATE KEY-----") {
        return Err(PemKeyError::PrivateKey);
    }
    let bytes = pem.trim().as_bytes();
    DecodingKey::from_rsa_pem(bytes)
        .or_else(|_| DecodingKey::from_ec_pem(bytes))
        .or_else(|_| DecodingKey::from_ed_pem(bytes))
        .map_err(|_| PemKeyError::NotAPublicKey)
}

pub fn family_name(family: AlgorithmFamily) -> &'static str {
    match family {
        AlgorithmFamily::Hmac => "HMAC",
        AlgorithmFamily::Rsa => "RSA",
        AlgorithmFamily::Ec => "EC",
        AlgorithmFamily::Ed => "Ed25519",
    }
}

/// Remote endpoints must be https, except on the loopback interface (local IdPs and tests).
pub fn is_https_or_loopback(url: &reqwest::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => is_loopback_host(url),
        _ => false,
    }
}

fn is_loopback_host(url: &reqwest::Url) -> bool {
    matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
}
