//! The config as it may be shown to a person: every secret replaced.

use application::ports::redact_config_secrets;
use serde_json::Value;

use super::model::SaasConfig;

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
    redact_config_secrets(value, REDACTED);
}
