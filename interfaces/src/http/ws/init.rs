//! `connection_init`: the socket's caller, admitted exactly as a `POST /graphql` would be.
//!
//! The payload's `Authorization` and `X-Tenant-Id` members stand in for the request headers a
//! browser cannot set on a WebSocket, and go through the same path (the tenant the upgrade
//! request's host or path addressed included): the per-address guard on
//! invalid tokens, token verification, the tenant's standing and its plan's request rate. A
//! refusal closes the socket with 4000 plus the HTTP status it would have had.

use std::net::IpAddr;

use axum::{
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header},
    response::Response,
};
use serde_json::Value;

use crate::http::{
    AppState,
    client_guard::authenticate_client,
    tenant_gate::{self, Admitted},
    ws::protocol::{Close, close},
};

const TENANT_HEADER: HeaderName = HeaderName::from_static("x-tenant-id");

pub(crate) async fn admit(
    state: &AppState,
    client: Option<IpAddr>,
    request_id: Option<&str>,
    addressed: Option<&str>,
    payload: Option<&serde_json::Map<String, Value>>,
) -> Result<Admitted, Close> {
    let headers = payload.map(headers_of).unwrap_or_default();
    let mut caller = match authenticate_client(state, client, &headers, addressed).await {
        Ok(caller) => caller,
        Err(response) => return Err(close_for(response).await),
    };
    caller.set_request_id(request_id.map(str::to_owned));
    match tenant_gate::admit(state, caller).await {
        Ok(admitted) => Ok(admitted),
        Err(response) => Err(close_for(response).await),
    }
}

/// The members that stand in for headers; their names are matched as header names are
/// (case-insensitively), and anything else in the payload is ignored.
fn headers_of(payload: &serde_json::Map<String, Value>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in payload {
        let name = if name.eq_ignore_ascii_case(header::AUTHORIZATION.as_str()) {
            header::AUTHORIZATION
        } else if name.eq_ignore_ascii_case(TENANT_HEADER.as_str()) {
            TENANT_HEADER
        } else {
            continue;
        };
        // A value that is not a string, or could not be a header, counts as absent.
        if let Some(value) = value.as_str().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, value);
        }
    }
    headers
}

/// The close a refusal answered over HTTP becomes, with the refusal's own message.
async fn close_for(response: Response) -> Close {
    let code = match response.status() {
        StatusCode::UNAUTHORIZED => close::UNAUTHORIZED,
        StatusCode::FORBIDDEN => close::FORBIDDEN,
        StatusCode::TOO_MANY_REQUESTS => close::TOO_MANY_REQUESTS,
        status if status.is_server_error() => close::TRY_AGAIN_LATER,
        _ => close::BAD_REQUEST,
    };
    let body = axum::body::to_bytes(response.into_body(), 16 * 1024).await.unwrap_or_default();
    let message = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|body| body["errors"][0]["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "the connection was refused".to_owned());
    Close::new(code, message)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_payload_members_become_headers_whatever_their_case() {
        let payload = json!({"authorization": "Bearer abc", "X-TENANT-ID": "t1", "other": "x", "Cookie": "c"});
        let headers = headers_of(payload.as_object().expect("object"));
        assert_eq!(headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()), Some("Bearer abc"));
        assert_eq!(headers.get("x-tenant-id").and_then(|v| v.to_str().ok()), Some("t1"));
        assert_eq!(headers.len(), 2);
    }

    #[test]
    fn a_member_that_is_no_string_or_no_header_value_is_absent() {
        let payload = json!({"Authorization": 42, "X-Tenant-Id": "a\nb"});
        assert!(headers_of(payload.as_object().expect("object")).is_empty());
    }
}
