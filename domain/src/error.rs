use thiserror::Error;

/// Why the model refused a change. Each variant maps to one normative error code at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DomainError {
    /// The input is malformed or breaks an invariant of the data itself.
    #[error("{message}")]
    Validation { field: Vec<String>, message: String },
    /// The input is fine but the aggregate is not in a state that allows the action.
    #[error("{0}")]
    InvalidState(String),
    /// The action is reserved to a specific person (e.g. the named reviewer).
    #[error("{0}")]
    NotAllowed(String),
}

impl DomainError {
    pub fn validation(field: &[&str], message: impl Into<String>) -> Self {
        DomainError::Validation { field: field.iter().map(|s| (*s).to_owned()).collect(), message: message.into() }
    }

    pub fn invalid_state(message: impl Into<String>) -> Self {
        DomainError::InvalidState(message.into())
    }

    /// Prefixes the field path, so that a nested value object's error points at its place in the input.
    pub fn at(self, prefix: &[&str]) -> Self {
        match self {
            DomainError::Validation { field, message } => {
                let mut full: Vec<String> = prefix.iter().map(|s| (*s).to_owned()).collect();
                full.extend(field);
                DomainError::Validation { field: full, message }
            }
            other => other,
        }
    }
}
