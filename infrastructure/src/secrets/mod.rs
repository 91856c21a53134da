//! Secrets at rest (SPEC.md section 8): the secrets inside config documents (`shared_secret`,
//! `api_key`, `hs256_secret`, the outbound webhook `secret`) are stored sealed with
//! XChaCha20-Poly1305 under the deployment's key, and only the latest version of a document holds
//! them: a superseded version keeps none (see `SealedConfigStore`).
//!
//! Layout: `key` (the 32-byte key: from `OMS_SECRET_KEY`, a key file, or a file generated beside
//! a SQLite database), `sealing` (one value sealed and opened), `documents` (every secret of a
//! JSON document at once), `store` (the `ConfigStore` decorator that seals what is written and
//! opens what is read), `rotation` (re-sealing everything stored, under a new key).

mod documents;
mod key;
mod rotation;
mod sealing;
mod store;
#[cfg(test)]
mod tests;

pub use documents::{SEALED_FIELD, open_document, seal_document, strip_sealed};
pub use key::{KeyError, KeySource, SecretKey};
pub use rotation::{RotationReport, reseal_stored};
pub use sealing::{SealError, SecretBox};
pub use store::SealedConfigStore;
