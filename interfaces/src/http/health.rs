use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use crate::http::AppState;

/// The process is up.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers, and so does the event bus (Redis, when configured). While Redis is
/// down writes still succeed (events wait in the outbox), but the instance says it is not
/// ready so an operator sees it.
pub(crate) async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (database, events) = tokio::join!(state.services.orders.ping(), state.services.event_bus.ready());
    let word = |ok: bool| if ok { "ok" } else { "unreachable" };
    let ready = database.is_ok() && events.is_ok();
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "database": word(database.is_ok()),
        "events": word(events.is_ok()),
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body))
}
