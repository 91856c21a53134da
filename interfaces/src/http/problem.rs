//! Error bodies written by the HTTP layer itself, in the GraphQL error shape.

use std::any::Any;

use application::ErrorCode;
use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

/// A refusal in the status the code's table entry gives.
pub(crate) fn refusal(code: ErrorCode, message: &str) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    graphql_error(status, code, message)
}

/// A refusal whose status is the transport's own (415, 413, 503…), not the code's.
pub(crate) fn graphql_error(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] });
    let mut resp = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    }
    resp
}

/// A panic is a bug: answer INTERNAL without its text, which may quote data.
pub(crate) fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    refusal(ErrorCode::Internal, "internal error; the request id in the logs has the details")
}
