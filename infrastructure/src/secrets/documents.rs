//! Every secret of a config document at once. A secret is the string value of a key named in
//! `SECRET_KEYS`, wherever it sits in the document; sealed, it becomes `{"$sealed": "v1.…"}`,
//! which no config key can be confused with. The document's kind and key and the secret's path
//! in it are the associated data: a sealed value only opens where it was sealed.

use serde_json::{Map, Value};

use super::sealing::{SealError, SecretBox};
use crate::config::SECRET_KEYS;

/// The one key of a sealed secret's object.
pub const SEALED_FIELD: &str = "$sealed";

/// `document` with every plain secret sealed (sealed ones are kept as they are).
pub fn seal_document(document: &Value, place: &str, secrets: &SecretBox) -> Value {
    let mut sealed = document.clone();
    walk_secrets(&mut sealed, place, &mut |value, path| {
        if let Value::String(plain) = value {
            *value = sealed_value(secrets.seal(plain, path));
        }
        Ok(())
    })
    .expect("sealing cannot fail");
    sealed
}

/// `document` with every sealed secret opened.
pub fn open_document(document: &Value, place: &str, secrets: &SecretBox) -> Result<Value, SealError> {
    let mut opened = document.clone();
    walk_secrets(&mut opened, place, &mut |value, path| {
        if let Some(sealed) = sealed_text(value) {
            *value = Value::String(secrets.open(sealed, path)?);
        }
        Ok(())
    })?;
    Ok(opened)
}

/// Removes every secret, sealed or (from before sealing) plain, leaving `null` in its place:
/// what a superseded version keeps. Says whether anything was removed.
pub fn strip_sealed(document: &mut Value) -> bool {
    let mut stripped = false;
    walk_secrets(document, "", &mut |value, _| {
        if !value.is_null() {
            *value = Value::Null;
            stripped = true;
        }
        Ok(())
    })
    .expect("stripping cannot fail");
    stripped
}

/// Whether `document` holds a secret that is not sealed (stored before sealing existed).
pub(super) fn has_plain_secret(document: &Value) -> bool {
    let mut plain = false;
    let mut copy = document.clone();
    walk_secrets(&mut copy, "", &mut |value, _| {
        plain |= value.is_string();
        Ok(())
    })
    .expect("looking cannot fail");
    plain
}

fn sealed_value(text: String) -> Value {
    let mut object = Map::new();
    object.insert(SEALED_FIELD.to_owned(), Value::String(text));
    Value::Object(object)
}

fn sealed_text(value: &Value) -> Option<&str> {
    match value {
        Value::Object(object) if object.len() == 1 => object.get(SEALED_FIELD)?.as_str(),
        _ => None,
    }
}

/// Calls `visit` with the value of every secret key and its path (`place/outbound_webhook.secret`).
fn walk_secrets(
    value: &mut Value,
    path: &str,
    visit: &mut dyn FnMut(&mut Value, &str) -> Result<(), SealError>,
) -> Result<(), SealError> {
    match value {
        Value::Object(object) => {
            for (name, child) in object.iter_mut() {
                let child_path = if path.is_empty() || path.ends_with('/') {
                    format!("{path}{name}")
                } else {
                    format!("{path}.{name}")
                };
                if SECRET_KEYS.contains(&name.as_str()) && (child.is_string() || sealed_text(child).is_some()) {
                    visit(child, &child_path)?;
                } else {
                    walk_secrets(child, &child_path, visit)?;
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                walk_secrets(item, &format!("{path}[{i}]"), visit)?;
            }
        }
        _ => {}
    }
    Ok(())
}
