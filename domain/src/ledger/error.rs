use thiserror::Error;
use uuid::Uuid;

use crate::DomainError;

/// Why the ledger refused to post. An idempotency conflict is not a rule of the data but a
/// contract with the caller (SPEC: `IDEMPOTENCY_CONFLICT`), so it has its own variant that the
/// edge maps to its own code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("idempotency key '{key}' was already used by entry {existing} with different content")]
    IdempotencyConflict { key: String, existing: Uuid },
}
