use domain::{DomainError, ledger::LedgerError};
use thiserror::Error;

use crate::ports::{ConfigEditError, StoreError};

/// The normative error codes. Meaning and transport are decided here once (compare
/// meilisearch's error table): `is_top_level` codes travel as GraphQL `errors`, the others as `userErrors`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Unauthenticated,
    Forbidden,
    PlanForbidden,
    TenantSuspended,
    NotFound,
    ValidationFailed,
    InvalidState,
    Conflict,
    IdempotencyConflict,
    LimitExceeded,
    RateLimited,
    QueryTooComplex,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::Unauthenticated,
        ErrorCode::Forbidden,
        ErrorCode::PlanForbidden,
        ErrorCode::TenantSuspended,
        ErrorCode::NotFound,
        ErrorCode::ValidationFailed,
        ErrorCode::InvalidState,
        ErrorCode::Conflict,
        ErrorCode::IdempotencyConflict,
        ErrorCode::LimitExceeded,
        ErrorCode::RateLimited,
        ErrorCode::QueryTooComplex,
        ErrorCode::Internal,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::PlanForbidden => "PLAN_FORBIDDEN",
            ErrorCode::TenantSuspended => "TENANT_SUSPENDED",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::ValidationFailed => "VALIDATION_FAILED",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::IdempotencyConflict => "IDEMPOTENCY_CONFLICT",
            ErrorCode::LimitExceeded => "LIMIT_EXCEEDED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::QueryTooComplex => "QUERY_TOO_COMPLEX",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The HTTP status of an answer refused with this code before any GraphQL ran (a GraphQL
    /// answer itself is 200, or 400 for a document that never ran). Only the transport's own
    /// refusals (415 media type, 413 body size, 503 overload) use statuses outside this table.
    pub fn http_status(&self) -> u16 {
        match self {
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden | ErrorCode::PlanForbidden | ErrorCode::TenantSuspended => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::ValidationFailed | ErrorCode::QueryTooComplex => 400,
            ErrorCode::InvalidState | ErrorCode::Conflict => 409,
            ErrorCode::IdempotencyConflict => 422,
            ErrorCode::LimitExceeded | ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
        }
    }

    /// Authentication, authorization, plan, rate and query limits and internal failures are not
    /// the caller's business input being wrong: they are answered as top-level errors.
    pub fn is_top_level(&self) -> bool {
        matches!(
            self,
            ErrorCode::Unauthenticated
                | ErrorCode::Forbidden
                | ErrorCode::PlanForbidden
                | ErrorCode::TenantSuspended
                | ErrorCode::LimitExceeded
                | ErrorCode::RateLimited
                | ErrorCode::QueryTooComplex
                | ErrorCode::Internal
        )
    }
}

/// A failure as the caller sees it: a code, a human sentence, and the input field it concerns.
/// Internal causes are logged where they happen and never copied into `message`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{code:?}: {message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub field: Option<Vec<String>>,
    pub message: String,
    /// Machine-readable facts about the failure (e.g. a quota's `limit` and `resetsAt`).
    pub details: Vec<(&'static str, serde_json::Value)>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, field: None, message: message.into(), details: Vec::new() }
    }

    pub fn with_detail(mut self, key: &'static str, value: impl Into<serde_json::Value>) -> Self {
        self.details.push((key, value.into()));
        self
    }

    pub fn with_field(mut self, field: &[&str]) -> Self {
        self.field = Some(field.iter().map(|s| (*s).to_owned()).collect());
        self
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} {id} does not exist"))
    }

    pub fn validation(field: &[&str], message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationFailed, message).with_field(field)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    pub fn internal() -> Self {
        Self::new(ErrorCode::Internal, "internal error; the request id in the logs has the details")
    }

    /// Prefixes the field path with where the value sat in the mutation input.
    pub fn under(mut self, prefix: &[&str]) -> Self {
        if let Some(field) = self.field.take() {
            let mut full: Vec<String> = prefix.iter().map(|s| (*s).to_owned()).collect();
            full.extend(field);
            self.field = Some(full);
        }
        self
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Validation { field, message } => AppError {
                code: ErrorCode::ValidationFailed,
                field: if field.is_empty() { None } else { Some(field) },
                message,
                details: Vec::new(),
            },
            DomainError::InvalidState(m) => AppError::new(ErrorCode::InvalidState, m),
            DomainError::NotAllowed(m) => AppError::new(ErrorCode::Forbidden, m),
        }
    }
}

impl From<ConfigEditError> for AppError {
    fn from(e: ConfigEditError) -> Self {
        match e {
            ConfigEditError::Invalid { field, message } => {
                AppError { code: ErrorCode::ValidationFailed, field: Some(field), message, details: Vec::new() }
            }
            ConfigEditError::NotFound(m) => AppError::new(ErrorCode::NotFound, m),
            ConfigEditError::Conflict(m) => AppError::new(ErrorCode::Conflict, m).with_field(&["expectedVersion"]),
            ConfigEditError::Store(e) => e.into(),
        }
    }
}

impl From<LedgerError> for AppError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::Domain(d) => d.into(),
            LedgerError::IdempotencyConflict { key, .. } => AppError::new(
                ErrorCode::IdempotencyConflict,
                format!("idempotencyKey '{key}' was already used with different content"),
            )
            .with_field(&["idempotencyKey"]),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => AppError::new(ErrorCode::Conflict, m),
            StoreError::Duplicate(taken) => {
                let field = taken.field();
                AppError::new(ErrorCode::Conflict, format!("{field} is already in use")).with_field(&[field])
            }
            StoreError::Unavailable(cause) | StoreError::Internal(cause) => {
                tracing::error!(error = %cause, "storage failure");
                AppError::internal()
            }
        }
    }
}
