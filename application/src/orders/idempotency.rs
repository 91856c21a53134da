//! Idempotency keys: a replay with the same content returns the first result; the same key with
//! other content, or for another operation, is IDEMPOTENCY_CONFLICT.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{AppError, ErrorCode, ports::IdempotencyRecord};

pub(crate) const MAX_KEY_LEN: usize = 255;

/// Normalises a caller's key: blank means none; overlong keys are refused rather than truncated.
pub(crate) fn normalise_key(key: Option<&str>) -> Result<Option<String>, AppError> {
    match key.map(str::trim) {
        None | Some("") => Ok(None),
        Some(k) if k.len() > MAX_KEY_LEN => Err(AppError::validation(
            &["idempotencyKey"],
            format!("idempotencyKey must be at most {MAX_KEY_LEN} bytes"),
        )),
        Some(k) => Ok(Some(k.to_owned())),
    }
}

/// A stable hash of the request content (serde field order is fixed by the struct).
pub(crate) fn fingerprint<T: Serialize>(operation: &str, request: &T) -> String {
    let mut h = Sha256::new();
    h.update(operation.as_bytes());
    h.update([0]);
    // Serializing plain data structs cannot fail; an empty body would still be a stable hash.
    h.update(serde_json::to_vec(request).unwrap_or_default());
    hex::encode(h.finalize())
}

/// The stored record matches this call, or the call must be refused.
pub(crate) fn check_replay(record: &IdempotencyRecord, operation: &str, fingerprint: &str) -> Result<(), AppError> {
    if record.operation != operation {
        return Err(AppError::new(
            ErrorCode::IdempotencyConflict,
            format!("idempotencyKey was already used for {}", record.operation),
        )
        .with_field(&["idempotencyKey"]));
    }
    if record.fingerprint != fingerprint {
        return Err(AppError::new(
            ErrorCode::IdempotencyConflict,
            "idempotencyKey was already used with different input",
        )
        .with_field(&["idempotencyKey"]));
    }
    Ok(())
}

/// A caller's idempotency key as a command uses it: the operation, the key, and the
/// fingerprint of the content it stands for.
#[derive(Debug, Clone)]
pub(crate) struct KeyUse {
    pub operation: &'static str,
    pub key: String,
    pub fingerprint: String,
}

impl KeyUse {
    /// The caller's key (none when blank) for `operation` on `content`.
    pub(crate) fn new<T: Serialize>(
        operation: &'static str,
        key: Option<&str>,
        content: &T,
    ) -> Result<Option<KeyUse>, AppError> {
        Ok(normalise_key(key)?.map(|key| KeyUse { operation, key, fingerprint: fingerprint(operation, content) }))
    }
}
