//! Reading the SaaS config document, with errors an operator can act on: the file, the JSON
//! line and column, and the key path of the offending value.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::error::Category;

use super::check::ConfigProblem;
use super::model::SaasConfig;
use super::secret::SECRET_KEYS;

/// Names the document in messages when it did not come from a file.
const INLINE_ORIGIN: &str = "SaaS config";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read SaaS config file {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{origin}: invalid JSON at line {line}, column {column}: {message}")]
    Syntax { origin: String, line: usize, column: usize, message: String },
    #[error("{origin}: {key_path}: {message} (line {line}, column {column})")]
    Invalid { origin: String, key_path: String, line: usize, column: usize, message: String },
    #[error("{origin}: {}", ProblemList(problems))]
    Problems { origin: String, problems: Vec<ConfigProblem> },
}

struct ProblemList<'a>(&'a [ConfigProblem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.len();
        write!(f, "{n} problem{}", if n == 1 { "" } else { "s" })?;
        for problem in self.0 {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl SaasConfig {
    /// Parses the document. Types are checked here; meaning is checked by [`SaasConfig::check`].
    pub fn from_json_str(json: &str) -> Result<Self, ConfigError> {
        parse(json, INLINE_ORIGIN)
    }

    pub fn load(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        parse(&text, &path.display().to_string())
    }

    /// [`SaasConfig::load`], then refuses a document that has any [`SaasConfig::check`] problem.
    pub fn load_checked(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let config = Self::load(path.as_ref())?;
        config.ensure_valid(&path.as_ref().display().to_string())?;
        Ok(config)
    }

    /// `origin` names the document in the error (a file path, "admin update", ...).
    pub fn ensure_valid(&self, origin: &str) -> Result<(), ConfigError> {
        let problems = self.check();
        if problems.is_empty() { Ok(()) } else { Err(ConfigError::Problems { origin: origin.to_owned(), problems }) }
    }
}

fn parse(json: &str, origin: &str) -> Result<SaasConfig, ConfigError> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let mut config: SaasConfig = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let key_path = error.path().to_string();
        describe(error.into_inner(), origin, key_path)
    })?;
    deserializer.end().map_err(|error| describe(error, origin, String::new()))?;
    config.normalize_aliases();
    Ok(config)
}

fn describe(error: serde_json::Error, origin: &str, key_path: String) -> ConfigError {
    let (line, column) = (error.line(), error.column());
    let message = bare_message(&error);
    match error.classify() {
        Category::Data => {
            // serde quotes the offending value ("invalid type: integer `42`"); under a secret
            // key that value is the secret itself.
            let message = if names_secret(&key_path) { "expected a string".to_owned() } else { message };
            let key_path = if key_path == "." { "(top level)".to_owned() } else { key_path };
            ConfigError::Invalid { origin: origin.to_owned(), key_path, line, column, message }
        }
        Category::Syntax | Category::Eof | Category::Io => {
            ConfigError::Syntax { origin: origin.to_owned(), line, column, message }
        }
    }
}

/// serde_json appends " at line L column C"; we print the position ourselves.
fn bare_message(error: &serde_json::Error) -> String {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    full.strip_suffix(&suffix).map(str::to_owned).unwrap_or(full)
}

fn names_secret(key_path: &str) -> bool {
    key_path.rsplit('.').next().is_some_and(|last| SECRET_KEYS.contains(&last))
}

impl SaasConfig {
    pub(crate) fn normalize_aliases(&mut self) {
        if let Some(idp) = self.provider.as_mut().and_then(|p| p.idp.as_mut()) {
            idp.normalize_aliases();
        }
        for tenant in self.tenants.values_mut() {
            tenant.idp.normalize_aliases();
        }
    }
}
