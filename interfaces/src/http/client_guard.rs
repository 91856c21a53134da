//! Requests without a valid token cost us a signature check each and are the cheapest traffic
//! to send: one client address may make `unauthenticated_per_minute` of them, after which its
//! requests are answered 429 before any token is looked at.

use std::net::{IpAddr, SocketAddr};

use application::{Caller, ErrorCode};
use axum::{
    extract::ConnectInfo,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::Response,
};

use crate::http::{AppState, auth::authenticate, problem::refusal, rate_limit::RetryAfter};

/// The peer's address as the server accepted it (no proxy header is trusted here).
pub(crate) fn client_address(connect: Option<&ConnectInfo<SocketAddr>>) -> Option<IpAddr> {
    connect.map(|ConnectInfo(addr)| addr.ip())
}

pub(crate) async fn authenticate_client(
    state: &AppState,
    client: Option<IpAddr>,
    headers: &HeaderMap,
    addressed: Option<&str>,
) -> Result<Caller, Response> {
    let key = client.map(|ip| ip.to_string());
    let limit = state.unauthenticated_per_minute;
    if let Some(key) = &key
        && let Some(RetryAfter(seconds)) = state.client_guard.exhausted(key, limit)
    {
        tracing::info!(client = %key, "request refused: too many requests without a valid token");
        let mut response = refusal(
            ErrorCode::RateLimited,
            &format!("too many requests without a valid token from your address; retry in {seconds} s"),
        );
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return Err(response);
    }
    let result = authenticate(&state.services, headers, addressed).await;
    if let (Err(response), Some(key)) = (&result, &key)
        && response.status() == StatusCode::UNAUTHORIZED
    {
        // Counted, never refused here: this request is already answered 401.
        let _ = state.client_guard.admit(key, limit, 1);
    }
    result
}
