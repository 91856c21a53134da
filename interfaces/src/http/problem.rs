//! Error bodies written by the HTTP layer itself, in the GraphQL error shape.

use std::any::Any;

use axum::{
    Json,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

pub(crate) fn graphql_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut resp = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    }
    resp
}

/// A panic is a bug: answer INTERNAL without its text, which may quote data.
pub(crate) fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("request handler panicked");
    graphql_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        "internal error; the request id in the logs has the details",
    )
}
