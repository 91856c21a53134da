//! Re-sealing everything stored: at start (secrets stored before sealing existed get sealed, and
//! superseded versions lose whatever secrets they still hold) and on key rotation (every secret
//! opened with the old key and sealed with the new one). One transaction: a crash leaves either
//! the old state or the new one.

use application::ports::StoreError;
use serde_json::Value;

use super::{
    documents::{has_plain_secret, open_document, seal_document, strip_sealed},
    sealing::{SealError, SecretBox},
    store::place,
};
use crate::persistence::Database;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RotationReport {
    /// Stored versions whose document was rewritten.
    pub rewritten: u64,
}

/// Every latest version ends up with its secrets sealed under `new` (opened first with `old`
/// when given: a rotation); every superseded version ends up with none. With `old` = None only
/// plain secrets are sealed, and values sealed under `new` already are left as they are.
pub async fn reseal_stored(
    database: &Database,
    old: Option<&SecretBox>,
    new: &SecretBox,
) -> Result<RotationReport, StoreError> {
    let rewritten = database
        .rewrite_config_documents(|kind, key, latest, document| {
            if !latest {
                let mut stripped = document.clone();
                return Ok(strip_sealed(&mut stripped).then_some(stripped));
            }
            let place = place(kind, key);
            match old {
                None if !has_plain_secret(document) => Ok(None),
                None => Ok(Some(seal_document(document, &place, new))),
                Some(old) => {
                    let opened = open_either(document, &place, old, new).map_err(|e| e.to_string())?;
                    let holds_secrets = opened != *document || has_plain_secret(document);
                    Ok(holds_secrets.then(|| seal_document(&opened, &place, new)))
                }
            }
        })
        .await?;
    Ok(RotationReport { rewritten })
}

/// A rotation that stopped after its commit may be run again: what is sealed under the new key
/// already opens with it.
fn open_either(document: &Value, place: &str, old: &SecretBox, new: &SecretBox) -> Result<Value, SealError> {
    match open_document(document, place, old) {
        Err(SealError::WrongKey { stored, .. }) if stored == new.key_id() => open_document(document, place, new),
        other => other,
    }
}
