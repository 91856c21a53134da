//! One secret sealed and opened: XChaCha20-Poly1305 with a random 192-bit nonce per seal (no
//! counter to keep across instances), the key's id and the secret's place in its document as
//! associated data, so a sealed value copied to another document or another key does not open.
//! Format: `v1.<key id>.<base64 of nonce ‖ ciphertext>`.

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, AeadCore, KeyInit, OsRng, Payload},
};

use super::key::SecretKey;

const VERSION: &str = "v1";
const NONCE_LEN: usize = 24;

pub struct SecretBox {
    key_id: String,
    cipher: XChaCha20Poly1305,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error(
        "a stored secret was sealed under key {stored}, but this instance has key {ours}: start it with the deployment's key"
    )]
    WrongKey { stored: String, ours: String },
    #[error("a stored secret is not in a format this release reads")]
    Malformed,
    #[error("a stored secret does not open under this key (altered, or moved from another place)")]
    Tampered,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBox({})", self.key_id)
    }
}

impl SecretBox {
    pub fn new(key: &SecretKey) -> Self {
        Self { key_id: key.id(), cipher: XChaCha20Poly1305::new(key.bytes().into()) }
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn seal(&self, plaintext: &str, place: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = self.aad(place);
        // Encryption fails only for inputs beyond what a config can hold (2^38 bytes).
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext.as_bytes(), aad: aad.as_bytes() })
            .expect("a config secret is far below the AEAD's size limit");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("{VERSION}.{}.{}", self.key_id, STANDARD.encode(sealed))
    }

    pub fn open(&self, sealed: &str, place: &str) -> Result<String, SealError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some(VERSION), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SealError::Malformed);
        };
        if key_id != self.key_id {
            return Err(SealError::WrongKey { stored: key_id.to_owned(), ours: self.key_id.clone() });
        }
        let bytes = STANDARD.decode(body).map_err(|_| SealError::Malformed)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        let aad = self.aad(place);
        let plain = self
            .cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: aad.as_bytes() })
            .map_err(|_| SealError::Tampered)?;
        String::from_utf8(plain).map_err(|_| SealError::Tampered)
    }

    fn aad(&self, place: &str) -> String {
        format!("tenant-oms/{VERSION}/{}/{place}", self.key_id)
    }
}
