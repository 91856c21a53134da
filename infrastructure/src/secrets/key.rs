//! The key that seals stored secrets: 32 random bytes, written as base64 (`OMS_SECRET_KEY`, or
//! the content of `--secret-key-file`). Every instance of a deployment needs the same one.

use std::{
    fmt,
    io::Write,
    path::{Path, PathBuf},
};

use base64::{Engine, engine::general_purpose::STANDARD};
use chacha20poly1305::aead::{OsRng, rand_core::RngCore};
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct SecretKey([u8; 32]);

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{origin}: a secret key is the base64 of exactly 32 bytes (e.g. `openssl rand -base64 32`)")]
    Malformed { origin: String },
    #[error("cannot read the secret key file {path}: {error}")]
    Unreadable { path: String, error: String },
    #[error("cannot create the secret key file {path}: {error}")]
    Uncreatable { path: String, error: String },
    #[error(
        "no secret key: PostgreSQL deployments must be given one (OMS_SECRET_KEY or --secret-key-file), the same \
         for every instance; generate one with `openssl rand -base64 32`"
    )]
    Missing,
}

/// Where a key came from, for the log line that says so (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
    /// Created just now beside the SQLite database.
    Generated(PathBuf),
    /// `sqlite::memory:` without a key: the data dies with the process, so does the key.
    Ephemeral,
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.id())
    }
}

impl SecretKey {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// `origin` names where the text came from, for the error (the text itself never appears).
    pub fn from_base64(text: &str, origin: &str) -> Result<Self, KeyError> {
        let malformed = || KeyError::Malformed { origin: origin.to_owned() };
        let bytes = STANDARD.decode(text.trim()).map_err(|_| malformed())?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| malformed())?;
        Ok(Self(bytes))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    pub fn load_file(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| KeyError::Unreadable { path: path.display().to_string(), error: e.to_string() })?;
        Self::from_base64(&text, &path.display().to_string())
    }

    /// The key in the file at `path`, or a new one written there (mode 0600, never over an
    /// existing file: two processes starting at once end up with the first one's key).
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), KeyError> {
        if path.exists() {
            return Ok((Self::load_file(path)?, false));
        }
        let key = Self::generate();
        let uncreatable =
            |e: std::io::Error| KeyError::Uncreatable { path: path.display().to_string(), error: e.to_string() };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(format!("{}\n", key.to_base64()).as_bytes()).map_err(uncreatable)?;
                file.sync_all().map_err(uncreatable)?;
                Ok((key, true))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok((Self::load_file(path)?, false)),
            Err(e) => Err(uncreatable(e)),
        }
    }

    /// Where a SQLite database's generated key lives: beside the file, named after it
    /// (`tenant-oms.db` → `tenant-oms.db.key`). None for an in-memory database.
    pub fn path_beside_sqlite(url: &str) -> Option<PathBuf> {
        let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
        let file = rest.split('?').next().unwrap_or(rest);
        if file.is_empty() || file.starts_with(":memory:") {
            return None;
        }
        Some(PathBuf::from(format!("{file}.key")))
    }

    /// A short fingerprint (the first 8 hex digits of the key's SHA-256): stored with each
    /// sealed value, so a wrong key is named as such rather than as corrupt data.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(self.0);
        hex_prefix(&digest[..4])
    }

    pub(super) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
