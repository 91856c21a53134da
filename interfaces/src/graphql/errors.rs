//! AppError → GraphQL: top-level `errors` with `extensions.code`, or `userErrors` in the payload.

use application::AppError;
use async_graphql::{Enum, ErrorExtensions, SimpleObject};

/// The normative error codes.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "application::ErrorCode", rename_items = "SCREAMING_SNAKE_CASE")]
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

/// A business or validation failure of a mutation, pointing at the input field it concerns.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    pub code: ErrorCode,
    /// Path of the offending input field, e.g. `["lines", "0", "quantity"]`.
    pub field: Option<Vec<String>>,
    pub message: String,
}

impl From<AppError> for UserError {
    fn from(e: AppError) -> Self {
        UserError { code: e.code.into(), field: e.field, message: e.message }
    }
}

pub fn top_level(e: AppError) -> async_graphql::Error {
    let code = e.code.as_str();
    let details = e.details;
    async_graphql::Error::new(e.message).extend_with(move |_, ext| {
        ext.set("code", code);
        for (key, value) in &details {
            ext.set(*key, async_graphql::Value::from_json(value.clone()).unwrap_or(async_graphql::Value::Null));
        }
    })
}

/// Mutation payloads carry either the changed objects or their user errors.
pub trait Payload: Sized {
    fn failed(errors: Vec<UserError>) -> Self;
}

/// Implements [`Payload`] for payload types whose other fields all have defaults.
macro_rules! payload {
    ($($t:ty),*) => {$(
        impl $crate::graphql::errors::Payload for $t {
            fn failed(user_errors: Vec<$crate::graphql::errors::UserError>) -> Self {
                Self { user_errors, ..Default::default() }
            }
        }
    )*};
}
pub(crate) use payload;

/// Splits a use-case result: success and business failures become a payload; authentication,
/// authorization, limits and internal failures become top-level errors.
pub fn respond<T, P: Payload>(result: Result<T, AppError>, ok: impl FnOnce(T) -> P) -> async_graphql::Result<P> {
    match result {
        Ok(v) => Ok(ok(v)),
        Err(e) if e.code.is_top_level() => Err(top_level(e)),
        Err(e) => Ok(P::failed(vec![e.into()])),
    }
}

/// Queries have no payload: every failure is a top-level error.
pub fn query<T>(result: Result<T, AppError>) -> async_graphql::Result<T> {
    result.map_err(top_level)
}
