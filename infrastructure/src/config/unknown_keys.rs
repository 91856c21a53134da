//! Keys the config model does not know. They are kept (so a newer config read by an older
//! process survives a round trip through the database) and reported by `check`, because an
//! unknown key is most often a typo that silently disables a setting.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnknownKeys(BTreeMap<String, serde_json::Value>);

impl UnknownKeys {
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// Only the names: a misspelt secret key would otherwise be printed in clear.
impl fmt::Debug for UnknownKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}
