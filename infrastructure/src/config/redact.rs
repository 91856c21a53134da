//! The config as it may be shown to a person: every secret replaced.

use serde_json::Value;

use super::model::SaasConfig;
use super::secret::SECRET_KEYS;

const REDACTED: &str = "[REDACTED]";

impl SaasConfig {
    /// The document with every secret value replaced by `"[REDACTED]"`: what admin queries and
    /// `config check` output may contain.
    pub fn redacted_json(&self) -> Value {
        // Serializing a tree of maps and strings cannot fail.
        let mut document = serde_json::to_value(self).unwrap_or(Value::Null);
        redact(&mut document);
        document
    }
}

pub(super) fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if SECRET_KEYS.contains(&key.as_str()) && !child.is_null() {
                    *child = Value::String(REDACTED.to_owned());
                } else {
                    redact(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}
