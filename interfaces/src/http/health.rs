use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use crate::http::AppState;

/// The process is up.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers.
pub(crate) async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match state.services.orders.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready", "database": "ok" }))),
        Err(_) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "database": "unreachable" })))
        }
    }
}
